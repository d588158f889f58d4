"""Numbers for supervisors: per day, and per counter, over a range of days."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import mean

from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking, BookingEvent
from antrean.offices.models import Office

# Came, or were expected to: everyone with a queue number (a confirmed code).
_EXPECTED = {Status.CONFIRMED, Status.CHECKED_IN, Status.SERVED, Status.NO_SHOW, Status.EXPIRED}


@dataclass
class Day:
    day: date
    booked: int = 0
    expected: int = 0
    arrived: int = 0
    served: int = 0
    no_show: int = 0

    @property
    def show_up(self) -> float | None:
        return self.arrived / self.expected if self.expected else None


@dataclass
class Desk:
    counter: int
    served: int = 0
    waits: list = field(default_factory=list)  # minutes, arrival -> first call
    services: list = field(default_factory=list)  # minutes, last call -> served

    @property
    def wait(self) -> float | None:
        return round(mean(self.waits), 1) if self.waits else None

    @property
    def service(self) -> float | None:
        return round(mean(self.services), 1) if self.services else None


def report(office: Office, first: date, last: date) -> tuple[list[Day], list[Desk]]:
    bookings = list(
        Booking.objects.filter(office=office, visit_date__range=(first, last)).only(
            "id", "visit_date", "status", "queue_number", "arrived_at", "served_at"
        )
    )
    days = {d.day: d for d in (Day(b.visit_date) for b in bookings)}
    for b in bookings:
        row = days[b.visit_date]
        if b.status != Status.CANCELLED:
            row.booked += 1
        if b.queue_number and b.status in _EXPECTED:
            row.expected += 1
        row.arrived += b.arrived_at is not None
        row.served += b.status == Status.SERVED
        row.no_show += b.status == Status.NO_SHOW
    return sorted(days.values(), key=lambda d: d.day), _desks(bookings)


def _desks(bookings: list[Booking]) -> list[Desk]:
    by_id = {b.pk: b for b in bookings}
    calls: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for event in BookingEvent.objects.filter(
        booking_id__in=list(by_id), action__in=["called", "recalled", "transferred"]
    ).only("booking_id", "at", "detail"):
        if "counter" in event.detail:
            calls[event.booking_id].append((event.at, event.detail["counter"]))
    desks: dict[int, Desk] = {}
    for pk, made in calls.items():
        booking = by_id[pk]
        made.sort()
        first_at, first_counter = made[0]
        last_at, last_counter = made[-1]
        if booking.arrived_at is not None:
            desk = desks.setdefault(first_counter, Desk(first_counter))
            desk.waits.append((first_at - booking.arrived_at).total_seconds() / 60)
        if booking.status == Status.SERVED and booking.served_at is not None:
            desk = desks.setdefault(last_counter, Desk(last_counter))
            desk.served += 1
            desk.services.append((booking.served_at - last_at).total_seconds() / 60)
    return sorted(desks.values(), key=lambda d: d.counter)
