"""Confirming, cancelling, rescheduling, checking in, and the jobs that expire codes."""

import datetime
from datetime import date, time, timedelta

import pytest

from antrean.booking import actions, errors
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking, DayLoad, SlotLoad
from antrean.booking.rules import Person, PriorityReason
from antrean.jobs.tasks import lifecycle_task

from conftest import BIRTH, WIB, nik_for

TUESDAY = date(2027, 8, 10)
WEDNESDAY = date(2027, 8, 11)


def taken(office, day, start):
    load = SlotLoad.objects.filter(office=office, day=day, start=start).first()
    return load.taken if load else 0


def day_taken(office, day):
    return sum(DayLoad.objects.filter(office=office, day=day).values_list("taken", flat=True))


def at(day, hour, minute=0):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=WIB)


class TestConfirm:
    def test_confirming_gives_queue_numbers_in_order_per_service(self, book, services, now):
        numbers = []
        for service in ["baru", "baru", "penggantian", "baru"]:
            booking = book(service=services[service]).booking
            numbers.append(actions.confirm(code=booking.code, now=now, actor="t").queue_number)
        assert numbers == ["A-001", "A-002", "B-001", "A-003"]

    def test_priority_bookings_get_p_numbers(self, book, now):
        booking = book(birth_date=date(1950, 1, 1), priority=PriorityReason.ELDERLY).booking
        assert actions.confirm(code=booking.code, now=now, actor="t").queue_number == "P-001"

    def test_queue_numbers_restart_each_day_and_office(self, book, now, make_office):
        a = book().booking
        b = book(visit_date=WEDNESDAY).booking
        c = book(office=make_office()).booking
        assert {
            actions.confirm(code=x.code, now=now, actor="t").queue_number for x in (a, b, c)
        } == {"A-001"}

    def test_confirming_twice_answers_the_same(self, book, now):
        booking = book().booking
        first = actions.confirm(code=booking.code, now=now, actor="t")
        again = actions.confirm(code=booking.code.lower(), now=now, actor="t")
        assert again.queue_number == first.queue_number == "A-001"
        assert booking.events.filter(action="confirmed").count() == 1

    def test_only_the_owner_can_confirm_by_phone(self, book, now):
        booking = book(phone="6281211112222").booking
        with pytest.raises(errors.BookingNotFound):
            actions.confirm(code=booking.code, now=now, actor="t", phone="6281299998888")
        confirmed = actions.confirm(code=booking.code, now=now, actor="t", phone="0812-1111-2222")
        assert confirmed.status == Status.CONFIRMED

    def test_an_unknown_code(self, now, db):
        for code in ["ABCDEFGH", "nonsense", ""]:
            with pytest.raises(errors.BookingNotFound):
                actions.confirm(code=code, now=now, actor="t")

    def test_a_late_confirmation_lapses_the_code_and_frees_the_seat(self, book, now, office):
        booking = book().booking
        with pytest.raises(errors.ConfirmationLapsed):
            actions.confirm(code=booking.code, now=now + timedelta(minutes=60), actor="t")
        booking.refresh_from_db()
        assert booking.status == Status.EXPIRED
        assert taken(office, TUESDAY, time(8)) == 0
        # Asking again still says it lapsed, and frees nothing twice.
        with pytest.raises(errors.ConfirmationLapsed):
            actions.confirm(code=booking.code, now=now + timedelta(minutes=90), actor="t")
        assert taken(office, TUESDAY, time(8)) == 0

    def test_a_cancelled_code_cannot_be_confirmed(self, book, now):
        booking = book().booking
        actions.cancel(code=booking.code, now=now, actor="t")
        with pytest.raises(errors.WrongStatus) as caught:
            actions.confirm(code=booking.code, now=now, actor="t")
        assert caught.value.details == {
            "code": booking.code,
            "status": "cancelled",
            "action": "confirm",
        }


