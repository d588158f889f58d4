"""Build an office's `Schedule` (the pure booking rules' view of it) from the database."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q

from antrean.booking.rules import Closure, Schedule
from antrean.offices.models import Closure as ClosureRow
from antrean.offices.models import Office
from antrean.offices.public_holidays import national_closures


def closures_between(office: Office, first: date, last: date) -> dict[date, Closure]:
    closures: dict[date, Closure] = {}
    for year in range(first.year, last.year + 1):
        for day, closure in national_closures(year).items():
            if first <= day <= last:
                closures[day] = closure
    rows = ClosureRow.objects.filter(
        Q(office=office) | Q(office__isnull=True), day__gte=first, day__lte=last
    )
    for row in rows:
        # The office's own entry wins over a national one on the same day.
        if row.office_id is not None or row.day not in closures:
            closures[row.day] = Closure(day=row.day, name_id=row.name_id, name_en=row.name_en)
    return closures


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
    )
