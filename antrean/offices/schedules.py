"""Build an office's `Schedule` (the pure booking rules' view of it) from the database."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from antrean.booking.rules import Closure, ReleaseWindow, Schedule
from antrean.lib.memo import remembered
from antrean.offices.models import Closure as ClosureRow
from antrean.offices.models import Office, ReleaseMode
from antrean.offices.public_holidays import national_closures


def closures_between(office: Office, first: date, last: date) -> dict[date, Closure]:
    closures: dict[date, Closure] = {}
    for year in range(first.year, last.year + 1):
        for day, closure in national_closures(year).items():
            if first <= day <= last:
                closures[day] = closure
    for row in _closure_rows(office.pk, first, last):
        # The office's own entry wins over a national one on the same day.
        if row.office_id is not None or row.day not in closures:
            closures[row.day] = Closure(day=row.day, name_id=row.name_id, name_en=row.name_en)
    return closures


def _closure_rows(office_pk: int, first: date, last: date) -> list[ClosureRow]:
    return remembered(
        ("closures", office_pk, first, last),
        lambda: list(
            ClosureRow.objects.filter(
                Q(office_id=office_pk) | Q(office__isnull=True), day__gte=first, day__lte=last
            )
        ),
    )


def schedule_for(office: Office, now: datetime) -> Schedule:
    zone = ZoneInfo(office.timezone)
    today = now.astimezone(zone).date()
    registration = None
    if office.registration_opens_at and office.registration_closes_at:
        registration = (office.registration_opens_at, office.registration_closes_at)
    return Schedule(
        timezone=zone,
        working_days=frozenset(int(ch) for ch in office.working_days),
        opens=office.opens_at,
        closes=office.closes_at,
        horizon_days=office.horizon_days,
        arrival_lead=timedelta(minutes=office.arrival_lead_minutes),
        # Registration hours can point past the horizon to the next opening: look a
        # little further than the horizon so that answer skips holidays too.
        closures=closures_between(
            office, today - timedelta(days=1), today + timedelta(days=office.horizon_days + 31)
        ),
        registration=registration,
        **_releases(office, zone),
    )


def _releases(office: Office, zone: ZoneInfo) -> dict:
    """What the office's quota releases hold back: the days of the earliest release not
    yet allocated (and its window), and the last day already released."""
    if office.release_mode != ReleaseMode.LOTTERY:
        return {}
    from antrean.release.models import Release  # the release app builds on the offices

    pending = (
        Release.objects.filter(office=office, allocated_at__isnull=True)
        .order_by("first_day")
        .first()
    )
    released = (
        Release.objects.filter(office=office, allocated_at__isnull=False)
        .order_by("-last_day")
        .values_list("last_day", flat=True)
        .first()
    )
    if pending is None:
        # Between a release and the planning of the next, the days after it stay held.
        held = released + timedelta(days=1) if released else None
        return {"released_to": released, "held_from": held}
    return {
        "held_from": pending.first_day,
        "released_to": released,
        "next_release": ReleaseWindow(
            pending.first_day,
            pending.last_day,
            pending.opens_at.astimezone(zone),
            pending.closes_at.astimezone(zone),
        ),
    }
