"""Booking: seats taken in order, full days moved on, one live booking per person."""

import datetime
from datetime import date, time, timedelta

import pytest

from antrean.booking import actions, errors
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking, BookingEvent, DayLoad, SlotLoad
from antrean.booking.rules import PriorityReason, Quota

from conftest import BIRTH, NOW, WIB, new_phone

TUESDAY = date(2027, 8, 10)
WEDNESDAY = date(2027, 8, 11)


def slot_taken(office, day):
    return {
        load.start: load.taken
        for load in SlotLoad.objects.filter(office=office, day=day).order_by("start")
    }


def day_taken(office, day, quota=Quota.REGULAR):
    load = DayLoad.objects.filter(office=office, day=day, quota=quota).first()
    return load.taken if load else 0


def nothing_written():
    return (
        Booking.objects.count() == 0
        and BookingEvent.objects.count() == 0
        and not SlotLoad.objects.filter(taken__gt=0).exists()
        and not DayLoad.objects.filter(taken__gt=0).exists()
    )


def test_a_booking_takes_the_first_hour_and_waits_for_confirmation(book, office):
    booked = book()
    booking = booked.booking
    assert booked.moved_from is None
    assert booking.status == Status.PENDING
    assert booking.visit_date == TUESDAY
    assert booking.slot_at == datetime.datetime(2027, 8, 10, 8, 0, tzinfo=WIB)
    assert booking.queue_number is None
    assert booking.confirm_by == NOW + timedelta(minutes=60)
    assert len(booking.code) == 8
    assert slot_taken(office, TUESDAY)[time(8)] == 1
    assert day_taken(office, TUESDAY) == 1
    event = booking.events.get()
    assert (event.action, event.to_status, event.actor) == ("created", "pending", "test")


def test_hours_fill_in_order(book, office):
    starts = [book().booking.slot_at.astimezone(WIB).time() for _ in range(7)]
    assert starts == [time(8)] * 3 + [time(9)] * 3 + [time(10)]


def test_a_family_sits_in_one_hour(book, office):
    book()
    book()  # 08.00 now holds 2 of 3
    family = book(applicants=3).booking
    assert family.slot_at.astimezone(WIB).time() == time(9)
    assert slot_taken(office, TUESDAY) == {time(8): 2, time(9): 3, time(10): 0, time(11): 0}
    assert day_taken(office, TUESDAY) == 5


def test_a_full_day_moves_to_the_next_open_day_and_says_so(book, office):
    for _ in range(10):  # the daily regular quota
        book()
    booked = book()
    assert booked.moved_from == TUESDAY
    assert booked.booking.visit_date == WEDNESDAY
    assert booked.booking.requested_date == TUESDAY
    assert booked.booking.events.get().detail == {"moved_from": "2027-08-10"}