class TestCancel:
    def test_cancel_frees_the_seat_at_once(self, book, now, office):
        booking = book(applicants=2).booking
        assert taken(office, TUESDAY, time(8)) == 2
        actions.cancel(code=booking.code, now=now, actor="whatsapp:6281211112222", reason="sakit")
        assert taken(office, TUESDAY, time(8)) == 0
        assert day_taken(office, TUESDAY) == 0
        event = booking.events.get(action="cancelled")
        assert (event.from_status, event.to_status, event.actor) == (
            "pending",
            "cancelled",
            "whatsapp:6281211112222",
        )
        assert event.detail == {"reason": "sakit"}

    def test_a_confirmed_booking_can_be_cancelled_and_its_seat_rebooked(self, book, now, office):
        bookings = [book().booking for _ in range(3)]
        actions.confirm(code=bookings[0].code, now=now, actor="t")
        actions.cancel(code=bookings[0].code, now=now, actor="t")
        assert book().booking.slot_at.astimezone(WIB).time() == time(8)

    def test_cancelling_twice_is_harmless(self, book, now, office):
        booking = book().booking
        actions.cancel(code=booking.code, now=now, actor="t")
        actions.cancel(code=booking.code, now=now, actor="t")
        assert taken(office, TUESDAY, time(8)) == 0
        assert booking.events.filter(action="cancelled").count() == 1

    def test_a_served_booking_cannot_be_cancelled(self, book, now):
        booking = book(visit_date=now.date()).booking
        actions.confirm(code=booking.code, now=now, actor="t")
        actions.check_in(code=booking.code, now=now, actor="officer:alice", identity_checked=True)
        with pytest.raises(errors.WrongStatus):
            actions.cancel(code=booking.code, now=now, actor="t")


class TestReschedule:
    def test_moves_seats_and_renews_the_queue_number(self, book, now, office):
        booking = book().booking
        actions.confirm(code=booking.code, now=now, actor="t")
        moved = actions.reschedule(code=booking.code, visit_date=WEDNESDAY, now=now, actor="t")
        assert moved.visit_date == WEDNESDAY
        assert moved.slot_at == at(WEDNESDAY, 8)
        assert moved.queue_number == "A-001"
        assert moved.reschedules == 1
        assert taken(office, TUESDAY, time(8)) == 0
        assert taken(office, WEDNESDAY, time(8)) == 1
        event = moved.events.get(action="rescheduled")
        assert event.detail == {
            "from_date": "2027-08-10",
            "from_start": "08:00",
            "to_date": "2027-08-11",
            "to_start": "08:00",
        }

    def test_to_another_hour_the_same_day(self, book, now, office):
        booking = book().booking
        moved = actions.reschedule(
            code=booking.code, visit_date=TUESDAY, hour=time(11), now=now, actor="t"
        )
        assert moved.slot_at == at(TUESDAY, 11)
        assert (taken(office, TUESDAY, time(8)), taken(office, TUESDAY, time(11))) == (0, 1)
        assert day_taken(office, TUESDAY) == 1

    def test_only_once(self, book, now):
        booking = book().booking
        actions.reschedule(code=booking.code, visit_date=WEDNESDAY, now=now, actor="t")
        with pytest.raises(errors.RescheduleLimit):
            actions.reschedule(code=booking.code, visit_date=date(2027, 8, 12), now=now, actor="t")

    def test_only_up_to_the_day_before(self, book, now):
        booking = book(visit_date=now.date()).booking
        with pytest.raises(errors.RescheduleTooLate):
            actions.reschedule(code=booking.code, visit_date=WEDNESDAY, now=now, actor="t")

    def test_to_the_same_slot_is_refused(self, book, now):
        booking = book().booking
        with pytest.raises(errors.SameSlot):
            actions.reschedule(code=booking.code, visit_date=TUESDAY, now=now, actor="t")

    def test_to_a_full_day_keeps_the_old_seat(self, book, now, office):
        booking = book().booking
        for _ in range(10):
            book(visit_date=WEDNESDAY)
        with pytest.raises(errors.DayFull) as caught:
            actions.reschedule(code=booking.code, visit_date=WEDNESDAY, now=now, actor="t")
        assert caught.value.details["next_day"] == date(2027, 8, 12)
        booking.refresh_from_db()
        assert booking.visit_date == TUESDAY and booking.reschedules == 0
        assert taken(office, TUESDAY, time(8)) == 1

    def test_to_a_closed_day_is_refused_with_its_name(self, book, now):
        booking = book().booking
        with pytest.raises(errors.DayClosed) as caught:
            actions.reschedule(code=booking.code, visit_date=date(2027, 8, 17), now=now, actor="t")
        assert "Kemerdekaan" in caught.value.details["closure"].name_id

    def test_only_by_the_owner(self, book, now):
        booking = book(phone="6281211112222").booking
        with pytest.raises(errors.BookingNotFound):
            actions.reschedule(
                code=booking.code, visit_date=WEDNESDAY, now=now, actor="t", phone="6281299998888"
            )


