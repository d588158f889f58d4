"""Many plain bookings in a few statements (decisions §24, step 2).

`actions.book` costs about fifteen statements, most of them savepoints around conditional
updates of the seat counters; in a rush the worker books fifty people of one office in one
transaction (whatsapp/inbound_batch.py), nearly all on the same day or two. Here their
seats are taken in memory from counters read once (`Ledger`), in the order the requests
come, by the same placing as one by one (`actions.place`); then the counters are written
with one statement each, and the bookings, their history and their people inserted with
one each.

Only the common request is taken: one person, no NIK, no hour asked, a person without a
live booking (the caller read it). `book_together` is all or nothing: when anything in it
meets the database's constraints (a code drawn twice, a booking or a counter made
meanwhile) nothing of it stays and it answers None; the caller then books each request
one by one, in the same order. The counters' check constraints still decide: the ledger
never writes beyond a capacity it read, and a capacity taken meanwhile refuses the write.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import IntegrityError, transaction

from antrean.booking import actions
from antrean.booking.errors import BookingError
from antrean.booking.lifecycle import LIVE
from antrean.booking.models import Booking, DayLoad, SlotLoad
from antrean.booking.rules import Quota, Schedule
from antrean.lib.bulk import add_to, insert_rows
from antrean.offices.models import Office, ServiceType


@dataclass(frozen=True)
class Request:
    """What `actions.book` is asked for a WhatsApp booking of one person."""

    office: Office
    service: ServiceType
    phone: str
    name: str
    birth_date: date
    visit_date: date | None
    address: str | None
    channel: str
    actor: str
    lang: str
    schedule: Schedule


def book_together(
    requests: list[Request], *, now: datetime
) -> list[actions.Booked | BookingError] | None:
    """Each request's booking, or its refusal, in order; None when nothing could be
    written together (nothing was), to book them one by one instead."""
    outcomes: list = []
    checked = []
    for request in requests:
        try:
            checked.append(
                actions.check_request(
                    office=request.office,
                    service=request.service,
                    phone=request.phone,
                    name=request.name,
                    birth_date=request.birth_date,
                    now=now,
                    visit_date=request.visit_date,
                    lang=request.lang,
                    schedule=request.schedule,
                )
            )
            outcomes.append(None)
        except BookingError as refusal:
            checked.append(None)
            outcomes.append(refusal)
    try:
        with transaction.atomic():  # a savepoint in the caller's transaction
            _place_all(requests, checked, outcomes, now)
    except (IntegrityError, _Alone):
        return None
    return outcomes


class _Alone(Exception):
    """Requests one by one must decide: a person with a live booking after all, or one
    person twice."""


def _place_all(requests, checked, outcomes, now) -> None:
    phones = [c.phone for c in checked if c is not None]
    if (
        len(set(phones)) < len(phones)
        or Booking.objects.filter(phone__in=phones, status__in=list(LIVE)).exists()
    ):
        raise _Alone  # `actions.book` expires a lapsed code or refuses; the batch cannot
    ledger = Ledger()
    ledger.read_ahead(_first_days(requests, checked, now))
    placed, events, people = [], [], []
    for index, (request, check) in enumerate(zip(requests, checked, strict=True)):
        if check is None:
            continue
        try:
            day, start, moved_from = actions.place(
                request.office,
                check.schedule,
                check.quota,
                check.applicants,
                request.visit_date,
                None,
                now,
                True,
                seats=ledger,
            )
        except BookingError as refusal:  # no day with room: nothing was taken for it
            outcomes[index] = refusal
            continue
        booking = actions.new_booking(
            check,
            request.office,
            request.service,
            day,
            start,
            request.visit_date,
            request.address,
            request.channel,
            request.lang,
            now,
        )
        booking.code = actions.new_code()
        placed.append((index, booking, moved_from))
        # Their booking's id is set when the bookings are inserted, before them.
        events.append(actions.created_event(booking, request.actor, now, moved_from))
        people += actions.people_rows(booking, check.people)
    ledger.write()
    insert_rows([booking for _, booking, _ in placed])
    insert_rows(events)
    insert_rows(people)
    for index, booking, moved_from in placed:
        outcomes[index] = actions.Booked(booking=booking, moved_from=moved_from)


def _first_days(requests, checked, now) -> dict[tuple, tuple]:
    """The day each request is tried on first, by office and quota: {(office pk, quota):
    (office, schedule, quota, days)}, for `Ledger.read_ahead`."""
    wanted: dict[tuple, tuple] = {}
    for request, check in zip(requests, checked, strict=True):
        if check is None:
            continue
        first = actions.first_day(check.schedule, request.visit_date, now)
        if first is not None:
            key = (request.office.pk, check.quota)
            wanted.setdefault(key, (request.office, check.schedule, check.quota, set()))
            wanted[key][3].add(first)
    return wanted


class Ledger:
    """The seat counters of a batch's bookings: read once each (locked, on PostgreSQL),
    taken from in memory, written by `write`.

    It leaves the rows one by one would: `actions._take_seats` makes a day's counters when
    it takes a seat there and undoes them when it does not (a refused booking undoes all
    it made); so the counters made here are written only for the days seats were taken
    from. One difference, of no consequence: a new day counter with no room for one person
    (a quota set to 0), which one by one keeps when it moves a booking on to an older
    counter with room, is not written; a day without its counter has the office's
    capacity, the same 0.
    """

    def __init__(self):
        self._days: dict[tuple, DayLoad] = {}  # (office, quota, day)
        self._hours: dict[tuple, dict[time, SlotLoad]] = {}  # (office, day)
        self._read: dict[tuple, int] = {}  # (model, pk): seats taken when read
        self._used: set[tuple] = set()  # (office, day) where the batch took seats

    # What `actions.place` calls, with the signatures of `_take_seats`/`_not_known_full`.
    def take(self, office, schedule, day, quota, seats, now, hour) -> time | None:
        starts = actions.hours_to_try(schedule, day, now, hour)
        if not starts:
            return None
        counter = self._day(office, quota, day)
        if counter.capacity - counter.taken < seats:
            return None
        hours = self._day_hours(office, schedule, day)
        for start in starts:
            load = hours[start]
            if load.capacity - load.taken >= seats:
                load.taken += seats
                counter.taken += seats
                self._used.add((office.pk, day))
                return start
        return None

    def not_known_full(self, office, quota, seats, days: list[date]) -> list[date]:
        self._read_days(office, quota, days)
        return [
            day
            for day in days
            if (counter := self._days[(office.pk, quota, day)]).capacity - counter.taken >= seats
        ]

    def read_ahead(self, wanted: dict[tuple, tuple]) -> None:
        """The counters of the days the requests ask for first, and of their hours: one
        read of each for all those days of an office, not two a day as `take` would when
        the requests ask for many days."""
        for office, schedule, quota, days in wanted.values():
            self._read_days(office, quota, sorted(days))
            self._read_hours(office, schedule, sorted(days))

    def write(self) -> None:
        """The seats taken, added to the counters read; the counters made, inserted."""
        for model, loads in ((DayLoad, self._all_days()), (SlotLoad, self._all_hours())):
            added = {
                load.pk: load.taken - self._read[(model, load.pk)]
                for load in loads
                if load.pk is not None and load.taken != self._read[(model, load.pk)]
            }
            if added and add_to(model, "taken", added) != len(added):
                raise IntegrityError("a seat counter went away")  # not by any path we have
            insert_rows([load for load in loads if load.pk is None])

    def _all_days(self) -> list[DayLoad]:
        return [
            counter for counter in self._days.values() if counter.pk is not None or counter.taken
        ]

    def _all_hours(self) -> list[SlotLoad]:
        return [
            load
            for key, hours in self._hours.items()
            for load in hours.values()
            if load.pk is not None or key in self._used
        ]

    def _day(self, office: Office, quota: Quota, day: date) -> DayLoad:
        self._read_days(office, quota, [day])
        return self._days[(office.pk, quota, day)]

    def _read_days(self, office: Office, quota: Quota, days: list[date]) -> None:
        """The counters of those of `days` not read yet, in one read: a rush moves each
        request past the same full days, and one by one reads them each time."""
        unread = [day for day in days if (office.pk, quota, day) not in self._days]
        if not unread:
            return
        found = {
            counter.day: counter
            for counter in DayLoad.objects.select_for_update()
            .filter(office=office, quota=quota, day__in=unread)
            .order_by("day")  # locked in one order, the days' (PostgreSQL)
        }
        for day in unread:
            counter = found.get(day)
            if counter is None:
                capacity = office.daily_capacity(quota)
                counter = DayLoad(office=office, day=day, quota=quota, capacity=capacity)
            else:
                self._read[(DayLoad, counter.pk)] = counter.taken
            self._days[(office.pk, quota, day)] = counter

    def _day_hours(self, office: Office, schedule: Schedule, day: date) -> dict[time, SlotLoad]:
        self._read_hours(office, schedule, [day])
        return self._hours[(office.pk, day)]

    def _read_hours(self, office: Office, schedule: Schedule, days: list[date]) -> None:
        """The hour counters of those of `days` not read yet, in one read."""
        unread = [day for day in days if (office.pk, day) not in self._hours]
        if not unread:
            return
        hours: dict[date, dict[time, SlotLoad]] = {day: {} for day in unread}
        for load in (
            SlotLoad.objects.select_for_update()
            .filter(office=office, day__in=unread)
            .order_by("day", "start")  # locked in one order (PostgreSQL)
        ):
            hours[load.day][load.start] = load
            self._read[(SlotLoad, load.pk)] = load.taken
        for day, loads in hours.items():
            for start in schedule.slots:
                if start not in loads:
                    capacity = office.capacity_per_hour
                    loads[start] = SlotLoad(office=office, day=day, start=start, capacity=capacity)
            self._hours[(office.pk, day)] = loads
