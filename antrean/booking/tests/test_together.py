"""Plain bookings made together leave what `actions.book` one after another would."""

import itertools
from datetime import date, time

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.booking import actions, together
from antrean.booking.errors import BookingError
from antrean.booking.models import Applicant, Booking, BookingEvent, DayLoad, SlotLoad
from antrean.lib import bulk
from antrean.offices.models import ServiceType
from antrean.offices.schedules import schedule_for

from conftest import BIRTH, NOW, scaled_examples

pytestmark = pytest.mark.django_db

TUESDAY, WEDNESDAY, THURSDAY = date(2027, 8, 10), date(2027, 8, 11), date(2027, 8, 12)
VISITS = [None, TUESDAY, WEDNESDAY, date(2027, 8, 17), date(2027, 8, 14)]  # a holiday, Saturday
BIRTHS = [BIRTH, date(1950, 3, 1), date(2030, 1, 1)]  # the last not yet born: a refusal
SERVICES = ["baru", "percepatan", "hilang"]  # the last not bookable remotely: a refusal


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def codes(monkeypatch):
    """Booking codes drawn in order, so that both ways draw the same ones."""
    drawn = {"next": itertools.count()}
    monkeypatch.setattr(actions, "new_code", lambda: f"C{next(drawn['next']):07d}")
    return lambda: drawn.update(next=itertools.count())


def request(office, n, birth, visit, service, schedule=None):
    return together.Request(
        office=office,
        service=ServiceType.objects.get(code=service),
        phone=f"62812555{n:05d}",
        name=f"Pemohon {chr(65 + n // 26)}{chr(97 + n % 26)}",
        birth_date=birth,
        visit_date=visit,
        address="Jl. Merdeka  1" if n % 2 else None,
        channel="whatsapp",
        actor=f"whatsapp:{n}",
        lang="id",
        schedule=schedule or schedule_for(office, NOW),
    )


def one_after_another(requests):
    outcomes = []
    for r in requests:
        try:
            outcomes.append(
                actions.book(
                    office=r.office,
                    service=r.service,
                    phone=r.phone,
                    name=r.name,
                    birth_date=r.birth_date,
                    visit_date=r.visit_date,
                    address=r.address,
                    channel=r.channel,
                    actor=r.actor,
                    lang=r.lang,
                    now=NOW,
                    schedule=r.schedule,
                )
            )
        except BookingError as refusal:
            outcomes.append(refusal)
    return outcomes


def told(outcomes):
    return [
        (type(o).__name__, o.details)
        if isinstance(o, BookingError)
        else (o.booking.code, o.booking.visit_date, o.moved_from)
        for o in outcomes
    ]


def what_is_left():
    return (
        sorted(
            Booking.objects.values_list(
                "code",
                "phone",
                "name",
                "birth_date",
                "address",
                "quota",
                "requested_date",
                "visit_date",
                "slot_at",
                "status",
                "confirm_by",
                "channel",
                "applicants",
            )
        ),
        sorted(BookingEvent.objects.values_list("booking__code", "action", "actor", "detail")),
        sorted(Applicant.objects.values_list("booking__code", "position", "name", "held_nik")),
        sorted(DayLoad.objects.values_list("day", "quota", "capacity", "taken")),
        sorted(SlotLoad.objects.values_list("day", "start", "capacity", "taken")),
    )


def outcome(way, reset_codes):
    with transaction.atomic():
        reset_codes()
        said = told(way())
        left = what_is_left()
        transaction.set_rollback(True)
    return said, left


@settings(
    max_examples=scaled_examples(0.5),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    asked=st.lists(
        st.tuples(st.sampled_from(BIRTHS), st.sampled_from(VISITS), st.sampled_from(SERVICES)),
        min_size=1,
        max_size=16,
    ),
    days_taken=st.dictionaries(st.sampled_from([TUESDAY, WEDNESDAY]), st.integers(0, 10)),
    hours_full=st.sets(st.sampled_from([time(8), time(9), time(10), time(11)])),
    percepatan=st.sampled_from([2, 0]),  # none: its day's counter is made, and stays, full
)
def test_bookings_made_together_leave_what_one_after_another_would(
    office, codes, asked, days_taken, hours_full, percepatan
):
    with transaction.atomic():
        office.daily_percepatan = percepatan
        office.save()
        for day, taken in days_taken.items():  # days nearly full: bookings move on
            DayLoad.objects.create(
                office=office, day=day, quota="regular", capacity=10, taken=taken
            )
        for start in hours_full:  # Wednesday's hours full while its quota is not
            SlotLoad.objects.create(office=office, day=WEDNESDAY, start=start, capacity=3, taken=3)
        requests = [request(office, n, *wanted) for n, wanted in enumerate(asked)]

        def made_together():
            outcomes = together.book_together(requests, now=NOW)
            assert outcomes is not None  # the batch stood: it is what is compared
            return outcomes

        assert outcome(made_together, codes) == outcome(lambda: one_after_another(requests), codes)
        transaction.set_rollback(True)


