"""How many seats are left: per day and hour, for offers and for the public pages.

Read-only. What these numbers say is a hint for people; whether a seat is really free is
decided by the conditional update in `actions` at the moment of booking.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from antrean.booking.models import DayLoad, SlotLoad
from antrean.booking.rules import Quota, Schedule
from antrean.offices.models import Office


@dataclass(frozen=True)
class DayRoom:
    day: date
    seats: int  # what one booking could still get that day in this quota
    hours: tuple[tuple[time, int], ...]  # (start, seats left) for the hours still bookable

    def hours_with_room(self, seats: int = 1) -> list[time]:
        return [start for start, left in self.hours if left >= seats]


def rooms(
    office: Office, schedule: Schedule, days: list[date], quota: Quota, now: datetime
) -> dict[date, DayRoom]:
    """Seats left on each of `days` (two queries whatever the number of days)."""
    if not days:
        return {}
    day_loads = {
        load.day: load for load in DayLoad.objects.filter(office=office, quota=quota, day__in=days)
    }
    slot_loads = {
        (load.day, load.start): load
        for load in SlotLoad.objects.filter(office=office, day__in=days)
    }
    result = {}
    for day in days:
        load = day_loads.get(day)
        day_left = load.capacity - load.taken if load else office.daily_capacity(quota)
        hours = []
        for start in schedule.open_starts(day, now):
            slot = slot_loads.get((day, start))
            hours.append((start, slot.capacity - slot.taken if slot else office.capacity_per_hour))
        hour_left = sum(left for _, left in hours)
        seats = max(0, min(day_left, hour_left))
        # No hour offers more than the day itself still has.
        hours = [(start, max(0, min(left, day_left))) for start, left in hours]
        result[day] = DayRoom(day=day, seats=seats, hours=tuple(hours))
    return result


def upcoming(
    office: Office, schedule: Schedule, quota: Quota, now: datetime, limit: int = 7
) -> list[DayRoom]:
    """The next `limit` bookable days with their seats left (full days included)."""
    days = []
    for day in schedule.bookable_days(now):
        days.append(day)
        if len(days) == limit:
            break
    found = rooms(office, schedule, days, quota, now)
    return [found[day] for day in days]


def first_day_with_room(
    office: Office,
    schedule: Schedule,
    quota: Quota,
    seats: int,
    now: datetime,
    *,
    after: date | None = None,
) -> date | None:
    days = list(schedule.bookable_days(now, after=after))
    found = rooms(office, schedule, days, quota, now)
    for day in days:
        room = found[day]
        if room.seats >= seats and room.hours_with_room(seats):
            return day
    return None
