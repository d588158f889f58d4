"""Many processes at once, on whichever database the suite runs on (SQLite or PostgreSQL):
never more than capacity, no duplicate queue numbers or codes, one booking per number.

The children are forked after the parent closed its connections; each opens its own, as
separate web and worker processes would.
"""

import datetime
import multiprocessing
import random

import pytest
from django.db import connections

from antrean.booking import actions, errors
from antrean.booking.lifecycle import LIVE
from antrean.booking.models import Booking, SlotLoad
from antrean.booking.tests.invariants import check_counters, check_queue_numbers
from antrean.offices.models import Office, ServiceType

from conftest import BIRTH, NOW, new_phone

PROCESSES = 8
TUESDAY = datetime.date(2027, 8, 10)

# serialized_rollback: the flush after each test would otherwise drop the service types
# that a data migration created.
pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.slow]


def _child(work, args, barrier, results):
    try:
        barrier.wait(timeout=60)
        results.put(("ok", work(*args)))
    except BaseException as exc:  # report it to the parent instead of dying silently
        results.put(("crash", repr(exc)))
    finally:
        connections.close_all()


def in_parallel(work, args_per_process):
    """Run `work(*args)` in one forked process each, all released at the same moment."""
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(len(args_per_process))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_child, args=(work, args, barrier, results)) for args in args_per_process
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    crashes = [detail for kind, detail in outcomes if kind == "crash"]
    assert not crashes, crashes
    return [detail for _, detail in outcomes]


def _book(office, phone, visit_date, *, channel="whatsapp", **more):
    """One applicant's booking of a new passport, as the children make them."""
    return actions.book(
        office=office,
        service=ServiceType.objects.get(code="baru"),
        phone=phone,
        name="Pemohon Uji",
        birth_date=BIRTH,
        now=NOW,
        channel=channel,
        actor="test",
        visit_date=visit_date,
        **more,
    )


def _book_many(office_pk, phones, visit_date, move_if_full):
    office = Office.objects.get(pk=office_pk)
    outcomes = []
    for phone in phones:
        try:
            booked = _book(office, phone, visit_date, move_if_full=move_if_full)
            outcomes.append(("booked", booked.booking.code))
        except errors.BookingError as refusal:
            outcomes.append(("refused", refusal.reason))
    return outcomes


def _confirm_all(codes, seed):
    codes = list(codes)
    random.Random(seed).shuffle(codes)
    return [actions.confirm(code=code, now=NOW, actor="test").queue_number for code in codes]


def _churn(office_pk, codes, phones):
    """Cancel some bookings and make new ones, interleaved."""
    office = Office.objects.get(pk=office_pk)
    for code, phone in zip(codes, phones, strict=True):
        actions.cancel(code=code, now=NOW, actor="test")
        try:
            _book(office, phone, TUESDAY, channel="web", applicants=random.randint(1, 2))
        except errors.BookingError:
            pass
    return True


def test_one_slot_hammered_by_eight_processes(make_office):
    office = make_office(
        opens_at=datetime.time(8),
        closes_at=datetime.time(9),
        capacity_per_hour=5,
        daily_regular=1000,
    )
    phones = [[new_phone() for _ in range(6)] for _ in range(PROCESSES)]
    outcomes = [
        o
        for per in in_parallel(_book_many, [(office.pk, p, TUESDAY, False) for p in phones])
        for o in per
    ]

    booked = [code for kind, code in outcomes if kind == "booked"]
    refused = [reason for kind, reason in outcomes if kind == "refused"]
    assert len(booked) == 5
    assert set(refused) == {"day_full"} and len(refused) == 43
    assert len(set(booked)) == 5
    assert SlotLoad.objects.get(office=office, day=TUESDAY).taken == 5
    check_counters(office)

    # Every process confirms every code, in its own order: each is confirmed once.
    numbers = in_parallel(_confirm_all, [(booked, seed) for seed in range(PROCESSES)])
    assert all(sorted(n) == ["A-001", "A-002", "A-003", "A-004", "A-005"] for n in numbers)
    assert all(len(set(per)) == 5 for per in numbers)
    assert [n for per in numbers for n in per].count("A-001") == PROCESSES  # same answer each time
    assert sorted(Booking.objects.values_list("queue_number", flat=True)) == [
        "A-001",
        "A-002",
        "A-003",
        "A-004",
        "A-005",
    ]
    check_queue_numbers(office)


