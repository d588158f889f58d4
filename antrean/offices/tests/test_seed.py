import pytest
from django.core.management import call_command

from antrean.offices.models import Office, WhatsAppNumber

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed-demo")
    first = list(Office.objects.order_by("code").values())
    numbers = list(WhatsAppNumber.objects.order_by("phone_number_id").values())
    call_command("seed-demo")
    assert list(Office.objects.order_by("code").values()) == first
    assert list(WhatsAppNumber.objects.order_by("phone_number_id").values()) == numbers


def test_the_offices_the_articles_name_with_their_real_numbers():
    call_command("seed-demo")
    displays = {
        office.code: [n.display_phone_number for n in office.numbers.all()]
        for office in Office.objects.prefetch_related("numbers")
    }
    assert displays["jakarta-pusat"] == ["+62 812-9900-4406", "+62 811-8539-333"]
    assert displays["bogor"] == ["+62 811-1100-333"]
    assert displays["batam"] == ["+62 822-8886-2017", "+62 822-8882-2017"]
    assert "jakarta-selatan" in displays


def test_batam_keeps_its_own_format_and_registration_hours():
    call_command("seed-demo")
    batam = Office.objects.get(code="batam")
    assert batam.message_format == "batam"
    assert (str(batam.registration_opens_at), str(batam.registration_closes_at)) == (
        "07:30:00",
        "10:00:00",
    )


def test_launch_cities_in_their_own_time_zones_with_realistic_capacity():
    call_command("seed-demo")
    offices = {office.code: office for office in Office.objects.all()}
    for city in [
        "depok",
        "tangerang",
        "karawang",
        "bandung",
        "yogyakarta",
        "semarang",
        "surabaya",
        "makassar",
        "medan",
        "denpasar",
    ]:
        assert city in offices
    assert offices["makassar"].timezone == "Asia/Makassar"
    assert offices["denpasar"].timezone == "Asia/Makassar"
    assert offices["jayapura"].timezone == "Asia/Jayapura"
    assert offices["medan"].timezone == "Asia/Jakarta"
    for office in offices.values():
        assert 150 <= office.daily_regular <= 400
        hours = office.closes_at.hour - office.opens_at.hour
        assert office.capacity_per_hour * hours >= office.daily_regular


def test_every_number_has_its_own_phone_number_id_and_one_primary():
    call_command("seed-demo")
    ids = list(WhatsAppNumber.objects.values_list("phone_number_id", flat=True))
    assert len(ids) == len(set(ids))
    for office in Office.objects.all():
        assert office.numbers.filter(is_primary=True).count() == 1
