"""Reading bookings: lookups and the operators' JSON shape (PRODUCT.md §4)."""

from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from antrean.booking.codes import normalize_code
from antrean.booking.lifecycle import LIVE
from antrean.booking.models import Booking


def bookings(
    *, phone: str | None = None, office_id: int | None = None, day: date | None = None
) -> QuerySet[Booking]:
    found = Booking.objects.select_related("office", "service").order_by(
        "visit_date", "slot_at", "id"
    )
    if phone is not None:
        found = found.filter(phone=phone)
    if office_id is not None:
        found = found.filter(office_id=office_id)
    if day is not None:
        found = found.filter(visit_date=day)
    return found


def live_booking(phone: str) -> Booking | None:
    # Most people who write hold none: a narrow query answers them at a third of the cost
    # of building the full one (which the ORM compiles anew each time).
    pk = Booking.objects.filter(phone=phone, status__in=list(LIVE)).values_list("pk", flat=True)
    found = pk.first()
    if found is None:
        return None
    return Booking.objects.select_related("office", "service").get(pk=found)


def live_bookings(phones: list[str]) -> dict[str, Booking]:
    """`live_booking` of many numbers in one read: the numbers that hold one."""
    found = Booking.objects.select_related("office", "service").filter(
        phone__in=phones, status__in=list(LIVE)
    )
    return {booking.phone: booking for booking in found}


def by_code(code: str) -> Booking | None:
    return Booking.objects.select_related("office", "service").filter(code=code).first()


def in_office(office_id: int, code: str) -> Booking | None:
    """The booking with `code` if it belongs to the office: another office's code is the
    same as no code at all."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    return (
        Booking.objects.select_related("office", "service", "counter")
        .filter(office_id=office_id, code=normalized)
        .first()
    )


def latest_booking(phone: str) -> Booking | None:
    """The number's most recent booking, whatever its status."""
    return (
        Booking.objects.select_related("office", "service")
        .filter(phone=phone)
        .order_by("-created_at")
        .first()
    )


def booking_json(booking: Booking) -> dict:
    zone = ZoneInfo(booking.office.timezone)

    def when(value):
        return value.astimezone(zone).isoformat() if value else None

    return {
        "code": booking.code,
        "status": booking.status,
        "office": booking.office_id,
        "office_code": booking.office.code,
        "phone": booking.phone,
        "name": booking.name,
        # None once retention erased it (antrean/privacy/retention.py).
        "birth_date": booking.birth_date.isoformat() if booking.birth_date else None,
        "visit_date": booking.visit_date.isoformat(),
        "slot_start": when(booking.slot_at),
        "queue_number": booking.queue_number,
        "service": booking.service.code,
        "quota": booking.quota,
        "applicants": booking.applicants,
        "requested_date": booking.requested_date.isoformat() if booking.requested_date else None,
        "channel": booking.channel,
        "confirm_by": when(booking.confirm_by),
        "reschedules": booking.reschedules,
        "created_at": when(booking.created_at),
        "updated_at": when(booking.updated_at),
    }