def test_full_days_overflow_to_the_next_without_overbooking(make_office):
    office = make_office(
        opens_at=datetime.time(8),
        closes_at=datetime.time(9),
        capacity_per_hour=3,
        daily_regular=1000,
        horizon_days=5,
    )
    # The horizon ends Saturday 14 August: Tue-Fri, 4 open days x 3 seats = 12 for 32 requests.
    phones = [[new_phone() for _ in range(4)] for _ in range(PROCESSES)]
    outcomes = [
        o
        for per in in_parallel(_book_many, [(office.pk, p, TUESDAY, True) for p in phones])
        for o in per
    ]
    booked = [code for kind, code in outcomes if kind == "booked"]
    assert len(booked) == len(set(booked)) == 12
    assert {reason for kind, reason in outcomes if kind == "refused"} == {"fully_booked"}
    per_day = {load.day: load.taken for load in SlotLoad.objects.filter(office=office)}
    assert set(per_day.values()) == {3}
    check_counters(office)


def test_the_same_number_from_eight_processes_gets_one_booking(make_office):
    office = make_office(capacity_per_hour=50, daily_regular=1000)
    phone = new_phone()
    outcomes = [
        o
        for per in in_parallel(_book_many, [(office.pk, [phone], TUESDAY, True)] * PROCESSES)
        for o in per
    ]
    assert [kind for kind, _ in outcomes].count("booked") == 1
    assert {reason for kind, reason in outcomes if kind == "refused"} == {"already_booked"}
    assert Booking.objects.filter(phone=phone, status__in=list(LIVE)).count() == 1
    check_counters(office)


def test_cancelling_and_booking_at_once_keeps_the_counters_exact(make_office, service):
    office = make_office(capacity_per_hour=6, daily_regular=1000)
    codes = [
        actions.book(
            office=office,
            service=service,
            phone=new_phone(),
            name="Awal",
            birth_date=BIRTH,
            now=NOW,
            channel="web",
            actor="t",
            visit_date=TUESDAY,
        ).booking.code
        for _ in range(PROCESSES * 3)
    ]
    work = [
        (office.pk, codes[i * 3 : (i + 1) * 3], [new_phone() for _ in range(3)])
        for i in range(PROCESSES)
    ]
    in_parallel(_churn, work)
    check_counters(office)


def _book_days_in_one_transaction(office_pk, phones, days, hold):
    """A worker's batch: several bookings of one office in one transaction, the days in
    the order given, with a pause that lets the other process take its first day."""
    import time

    from django.db import OperationalError, transaction

    office = Office.objects.get(pk=office_pk)
    try:
        with transaction.atomic():
            if hold:
                actions.hold_offices([office.pk])
            for n, (phone, day) in enumerate(zip(phones, days, strict=True)):
                _book(office, phone, day)
                if n == 0:
                    time.sleep(0.5)
    except OperationalError as error:
        return "deadlock" if "deadlock" in str(error) else repr(error)
    return "booked"


@pytest.mark.parametrize("hold", [True, False], ids=["offices held", "not held"])
def test_batches_booking_days_in_opposite_orders_wait_instead_of_deadlocking(make_office, hold):
    office = make_office()
    wednesday = TUESDAY + datetime.timedelta(days=1)
    runs = [
        (office.pk, [new_phone(), new_phone()], [TUESDAY, wednesday], hold),
        (office.pk, [new_phone(), new_phone()], [wednesday, TUESDAY], hold),
    ]
    outcomes = sorted(in_parallel(_book_days_in_one_transaction, runs))
    if hold or connections["default"].vendor == "sqlite":  # SQLite: one writer at a time
        assert outcomes == ["booked", "booked"]
        assert Booking.objects.count() == 4
    else:  # what `hold_offices` is for: each held the day the other wanted
        assert outcomes == ["booked", "deadlock"]
    check_counters(office)
