"""The waitlist: people who want a day that is full, offered freed seats in turn.

Part of the one write layer, with `actions`. A place on a waitlist is a booking in status
`waitlisted` for the day wanted; it holds no seat. Whenever seats of that day and quota
come free - a cancellation, a lapse, a late arrival, an unpaid bill, a reschedule, a
capacity raised - `offer_freed` runs in the same transaction and moves the first
applicants who fit to `pending`, with the seats taken and `office.claim_minutes` to
confirm. An offer not confirmed in time lapses like any pending code, and its seats go to
the next in line the same way.
"""

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q

from antrean.booking.errors import AlreadyWaiting, NothingToWaitFor
from antrean.booking.lifecycle import LIVE, Status
from antrean.booking.models import Applicant, Booking
from antrean.booking.rules import Quota
from antrean.offices.models import Office
from antrean.offices.schedules import schedule_for

WAITLIST_ACTOR = "system:waitlist"
_CANDIDATES = 20  # how far down the list one freeing looks for a party that fits


def wait_instead(*, code: str, phone: str, now: datetime, actor: str) -> Booking:
    """A pending booking that was moved to a later day because the asked day was full
    waits for the asked day instead: its seats go back (to whoever waits for them) and it
    joins the asked day's waitlist. Asking twice is harmless."""
    from antrean.booking.actions import _retrying

    return _retrying(_wait_instead)(code=code, phone=phone, now=now, actor=actor)


def _wait_instead(*, code: str, phone: str, now: datetime, actor: str) -> Booking:
    from antrean.booking.actions import _find_locked, _record, _release, _require

    with transaction.atomic():
        booking = _find_locked(code, phone)
        if booking.status == Status.WAITLISTED:
            return booking
        day = booking.requested_date
        if booking.status != Status.PENDING or day is None or day == booking.visit_date:
            raise NothingToWaitFor(code=booking.code)
        _require(booking, Status.WAITLISTED, "wait")
        other = Booking.objects.filter(phone=booking.phone, status=Status.WAITLISTED).first()
        if other is not None:
            raise AlreadyWaiting(code=other.code, day=other.visit_date)
        office, quota = booking.office, Quota(booking.quota)
        schedule = schedule_for(office, now)
        schedule.check_day(day, now)  # the asked day may have passed meanwhile
        old_day = booking.visit_date
        _release(booking)
        # Until a seat is offered, the day's first hour stands in for the appointment.
        booking.status, booking.visit_date = Status.WAITLISTED, day
        booking.slot_at = schedule.slot_at(day, schedule.slots[0])
        booking.confirm_by, booking.queue_number, booking.updated_at = None, None, now
        booking.save(
            update_fields=["status", "visit_date", "slot_at", "confirm_by", "queue_number",
                           "updated_at"]
        )  # fmt: skip
        Applicant.objects.filter(booking=booking).update(held_nik=None)
        _record(
            booking,
            "waitlisted",
            Status.PENDING,
            Status.WAITLISTED,
            actor,
            now,
            {"from_date": old_day.isoformat(), "to_date": day.isoformat()},
        )
        offer_freed(office, old_day, quota, now)  # the seats given back, to that day's list
        offer_freed(office, day, quota, now)  # and the asked day may have room again
    return booking


def position(booking: Booking) -> int:
    """1 for the first in line."""
    ahead = Booking.objects.filter(
        office_id=booking.office_id,
        visit_date=booking.visit_date,
        quota=booking.quota,
        status=Status.WAITLISTED,
    ).filter(
        Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk)
    )
    return ahead.count() + 1


def offer_freed(office: Office, day: date, quota: Quota, now: datetime) -> int:
    """Offer the free seats of `day` to its waitlist, first come first served; a party too
    big for what is left lets a smaller one behind it through. Runs inside the caller's
    transaction; returns how many were offered a seat."""
    waiting = list(
        Booking.objects.filter(office=office, visit_date=day, quota=quota, status=Status.WAITLISTED)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)[:_CANDIDATES]
    )
    if not waiting:
        return 0
    schedule = schedule_for(office, now)
    offered = 0
    for pk in waiting:
        if not schedule.open_starts(day, now):
            break  # the day is over; `end_waitlists` tells those still waiting
        if _offer(pk, schedule, now):
            offered += 1
    return offered


def _offer(pk: int, schedule, now: datetime) -> bool:
    from antrean.booking.actions import _locked, _move, _take_seats

    entry = _locked(pk)
    if entry.status != Status.WAITLISTED:
        return False
    office, day = entry.office, entry.visit_date
    try:
        with transaction.atomic():  # a savepoint: a lost race gives the seats back
            if _holds_live(entry):
                # They booked another day meanwhile; that booking stands, the place goes.
                _move(
                    entry,
                    Status.EXPIRED,
                    actor=WAITLIST_ACTOR,
                    now=now,
                    action="waitlist_left",
                    detail={"reason": "booked"},
                )
                return False
            start = _take_seats(
                office, schedule, day, Quota(entry.quota), entry.applicants, now, None
            )
            if start is None:
                return False
            entry.slot_at = schedule.slot_at(day, start)
            entry.confirm_by = min(
                now + timedelta(minutes=office.claim_minutes),
                schedule.arrival_deadline(day, start),
            )
            _move(
                entry,
                Status.PENDING,
                actor=WAITLIST_ACTOR,
                now=now,
                action="offered",
                fields=["slot_at", "confirm_by"],
            )
    except IntegrityError:
        entry.refresh_from_db()
        return False  # the person took a live booking at this very moment
    return True


def _holds_live(entry: Booking) -> bool:
    niks = list(
        Applicant.objects.filter(booking=entry, nik_hash__isnull=False).values_list(
            "nik_hash", flat=True
        )
    )
    person = Q(phone=entry.phone)
    if niks:
        person |= Q(nik_hash__in=niks) | Q(people__held_nik__in=niks)
    return Booking.objects.filter(person, status__in=list(LIVE)).exclude(pk=entry.pk).exists()


def end_waitlists(*, now: datetime, limit: int = 1000) -> int:
    """Close the places of days that are over (no hour left to offer)."""
    from antrean.booking.actions import _locked, _move, _retrying

    latest = now.date() + timedelta(days=1)  # no zone is more than a day ahead of UTC
    candidates = list(
        Booking.objects.filter(status=Status.WAITLISTED, visit_date__lte=latest)
        .select_related("office")
        .order_by("visit_date", "id")[:limit]
    )

    @_retrying
    def close(pk: int) -> bool:
        with transaction.atomic():
            entry = _locked(pk)
            if entry.status != Status.WAITLISTED:
                return False  # offered or cancelled meanwhile; the day being over cannot change
            _move(entry, Status.EXPIRED, actor=WAITLIST_ACTOR, now=now, action="waitlist_ended")
        return True

    return sum(close(entry.pk) for entry in candidates if _day_over(entry, now))


def _day_over(entry: Booking, now: datetime) -> bool:
    return not schedule_for(entry.office, now).open_starts(entry.visit_date, now)
