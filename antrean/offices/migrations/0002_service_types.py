"""The service types every office offers (reference data; names editable in the admin)."""

from django.db import migrations

SERVICE_TYPES = [
    # code, name_id, name_en, prefix, quota, bookable remotely, needs old passport
    ("baru", "Paspor baru", "New passport", "A", "regular", True, False),
    ("penggantian", "Penggantian paspor (habis masa berlaku/penuh)", "Passport renewal", "B",
     "regular", True, True),
    ("percepatan", "Layanan percepatan (selesai hari yang sama)", "Same-day (percepatan) service",
     "C", "percepatan", True, False),
    ("hilang", "Penggantian paspor hilang", "Lost passport replacement", "H", "regular", False,
     False),
    ("rusak", "Penggantian paspor rusak", "Damaged passport replacement", "R", "regular", False,
     True),
]


def create(apps, schema_editor):
    ServiceType = apps.get_model("offices", "ServiceType")
    for position, (code, name_id, name_en, prefix, quota, remote, old) in enumerate(SERVICE_TYPES):
        ServiceType.objects.update_or_create(
            code=code,
            defaults={
                "name_id": name_id,
                "name_en": name_en,
                "queue_prefix": prefix,
                "quota": quota,
                "bookable_remotely": remote,
                "needs_old_passport": old,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("offices", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