def test_fifty_bookings_cost_a_few_statements(office, django_assert_max_num_queries):
    """Five days' worth, all new: the savepoint and its release, the live bookings, the
    first day's counter, then every later day's at once (a rush moves each request past
    the same full days), each day's hours, the counters made, the bookings (two inserts on
    SQLite, for its parameter limit), their history, their people. One by one: ~750."""
    office.daily_regular = office.capacity_per_hour * 4
    office.save()
    requests = [request(office, n, BIRTH, None, "baru") for n in range(50)]
    with django_assert_max_num_queries(16):
        outcomes = together.book_together(requests, now=NOW)
    booked = [o for o in outcomes if isinstance(o, actions.Booked)]
    assert len(booked) == 50
    assert sorted(DayLoad.objects.values_list("taken", flat=True)) == [2, 12, 12, 12, 12]
    assert Booking.objects.count() == Applicant.objects.count() == 50


def test_requests_for_many_days_read_their_counters_at_once(office, django_assert_max_num_queries):
    """Fifty people asking for ten different days, as in a rush for a release: the days'
    counters in one read and their hours in one, not two reads a day (29 statements)."""
    schedule = schedule_for(office, NOW)
    days = list(itertools.islice(schedule.bookable_days(NOW), 10))
    requests = [request(office, n, BIRTH, days[n % 10], "baru") for n in range(50)]
    with django_assert_max_num_queries(11):
        outcomes = together.book_together(requests, now=NOW)
    assert [o.booking.visit_date for o in outcomes] == [days[n % 10] for n in range(50)]
    assert sorted(DayLoad.objects.values_list("day", "taken")) == [(day, 5) for day in days]


def nothing_written():
    return not (
        Booking.objects.exists()
        or BookingEvent.objects.exists()
        or DayLoad.objects.filter(taken__gt=0).exists()
        or SlotLoad.objects.filter(taken__gt=0).exists()
    )


def test_a_code_drawn_twice_leaves_nothing_and_asks_for_one_by_one(office, monkeypatch):
    monkeypatch.setattr(actions, "new_code", lambda: "C0000001")
    requests = [request(office, n, BIRTH, TUESDAY, "baru") for n in range(3)]
    assert together.book_together(requests, now=NOW) is None
    assert nothing_written()


def test_a_live_booking_after_all_asks_for_one_by_one(office, book):
    requests = [request(office, n, BIRTH, TUESDAY, "baru") for n in range(3)]
    held = book(phone=requests[1].phone, visit_date=WEDNESDAY).booking
    assert together.book_together(requests, now=NOW) is None
    assert list(Booking.objects.all()) == [held]
    assert not DayLoad.objects.filter(day=TUESDAY).exists()


def test_seats_taken_meanwhile_refuse_the_counters_write(office, monkeypatch):
    """The ledger writes what it added, and the counters' check constraints decide: seats
    taken by another transaction since it read them (without its lock) refuse it all."""
    DayLoad.objects.create(office=office, day=TUESDAY, quota="regular", capacity=10, taken=8)
    add_to = bulk.add_to

    def taken_meanwhile(model, field, amounts, **kwargs):
        if model is DayLoad:
            DayLoad.objects.filter(day=TUESDAY).update(taken=10)
        return add_to(model, field, amounts, **kwargs)

    monkeypatch.setattr(together, "add_to", taken_meanwhile)
    requests = [request(office, n, BIRTH, TUESDAY, "baru") for n in range(2)]
    assert together.book_together(requests, now=NOW) is None
    assert not Booking.objects.exists()
    assert DayLoad.objects.get(day=TUESDAY).taken == 8  # undone with the savepoint


def test_refusals_are_told_and_the_rest_booked(office):
    requests = [
        request(office, 0, BIRTH, date(2027, 8, 17), "baru"),  # Independence Day
        request(office, 1, BIRTH, TUESDAY, "baru"),
        request(office, 2, date(2030, 1, 1), TUESDAY, "baru"),
    ]
    first, second, third = together.book_together(requests, now=NOW)
    assert isinstance(first, BookingError)
    assert isinstance(third, BookingError)
    assert second.booking.visit_date == TUESDAY
    assert Booking.objects.get().phone == requests[1].phone
    assert DayLoad.objects.get(day=TUESDAY).taken == 1