def test_a_move_reads_the_full_days_it_passes_over_once(make_office, book):
    """A rush fills the earliest days; a booking moved past many of them must not try each
    (a savepoint, a refused update and a look for the counter per day)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    office = make_office(daily_regular=1)

    def moved(full_days):
        for day in full_days:
            book(office=office, visit_date=day)
        with CaptureQueriesContext(connection) as statements:
            booking = book(office=office, visit_date=TUESDAY).booking
        return booking.visit_date, len(statements)

    thursday, friday, monday = date(2027, 8, 12), date(2027, 8, 13), date(2027, 8, 16)
    near, near_cost = moved([TUESDAY, WEDNESDAY])
    far, far_cost = moved([friday, monday])  # Thursday was the first move's
    assert (near, far) == (thursday, date(2027, 8, 18))  # past a weekend and the 17th
    assert far_cost == near_cost


def test_hours_full_before_the_daily_quota_also_move_on(make_office, book, now):
    office = make_office(daily_regular=100)  # 4 hours x 3 seats = 12 < 100
    for _ in range(12):
        book(office=office, visit_date=TUESDAY)
    booked = book(office=office, visit_date=TUESDAY)
    assert booked.booking.visit_date == WEDNESDAY
    # The day quota taken for Tuesday by the failed attempt was given back.
    assert day_taken(office, TUESDAY) == 12


def test_a_move_skips_holidays(book, office):
    monday = date(2027, 8, 16)
    for _ in range(10):
        book(visit_date=monday)
    booked = book(visit_date=monday)
    assert booked.booking.visit_date == date(2027, 8, 18)  # the 17th is Independence Day


def test_without_moving_a_full_day_is_refused_with_the_next_day(book):
    for _ in range(10):
        book()
    with pytest.raises(errors.DayFull) as caught:
        book(move_if_full=False)
    assert caught.value.details == {"day": TUESDAY, "next_day": WEDNESDAY}


def test_a_chosen_hour_that_is_full_is_refused(book):
    for _ in range(3):
        book(hour=time(9))
    with pytest.raises(errors.HourFull):
        book(hour=time(9))
    assert book(hour=time(10)).booking.slot_at.astimezone(WIB).time() == time(10)


def test_earliest_day_when_no_date_is_asked(book, now):
    booked = book(visit_date=None)
    assert booked.booking.visit_date == now.date()  # Monday 06.00: today still open
    assert booked.booking.requested_date is None
    assert booked.moved_from is None


def test_when_nothing_is_free_up_to_the_horizon(make_office, book, now):
    office = make_office(daily_regular=1, horizon_days=2)  # Mon, Tue, Wed
    for _ in range(3):
        book(office=office, visit_date=None)
    with pytest.raises(errors.FullyBooked):
        book(office=office, visit_date=None)


class TestOneLiveBookingPerPerson:
    def test_a_second_booking_from_the_same_number_shows_the_first(self, book, office):
        first = book(phone="0812-1111-2222").booking
        with pytest.raises(errors.AlreadyBooked) as caught:
            book(phone="+62 812 1111 2222", visit_date=WEDNESDAY)
        assert caught.value.details["code"] == first.code
        assert caught.value.details["visit_date"] == TUESDAY
        assert caught.value.details["office"] == office.name
        assert Booking.objects.count() == 1
        assert day_taken(office, WEDNESDAY) == 0

    def test_a_number_with_a_live_booking_elsewhere_is_refused_too(self, book, make_office):
        book(phone="6281211112222")
        with pytest.raises(errors.AlreadyBooked):
            book(phone="6281211112222", office=make_office())

    def test_after_cancelling_the_number_may_book_again(self, book, now):
        first = book(phone="6281211112222").booking
        actions.cancel(code=first.code, now=now, actor="test")
        assert book(phone="6281211112222").booking.code != first.code

    def test_a_lapsed_pending_code_does_not_block_its_owner(self, book, now, office):
        first = book(phone="6281211112222").booking
        later = now + timedelta(minutes=61)
        second = book(phone="6281211112222", now=later).booking
        first.refresh_from_db()
        assert first.status == Status.EXPIRED
        assert second.status == Status.PENDING
        assert day_taken(office, TUESDAY) == 1  # the lapsed seat came back

    def test_one_live_booking_per_nik_across_numbers(self, book):
        book(nik="3171012501870001")
        with pytest.raises(errors.NikAlreadyBooked) as caught:
            book(nik="3171 0125 0187 0001")
        assert caught.value.details == {}  # nothing about the other booking leaks


class TestRefusalsWriteNothing:
    @pytest.mark.parametrize(
        ("overrides", "error"),
        [
            ({"name": "  "}, errors.InvalidName),
            ({"birth_date": date(2030, 1, 1)}, errors.InvalidBirthDate),
            ({"phone": "12"}, errors.InvalidPhone),
            ({"applicants": 6}, errors.InvalidApplicants),
            ({"nik": "3171012601870001"}, errors.InvalidNik),  # does not match 25 Jan 1987
            ({"visit_date": date(2027, 8, 6)}, errors.VisitDateInPast),
            ({"visit_date": date(2027, 8, 17)}, errors.DayClosed),
            ({"visit_date": date(2027, 8, 14)}, errors.DayClosed),
            ({"visit_date": date(2027, 8, 24)}, errors.BeyondHorizon),
            ({"hour": time(13)}, errors.HourNotOffered),
            ({"priority": PriorityReason.ELDERLY}, errors.PriorityNotEligible),
        ],
    )
    def test_bad_input(self, book, overrides, error):
        with pytest.raises(error):
            book(**overrides)
        assert nothing_written()

    def test_lost_passports_are_never_booked(self, book, services):
        with pytest.raises(errors.ServiceNotBookable) as caught:
            book(service=services["hilang"])
        assert caught.value.details["service"] == "Penggantian paspor hilang"
        assert nothing_written()

    def test_an_inactive_office(self, book, make_office):
        with pytest.raises(errors.OfficeUnavailable):
            book(office=make_office(is_active=False))
        assert nothing_written()


class TestRegistrationHours:
    def test_batam_takes_requests_only_in_its_hours(self, make_office, service):
        batam = make_office(
            registration_opens_at=time(7, 30),
            registration_closes_at=time(10, 0),
            message_format="batam",
        )
        args = {
            "office": batam,
            "service": service,
            "name": "Budi",
            "birth_date": BIRTH,
            "channel": "whatsapp",
            "actor": "t",
            "visit_date": None,
            "address": "Jl. Engku  Putri No. 3, Batam Centre",
        }
        with pytest.raises(errors.OutsideRegistrationHours):
            actions.book(phone=new_phone(), now=NOW, **args)  # 06.00
        booked = actions.book(phone=new_phone(), now=NOW.replace(hour=7, minute=45), **args)
        # Registered 07.45: 08.00 needs arrival by 07.30, so 09.00 today.
        assert booked.booking.slot_at == datetime.datetime(2027, 8, 9, 9, 0, tzinfo=WIB)
        assert booked.booking.address == "Jl. Engku Putri No. 3, Batam Centre"


class TestQuotas:
    def test_percepatan_has_its_own_daily_quota(self, book, services, office):
        for _ in range(2):
            book(service=services["percepatan"])
        booked = book(service=services["percepatan"])
        assert booked.booking.visit_date == WEDNESDAY  # percepatan quota of 2 is used up
        assert day_taken(office, TUESDAY, Quota.PERCEPATAN) == 2
        assert day_taken(office, TUESDAY, Quota.REGULAR) == 0

    def test_priority_quota_for_the_elderly(self, book, office):
        booked = book(birth_date=date(1960, 1, 1), priority=PriorityReason.ELDERLY)
        assert booked.booking.quota == Quota.PRIORITY
        assert day_taken(office, TUESDAY, Quota.PRIORITY) == 1


def test_personal_data_is_encrypted_at_rest(book):
    from django.db import connection

    booking = book(nik="3171012501870001", address="Jl. Merpati No. 3").booking
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT birth_date, nik, nik_hash, address FROM booking_booking WHERE id = %s",
            [booking.pk],
        )
        birth, nik, nik_hash, address = cursor.fetchone()
    for stored, plain in [
        (birth, "1987-01-25"),
        (nik, "3171012501870001"),
        (address, "Jl. Merpati"),
    ]:
        assert plain not in stored and stored.startswith("gAAAAA")  # a Fernet token
    assert "3171012501870001" not in nik_hash
    fresh = Booking.objects.get(pk=booking.pk)
    assert (fresh.birth_date, fresh.nik, fresh.address) == (
        BIRTH,
        "3171012501870001",
        "Jl. Merpati No. 3",
    )


def test_an_hour_asked_on_a_day_whose_quota_is_gone_names_the_day(make_office, book, now):
    office = make_office(daily_regular=2)  # hours hold 3 each, the day only 2
    for _ in range(2):
        book(office=office, visit_date=TUESDAY, hour=time(8))
    with pytest.raises(errors.DayFull) as caught:
        book(office=office, visit_date=TUESDAY, hour=time(8))
    assert caught.value.details["next_day"] == WEDNESDAY


def test_no_hour_offers_more_than_its_day(make_office, now):
    from antrean.booking import availability
    from antrean.booking.rules import Quota
    from antrean.offices.schedules import schedule_for

    office = make_office(daily_regular=2)
    room = availability.rooms(office, schedule_for(office, now), [TUESDAY], Quota.REGULAR, now)
    assert {left for _, left in room[TUESDAY].hours} == {2}
