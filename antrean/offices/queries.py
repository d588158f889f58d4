"""Reading offices: the operators' JSON shape."""

from django.db.models import Q

from antrean.lib.memo import remembered
from antrean.offices.models import Office, OfficeText, ServiceType


def offices() -> list[Office]:
    return list(Office.objects.prefetch_related("numbers").order_by("id"))


def office_json(office: Office) -> dict:
    numbers = list(office.numbers.all())
    primary = office.primary_number
    registration = None
    if office.registration_opens_at and office.registration_closes_at:
        registration = {
            "opens": office.registration_opens_at.isoformat("minutes"),
            "closes": office.registration_closes_at.isoformat("minutes"),
        }
    return {
        "id": office.id,
        "code": office.code,
        "name": office.name,
        "office_class": office.get_office_class_display(),
        "city": office.city,
        "province": office.province,
        "timezone": office.timezone,
        "phone_number_id": primary.phone_number_id if primary else None,
        "display_phone_number": primary.display_phone_number if primary else None,
        "whatsapp_numbers": [
            {
                "phone_number_id": n.phone_number_id,
                "display_phone_number": n.display_phone_number,
                "label": n.label,
                "primary": n.is_primary,
            }
            for n in numbers
        ],
        "capacity_per_hour": office.capacity_per_hour,
        "daily_capacity": {
            "regular": office.daily_regular,
            "percepatan": office.daily_percepatan,
            "priority": office.daily_priority,
        },
        "working_days": [int(ch) for ch in office.working_days],
        "opens_at": office.opens_at.isoformat("minutes"),
        "closes_at": office.closes_at.isoformat("minutes"),
        "horizon_days": office.horizon_days,
        "registration_hours": registration,
        "message_format": office.message_format,
        "is_active": office.is_active,
    }


def office_texts(office: Office) -> dict[str, dict[str, str]]:
    """The staff's own wording for this office: its own texts over those for all offices."""
    return remembered(("office_texts", office.pk), lambda: _office_texts(office))


def service_types() -> tuple[ServiceType, ...]:
    """Every service type, in their order (reference data: antrean/lib/memo.py)."""
    return remembered("service_types", lambda: tuple(ServiceType.objects.all()))


def service_type(code: str) -> ServiceType:
    """The service type with `code`; ServiceType.DoesNotExist if there is none."""
    for service in service_types():
        if service.code == code:
            return service
    raise ServiceType.DoesNotExist(code)


def _office_texts(office: Office) -> dict[str, dict[str, str]]:
    texts: dict[str, dict[str, str]] = {}
    rows = OfficeText.objects.filter(Q(office=office) | Q(office__isnull=True)).order_by("office")
    for row in sorted(rows, key=lambda r: r.office_id is not None):  # all offices first
        texts[row.key] = {"id": row.text_id, **({"en": row.text_en} if row.text_en else {})}
    return texts