class TestCheckIn:
    def test_on_time(self, book, now):
        booking = book(visit_date=now.date(), hour=time(9)).booking
        actions.confirm(code=booking.code, now=now, actor="t")
        arrived = actions.check_in(
            code=booking.code, now=at(now.date(), 8, 30), actor="officer:a", identity_checked=True
        )
        assert arrived.status == Status.CHECKED_IN

    def test_late_arrival_is_refused(self, book, now):
        booking = book(visit_date=now.date(), hour=time(9)).booking
        actions.confirm(code=booking.code, now=now, actor="t")
        with pytest.raises(errors.ArrivalTooLate):
            actions.check_in(
                code=booking.code,
                now=at(now.date(), 8, 31),
                actor="officer:a",
                identity_checked=True,
            )

    def test_unconfirmed_codes_cannot_check_in(self, book, now):
        booking = book(visit_date=now.date()).booking
        with pytest.raises(errors.WrongStatus):
            actions.check_in(code=booking.code, now=now, actor="officer:a", identity_checked=True)

    def test_not_on_another_day(self, book, now):
        booking = book().booking
        actions.confirm(code=booking.code, now=now, actor="t")
        with pytest.raises(errors.NotVisitDay):
            actions.check_in(code=booking.code, now=now, actor="officer:a", identity_checked=True)


CHILD = date(2016, 5, 9)


class TestIdentityAtArrival:
    """A booking is not transferable: name, birth date and every recorded NIK are checked."""

    @pytest.fixture
    def family(self, book, now):
        """A confirmed web booking for 09.00 today: the booker and a child, both with NIK."""
        niks = [nik_for(BIRTH), nik_for(CHILD, female=True)]
        booking = book(
            visit_date=now.date(),
            hour=time(9),
            channel="web",
            nik=niks[0],
            family=[Person("Dewi Santoso", CHILD, niks[1])],
        ).booking
        actions.confirm(code=booking.code, now=now, actor="t")
        return booking, niks

    def arrive(self, booking, *, minute=30, **identity):
        return actions.check_in(
            code=booking.code, now=at(booking.visit_date, 8, minute), actor="officer:a", **identity
        )

    def test_every_recorded_nik_matches_in_any_order_and_as_typed(self, family):
        booking, (booker, child) = family
        typed = f"{child[:4]} {child[4:8]}.{child[8:]}\n"  # spaces and dots, a scanner's Enter
        arrived = self.arrive(booking, presented_niks=[typed, booker], identity_checked=True)
        assert arrived.status == Status.CHECKED_IN

    @pytest.mark.parametrize("place", [1, 2])
    def test_a_wrong_nik_names_the_place_and_nothing_is_written(self, family, place):
        booking, niks = family
        niks[place - 1] = nik_for(BIRTH)  # someone else's NIK
        with pytest.raises(errors.IdentityMismatch) as caught:
            self.arrive(booking, presented_niks=niks, identity_checked=True)
        assert caught.value.details == {"applicant": place}
        assert str(caught.value) == f"identity_mismatch (applicant={place})"  # no NIK in logs
        booking.refresh_from_db()
        assert (booking.status, booking.arrived_at) == (Status.CONFIRMED, None)
        assert not booking.events.filter(action__startswith="checked_in").exists()

    def test_a_missing_family_nik_is_a_mismatch(self, family):
        booking, (booker, _) = family
        with pytest.raises(errors.IdentityMismatch) as caught:
            self.arrive(booking, presented_niks=[booker, ""], identity_checked=True)
        assert caught.value.details == {"applicant": 2}

    def test_a_nik_that_is_no_one_s_in_the_booking_is_a_mismatch(self, family):
        booking, niks = family
        with pytest.raises(errors.IdentityMismatch) as caught:
            self.arrive(booking, presented_niks=[*niks, nik_for(CHILD)], identity_checked=True)
        assert caught.value.details == {"applicant": 3}

    def test_name_and_birth_date_must_be_confirmed(self, family):
        booking, niks = family
        with pytest.raises(errors.IdentityNotChecked):
            self.arrive(booking, presented_niks=niks)
        booking.refresh_from_db()
        assert booking.status == Status.CONFIRMED

    def test_without_a_recorded_nik_the_checkbox_is_the_check(self, book, now):
        booking = book(visit_date=now.date(), hour=time(9)).booking  # WhatsApp LAW: no NIK
        actions.confirm(code=booking.code, now=now, actor="t")
        with pytest.raises(errors.IdentityNotChecked):
            self.arrive(booking)
        with pytest.raises(errors.IdentityMismatch) as caught:  # a NIK we cannot match
            self.arrive(booking, presented_niks=[nik_for(BIRTH)], identity_checked=True)
        assert caught.value.details == {"applicant": 1}
        assert self.arrive(booking, identity_checked=True).status == Status.CHECKED_IN

    def test_a_late_arrival_let_in_by_a_supervisor_is_checked_too(self, family):
        booking, (booker, child) = family
        late = {"minute": 45, "override": "banjir"}
        with pytest.raises(errors.IdentityNotChecked):
            self.arrive(booking, presented_niks=[booker, child], **late)
        with pytest.raises(errors.IdentityMismatch) as caught:
            self.arrive(booking, presented_niks=[booker, booker], identity_checked=True, **late)
        assert caught.value.details == {"applicant": 2}
        arrived = self.arrive(
            booking, presented_niks=[booker, child], identity_checked=True, **late
        )
        assert arrived.status == Status.CHECKED_IN
        assert arrived.events.last().action == "checked_in_late"


