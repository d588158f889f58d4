import datetime

import pytest

from antrean.booking import actions, office_actions
from antrean.booking.errors import (
    ArrivalTooLate,
    BookingNotFound,
    CounterBusy,
    NotCalled,
    NotLate,
    StageNotAllowed,
)
from antrean.booking.lifecycle import Stage, Status
from antrean.booking.models import Booking
from antrean.booking.rules import PriorityReason

from .conftest import ON_TIME
from conftest import WIB

LATER = ON_TIME + datetime.timedelta(minutes=20)
LATE = datetime.datetime(2027, 8, 10, 7, 45, tzinfo=WIB)  # after 07.30, for 08.00


def test_the_next_call_takes_priority_then_the_hour_then_arrival(arrived, counters):
    first = arrived()
    second = arrived(at=ON_TIME + datetime.timedelta(minutes=1))
    elder = arrived(
        at=ON_TIME + datetime.timedelta(minutes=2),
        priority=PriorityReason.ELDERLY,
        birth_date=datetime.date(1950, 1, 1),
    )
    calls = []
    for counter in counters:
        booking = office_actions.call_next(counter=counter, now=LATER, actor="t")
        calls.append((booking.code, booking.counter.number, booking.calls))
    assert calls == [(elder.code, 1, 1), (first.code, 2, 1), (second.code, 3, 1)]


def test_a_counter_finishes_before_it_calls_again(arrived, counters):
    first, _ = arrived(), arrived()
    office_actions.call_next(counter=counters[0], now=LATER, actor="t")
    with pytest.raises(CounterBusy) as refused:
        office_actions.call_next(counter=counters[0], now=LATER, actor="t")
    assert refused.value.details == {"counter": 1, "queue_number": first.queue_number}
    office_actions.finish(code=first.code, office=first.office, now=LATER, actor="t", served=True)
    assert office_actions.call_next(counter=counters[0], now=LATER, actor="t") is not None


def test_nobody_waiting_is_none_and_two_counters_never_share_one_person(arrived, counters):
    only = arrived()
    assert office_actions.call_next(counter=counters[0], now=LATER, actor="t").pk == only.pk
    assert office_actions.call_next(counter=counters[1], now=LATER, actor="t") is None


def test_a_counter_calls_only_its_services(arrived, counters, services):
    counters[0].services.set([services["percepatan"]])
    regular = arrived()
    assert office_actions.call_next(counter=counters[0], now=LATER, actor="t") is None
    assert office_actions.call_next(counter=counters[1], now=LATER, actor="t").pk == regular.pk


def test_recall_transfer_and_finish(arrived, counters, services):
    booking = arrived()
    office = booking.office
    office_actions.call_next(counter=counters[0], now=LATER, actor="t")
    again = office_actions.recall(code=booking.code, office=office, now=LATER, actor="t")
    assert again.calls == 2
    moved = office_actions.transfer(
        code=booking.code, office=office, now=LATER, actor="t", counter=counters[2]
    )
    assert (moved.counter.number, moved.calls) == (3, 3)
    other = next(s for s in services.values() if s.pk != booking.service_id)
    back = office_actions.transfer(
        code=booking.code, office=office, now=LATER, actor="t", service=other
    )
    assert (back.service_id, back.counter, back.called_at) == (other.pk, None, None)
    assert office_actions.waiting(office, LATER).get().pk == booking.pk  # queues again
    office_actions.call_next(counter=counters[1], now=LATER, actor="t")
    done = office_actions.finish(
        code=booking.code, office=office, now=LATER, actor="t", served=False
    )
    assert done.status == Status.NO_SHOW
    seen = list(Booking.objects.get().events.values_list("action", flat=True))
    assert seen[-6:] == ["called", "recalled", "transferred", "transferred", "called", "no_show"]


def test_finishing_needs_a_call_and_the_right_office(arrived, other_office, counters):
    booking = arrived()
    with pytest.raises(NotCalled):
        office_actions.finish(
            code=booking.code, office=booking.office, now=LATER, actor="t", served=True
        )
    office_actions.call_next(counter=counters[0], now=LATER, actor="t")
    with pytest.raises(BookingNotFound):
        office_actions.finish(
            code=booking.code, office=other_office, now=LATER, actor="t", served=True
        )
    with pytest.raises(BookingNotFound):
        office_actions.recall(code=booking.code, office=other_office, now=LATER, actor="t")


def test_stages_follow_the_visit(confirmed, arrived):
    waiting = confirmed()
    with pytest.raises(StageNotAllowed):
        office_actions.set_stage(
            code=waiting.code, office=waiting.office, stage=Stage.READY, now=LATER, actor="t"
        )
    came = arrived()
    told = []
    for stage in (Stage.DOCUMENTS_VERIFIED, Stage.PAYMENT, Stage.READY, Stage.PICKED_UP):
        office_actions.set_stage(
            code=came.code, office=came.office, stage=stage, now=LATER, actor="t", then=told.append
        )
    assert [b.stage for b in told] == ["documents_verified", "payment", "ready", "picked_up"]
    with pytest.raises(StageNotAllowed):  # picked up stays picked up
        office_actions.set_stage(
            code=came.code, office=came.office, stage=Stage.READY, now=LATER, actor="t"
        )


def test_check_in_records_the_arrival_and_refuses_the_late(confirmed):
    booking = confirmed()
    done = actions.check_in(code=booking.code, now=ON_TIME, actor="t", identity_checked=True)
    assert (done.status, done.arrived_at) == (Status.CHECKED_IN, ON_TIME)
    late = confirmed()
    with pytest.raises(ArrivalTooLate):
        actions.check_in(code=late.code, now=LATE, actor="t", identity_checked=True)


def test_a_supervisor_lets_a_late_applicant_in_with_a_reason(confirmed):
    before_job = confirmed()
    after_job = confirmed()
    assert actions.expire_late(now=LATE) == 2
    for booking in (before_job, after_job):
        booking.refresh_from_db()
    done = actions.check_in(
        code=after_job.code, now=LATE, actor="t", override="lansia", identity_checked=True
    )
    assert (done.status, done.arrived_at) == (Status.CHECKED_IN, LATE)
    event = done.events.last()
    assert (event.action, event.from_status, event.detail) == (
        "checked_in_late",
        "expired",
        {"override": "lansia"},
    )


def test_an_override_is_only_for_the_late(confirmed, book):
    on_time = confirmed()
    with pytest.raises(NotLate):
        actions.check_in(
            code=on_time.code, now=ON_TIME, actor="t", override="x", identity_checked=True
        )
    never_confirmed = book().booking
    with pytest.raises(NotLate):
        actions.check_in(
            code=never_confirmed.code, now=LATE, actor="t", override="x", identity_checked=True
        )


def test_check_in_stays_inside_the_office(confirmed, other_office):
    booking = confirmed()
    with pytest.raises(BookingNotFound):
        actions.check_in(
            code=booking.code, now=ON_TIME, actor="t", office=other_office, identity_checked=True
        )
