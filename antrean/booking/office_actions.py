"""What officers do at the office: call, recall, transfer, finish, and move an application
through its stages. Part of the one write layer, with `actions` (check-in lives there).

Every function is one transaction, keyword-only, takes `now` and the acting officer, and
finds bookings only inside the officer's `office`: another office's code looks exactly
like a code that does not exist. `then`, when given, runs inside the same transaction
with the changed booking, so the WhatsApp message a change causes is written with it, or
not at all.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Case, F, Value, When

from antrean.booking.actions import _find_locked, _locked, _move, _record, _retrying
from antrean.booking.errors import (
    BookingNotFound,
    CounterBusy,
    NotCalled,
    StageNotAllowed,
)
from antrean.booking.lifecycle import Stage, Status, stage_allowed
from antrean.booking.models import Booking
from antrean.booking.rules import Quota
from antrean.offices.models import Counter, Office, ServiceType

Then = Callable[[Booking], None] | None
_CANDIDATES = 10  # a counter that loses a race for one applicant tries the next ones


def waiting(office: Office, now: datetime, services=None):
    """Checked-in applicants not yet called, in calling order: priority first (elderly,
    disabled, pregnant, infants), then by appointment hour, then by arrival."""
    today = now.astimezone(ZoneInfo(office.timezone)).date()
    found = Booking.objects.filter(
        office=office, visit_date=today, status=Status.CHECKED_IN, called_at__isnull=True
    )
    if services:
        found = found.filter(service__in=services)
    first = Case(When(quota=Quota.PRIORITY, then=Value(0)), default=Value(1))
    return found.annotate(first=first).order_by("first", "slot_at", "arrived_at", "id")


def serving(counter: Counter) -> Booking | None:
    """Who the counter called and has not finished with."""
    return (
        Booking.objects.filter(counter=counter, status=Status.CHECKED_IN, called_at__isnull=False)
        .order_by("-called_at")
        .first()
    )


@_retrying
def call_next(*, counter: Counter, now: datetime, actor: str, then: Then = None) -> Booking | None:
    """Call the next waiting applicant to `counter`; None when nobody waits.

    Two counters pressing at once never call the same person: each claims its applicant
    with a conditional update that only one of them can win.
    """
    with transaction.atomic():
        busy = serving(counter)
        if busy is not None:
            raise CounterBusy(counter=counter.number, queue_number=busy.queue_number)
        services = list(counter.services.all())
        for candidate in waiting(counter.office, now, services)[:_CANDIDATES]:
            claimed = Booking.objects.filter(
                pk=candidate.pk, status=Status.CHECKED_IN, called_at__isnull=True
            ).update(called_at=now, counter=counter, calls=F("calls") + 1, updated_at=now)
            if claimed:
                booking = _reload(candidate.pk)
                _record(
                    booking,
                    "called",
                    booking.status,
                    booking.status,
                    actor,
                    now,
                    {"counter": counter.number},
                )
                _then(then, booking)
                return booking
    return None


@_retrying
def recall(*, code: str, office: Office, now: datetime, actor: str, then: Then = None) -> Booking:
    """Call the applicant at the counter again (the board shows the number once more)."""
    with transaction.atomic():
        booking = _called(code, office)
        booking.called_at, booking.calls, booking.updated_at = now, booking.calls + 1, now
        booking.save(update_fields=["called_at", "calls", "updated_at"])
        _record(
            booking,
            "recalled",
            booking.status,
            booking.status,
            actor,
            now,
            {"counter": booking.counter.number},
        )
        _then(then, booking)
    return booking


@_retrying
def transfer(
    *,
    code: str,
    office: Office,
    now: datetime,
    actor: str,
    counter: Counter | None = None,
    service: ServiceType | None = None,
    then: Then = None,
) -> Booking:
    """Send the called applicant to another counter (called there at once), or to another
    service's queue (waiting again, in their original arrival order)."""
    if (counter is None) == (service is None):
        raise ValueError("transfer to a counter or to a service, not both")
    with transaction.atomic():
        booking = _called(code, office)
        if counter is not None:
            if counter.office_id != office.pk:
                raise BookingNotFound()
            booking.counter, booking.called_at, booking.calls = counter, now, booking.calls + 1
            detail = {"counter": counter.number}
        else:
            booking.service, booking.counter, booking.called_at = service, None, None
            detail = {"service": service.code}
        booking.updated_at = now
        booking.save(update_fields=["counter", "called_at", "calls", "service", "updated_at"])
        _record(booking, "transferred", booking.status, booking.status, actor, now, detail)
        if counter is not None:
            _then(then, booking)
    return booking