class TestJobs:
    def test_unconfirmed_codes_lapse_and_free_their_seats(self, book, now, office):
        old = book().booking
        fresh = book(now=now + timedelta(minutes=30)).booking
        confirmed = book().booking
        actions.confirm(code=confirmed.code, now=now, actor="t")
        assert actions.lapse_unconfirmed(now=now + timedelta(minutes=61)) == 1
        assert actions.lapse_unconfirmed(now=now + timedelta(minutes=61)) == 0  # idempotent
        statuses = {b.code: b.status for b in Booking.objects.all()}
        assert statuses == {old.code: "expired", fresh.code: "pending", confirmed.code: "confirmed"}
        assert taken(office, TUESDAY, time(8)) == 2
        assert old.events.get(action="lapsed").actor == "system:lapse"

    def test_late_confirmed_codes_are_voided_at_the_deadline(self, book, now, office):
        early = book(visit_date=now.date(), hour=time(8)).booking
        later = book(visit_date=now.date(), hour=time(9)).booking
        for booking in (early, later):
            actions.confirm(code=booking.code, now=now, actor="t")
        assert actions.expire_late(now=at(now.date(), 7, 30)) == 0  # exactly on time: fine
        assert actions.expire_late(now=at(now.date(), 7, 31)) == 1
        assert actions.expire_late(now=at(now.date(), 7, 31)) == 0
        early.refresh_from_db()
        later.refresh_from_db()
        assert (early.status, later.status) == ("expired", "confirmed")
        assert taken(office, now.date(), time(8)) == 0

    def test_checked_in_applicants_are_never_voided(self, book, now):
        booking = book(visit_date=now.date(), hour=time(8)).booking
        actions.confirm(code=booking.code, now=now, actor="t")
        actions.check_in(code=booking.code, now=now, actor="officer:a", identity_checked=True)
        assert actions.expire_late(now=at(now.date(), 12)) == 0

    def test_the_periodic_task_runs_both(self, book, now, time_machine):
        pending = book().booking
        time_machine.move_to(now + timedelta(hours=2))
        lifecycle_task.call_local()
        pending.refresh_from_db()
        assert pending.status == Status.EXPIRED


class TestCapacityChanges:
    def test_raising_a_capacity_opens_seats_on_days_already_booked(self, book, now, office):
        for _ in range(3):
            book(hour=time(8))
        office.capacity_per_hour = 5
        office.save()
        actions.sync_capacities(office=office, now=now)
        book(hour=time(8))
        assert taken(office, TUESDAY, time(8)) == 4

    def test_lowering_never_cancels_and_shrinks_as_people_leave(self, book, now, office):
        bookings = [book(hour=time(8)).booking for _ in range(3)]
        office.capacity_per_hour = 1
        office.save()
        actions.sync_capacities(office=office, now=now)
        load = SlotLoad.objects.get(office=office, day=TUESDAY, start=time(8))
        assert (load.capacity, load.taken) == (3, 3)
        actions.cancel(code=bookings[0].code, now=now, actor="t")
        load.refresh_from_db()
        assert (load.capacity, load.taken) == (2, 2)
        with pytest.raises(errors.HourFull):
            book(hour=time(8))


def test_a_rescheduled_pending_code_must_be_confirmed_before_its_new_deadline(
    book, now, make_office, service
):
    from antrean.booking import actions as booking_actions

    office = make_office(confirm_minutes=24 * 60)  # a generous office
    booking = book(office=office, service=service, visit_date=date(2027, 8, 12)).booking
    assert booking.confirm_by == now + timedelta(hours=24)
    moved = booking_actions.reschedule(
        code=booking.code, visit_date=now.date(), hour=time(8), now=now, actor="t"
    )
    assert moved.confirm_by == at(now.date(), 7, 30)  # arrival deadline of the new slot


def test_an_hour_without_a_day_is_a_programming_error(book):
    with pytest.raises(TypeError):
        book(visit_date=None, hour=time(8))


def test_a_closed_office_takes_no_reschedules(book, now, office):
    booking = book().booking
    office.is_active = False
    office.save()
    with pytest.raises(errors.OfficeUnavailable):
        actions.reschedule(code=booking.code, visit_date=WEDNESDAY, now=now, actor="t")