@_retrying
def finish(
    *, code: str, office: Office, now: datetime, actor: str, served: bool, then: Then = None
) -> Booking:
    """The counter is done with the called applicant: served, or did not come when called."""
    with transaction.atomic():
        booking = _called(code, office)
        if served:
            booking.served_at = now
            _move(
                booking, Status.SERVED, actor=actor, now=now, action="served", fields=["served_at"]
            )
        else:
            _move(booking, Status.NO_SHOW, actor=actor, now=now, action="no_show")
        _then(then, booking)
    return booking


@_retrying
def set_stage(
    *, code: str, office: Office, stage: Stage, now: datetime, actor: str, then: Then = None
) -> Booking:
    """Move an application to `stage`; `then` tells the applicant."""
    with transaction.atomic():
        booking = _in_office(code, office)
        current = Stage(booking.stage) if booking.stage else None
        if not stage_allowed(Status(booking.status), current, stage):
            raise StageNotAllowed(code=booking.code, status=booking.status, stage=stage.value)
        booking.stage, booking.stage_at, booking.updated_at = stage, now, now
        booking.save(update_fields=["stage", "stage_at", "updated_at"])
        _record(
            booking,
            "stage",
            booking.status,
            booking.status,
            actor,
            now,
            {"from": current.value if current else "", "to": stage.value},
        )
        _then(then, booking)
    return booking


# --- Helpers -----------------------------------------------------------------------------
def _in_office(code: str, office: Office) -> Booking:
    booking = _find_locked(code, None)
    if booking.office_id != office.pk:
        raise BookingNotFound()
    return booking


def _called(code: str, office: Office) -> Booking:
    booking = _in_office(code, office)
    if booking.status != Status.CHECKED_IN or booking.called_at is None:
        raise NotCalled(code=booking.code, queue_number=booking.queue_number, status=booking.status)
    return booking


def _reload(pk: int) -> Booking:
    return Booking.objects.select_related("office", "service", "counter").get(pk=pk)


def _then(then: Then, booking: Booking) -> None:
    if then is not None:
        then(booking)


# --- End of the day --------------------------------------------------------------------------
END_OF_DAY_ACTOR = "system:end_of_day"


def close_days(*, now: datetime, limit: int = 1000) -> int:
    """After an office closes, applicants who checked in but were never called left
    without being served: they become no-shows. Someone called and not finished is left
    for the officer, who was serving them."""
    latest = now.date() + timedelta(days=1)  # no zone is more than a day ahead of UTC
    candidates = (
        Booking.objects.filter(
            status=Status.CHECKED_IN, called_at__isnull=True, visit_date__lte=latest
        )
        .select_related("office")
        .order_by("visit_date", "id")[:limit]
    )
    done = 0
    for booking in candidates:
        zone = ZoneInfo(booking.office.timezone)
        closed = datetime.combine(booking.visit_date, booking.office.closes_at, tzinfo=zone)
        if now >= closed:
            done += _close(booking.pk, now)
    return done


@_retrying
def _close(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        booking = _locked(pk)
        if booking.status != Status.CHECKED_IN or booking.called_at is not None:
            return False  # called or served meanwhile
        _move(booking, Status.NO_SHOW, actor=END_OF_DAY_ACTOR, now=now, action="no_show")
    return True
