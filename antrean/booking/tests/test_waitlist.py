"""The waitlist: a full day's seats, whenever they come free and by whatever path, go to
those waiting, in order, each with a time-limited claim."""

import datetime
from datetime import date, time, timedelta

import pytest

from antrean.booking import actions, errors, payments, waitlist
from antrean.booking.lifecycle import Status
from antrean.booking.models import Applicant, Booking, DayLoad
from antrean.jobs import lifecycle
from antrean.whatsapp.messages import Buttons, Template, from_json
from antrean.whatsapp.models import Contact, OutboundMessage

from conftest import NOW, WIB, nik_for

TUESDAY = date(2027, 8, 10)
WEDNESDAY = date(2027, 8, 11)
BIRTH = date(1990, 1, 15)


def at(day: date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, time(hour, minute), tzinfo=WIB)


@pytest.fixture
def full_tuesday(book):
    """Tuesday's ten regular seats, all confirmed."""
    return [
        actions.confirm(code=book(hour=time(8 + i % 4)).booking.code, now=NOW, actor="t")
        for i in range(10)
    ]


@pytest.fixture
def waiting(book, full_tuesday):
    """Someone who asked for the full Tuesday, was moved to Wednesday, and chose to wait."""

    def make(**overrides):
        booked = book(**overrides)
        assert booked.moved_from == TUESDAY
        return waitlist.wait_instead(
            code=booked.booking.code, phone=booked.booking.phone, now=NOW, actor="t"
        )

    return make


def seats(office, day) -> int:
    return DayLoad.objects.get(office=office, day=day, quota="regular").taken


def test_waiting_gives_the_later_day_back_and_joins_the_asked_days_list(waiting, office):
    first = waiting()
    second = waiting()
    assert (first.status, first.visit_date, first.queue_number) == ("waitlisted", TUESDAY, None)
    assert seats(office, WEDNESDAY) == 0
    assert (waitlist.position(first), waitlist.position(second)) == (1, 2)
    assert first.events.filter(action="waitlisted").count() == 1
    assert waitlist.wait_instead(code=first.code, phone=first.phone, now=NOW, actor="t") == first


def test_only_a_booking_moved_off_a_full_day_may_wait(book):
    booking = book().booking
    with pytest.raises(errors.NothingToWaitFor):
        waitlist.wait_instead(code=booking.code, phone=booking.phone, now=NOW, actor="t")


def test_one_place_per_phone(waiting, book):
    first = waiting()
    again = book(phone=first.phone).booking  # a number on a waitlist may still book
    assert again.visit_date == WEDNESDAY
    with pytest.raises(errors.AlreadyWaiting):
        waitlist.wait_instead(code=again.code, phone=again.phone, now=NOW, actor="t")


def _cancel(booking, now):
    actions.cancel(code=booking.code, now=now, actor="t")


def _reschedule(booking, now):
    actions.reschedule(code=booking.code, visit_date=date(2027, 8, 12), now=now, actor="t")


def _late(booking, now):
    assert actions.expire_late(now=at(TUESDAY, 7, 31)) >= 1


def _unpaid(booking, now):
    booking.office.payment = "before"
    payment = payments.bill(booking, now=now)
    payment.due_at = now
    payment.save()
    assert payments.lapse_unpaid(now=now) == 1


FREEING = {"cancel": _cancel, "reschedule": _reschedule, "late": _late, "unpaid": _unpaid}


@pytest.mark.parametrize("path", FREEING)
def test_a_seat_freed_by_any_path_is_offered_to_the_first_in_line(
    path, waiting, full_tuesday, office
):
    first, second = waiting(), waiting()
    freed = full_tuesday[0]  # the 08.00 hour
    FREEING[path](freed, NOW)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "pending"
    assert first.events.filter(action="offered").count() == 1
    if path == "late":
        # 07.31: the three 08.00 seats are freed, but the 08.00 hour is over and only the
        # 10.00 and 11.00 hours have room.
        assert seats(office, TUESDAY) == 9
        assert second.status == "pending"
        assert {first.slot_at, second.slot_at} == {at(TUESDAY, 10), at(TUESDAY, 11)}
        assert first.confirm_by == at(TUESDAY, 7, 31) + timedelta(minutes=30)
    else:
        assert seats(office, TUESDAY) == 10
        assert second.status == "waitlisted"
        assert first.slot_at == at(TUESDAY, 8)
        assert first.confirm_by == NOW + timedelta(minutes=30)


def test_a_lapsed_code_frees_its_seat_for_the_waitlist(book, office):
    pending = [book(hour=time(8 + i % 4)).booking for i in range(10)]  # unconfirmed
    moved = book()
    entry = waitlist.wait_instead(
        code=moved.booking.code, phone=moved.booking.phone, now=NOW, actor="t"
    )
    actions.lapse_unconfirmed(now=pending[0].confirm_by)
    entry.refresh_from_db()
    assert entry.status == "pending"  # all ten lapsed; the first seat went to the list


def test_raising_the_capacity_offers_the_new_seats(waiting, office):
    first = waiting()
    office.daily_regular = 11
    office.save()
    actions.sync_capacities(office=office, now=NOW)
    first.refresh_from_db()
    assert first.status == "pending"


def test_an_offer_not_claimed_in_time_passes_to_the_next(waiting, full_tuesday, office):
    first, second = waiting(), waiting()
    Contact.objects.create(number=office.numbers.get(), wa_id=first.phone, last_inbound_at=NOW)
    actions.cancel(code=full_tuesday[0].code, now=NOW, actor="t")
    lifecycle.run(NOW + timedelta(minutes=1))
    lifecycle.run(NOW + timedelta(minutes=2))
    offers = [
        from_json(r.message) for r in OutboundMessage.objects.filter(contact__wa_id=first.phone)
    ]
    assert len(offers) == 1 and isinstance(offers[0], Buttons)
    assert [b.id for b in offers[0].buttons] == [f"confirm:{first.code}", f"cancel:{first.code}"]
    # The second has no open chat: the offer goes as the template, with quick replies.
    first.refresh_from_db()
    lifecycle.run(first.confirm_by)
    lifecycle.run(first.confirm_by + timedelta(minutes=1))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("expired", "pending")
    told_first = [
        from_json(r.message) for r in OutboundMessage.objects.filter(contact__wa_id=first.phone)
    ]
    assert "diteruskan" in told_first[-1].body or "teruskan" in told_first[-1].body
    (offer,) = [
        from_json(r.message) for r in OutboundMessage.objects.filter(contact__wa_id=second.phone)
    ]
    assert isinstance(offer, Template) and offer.name == "antrean_tawaran_kursi"
    assert offer.quick_replies == (f"confirm:{second.code}", f"cancel:{second.code}")
    claimed = actions.confirm(
        code=second.code, now=second.confirm_by - timedelta(minutes=1), actor="t"
    )
    assert claimed.status == "confirmed" and claimed.queue_number


def test_someone_who_booked_elsewhere_is_passed_over(waiting, full_tuesday, book):
    first, second = waiting(), waiting()
    book(phone=first.phone, visit_date=WEDNESDAY)
    actions.cancel(code=full_tuesday[0].code, now=NOW, actor="t")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("expired", "pending")
    assert first.events.filter(action="waitlist_left").count() == 1


def test_an_offer_holds_the_family_niks(book, full_tuesday, office):
    from antrean.booking.rules import Person

    child = Person("Adik Santoso", date(2015, 3, 1), nik_for(date(2015, 3, 1)))
    moved = book(family=[child], nik=nik_for(BIRTH), birth_date=BIRTH)
    entry = waitlist.wait_instead(
        code=moved.booking.code, phone=moved.booking.phone, now=NOW, actor="t"
    )
    assert not Applicant.objects.filter(booking=entry, held_nik__isnull=False).exists()
    actions.cancel(code=full_tuesday[0].code, now=NOW, actor="t")
    entry.refresh_from_db()
    assert entry.status == "waitlisted"  # one seat is not enough for two
    actions.cancel(code=full_tuesday[4].code, now=NOW, actor="t")  # the same 08.00 hour
    entry.refresh_from_db()
    assert entry.status == "pending"
    assert Applicant.objects.filter(booking=entry, held_nik__isnull=False).count() == 2


def test_the_waitlist_ends_with_the_day(waiting, office):
    entry = waiting()
    Contact.objects.create(number=office.numbers.get(), wa_id=entry.phone, last_inbound_at=NOW)
    # (Run alone: the whole minute would void Tuesday's unconfirmed arrivals first, and
    # offer their seats.)
    assert waitlist.end_waitlists(now=at(TUESDAY, 10, 29)) == 0  # 11.00 may still come free
    assert waitlist.end_waitlists(now=at(TUESDAY, 10, 30)) == 1
    assert waitlist.end_waitlists(now=at(TUESDAY, 10, 31)) == 0
    lifecycle.tell_events(at(TUESDAY, 10, 31))
    lifecycle.tell_events(at(TUESDAY, 10, 32))
    entry.refresh_from_db()
    assert entry.status == "expired"
    (told,) = [
        from_json(r.message) for r in OutboundMessage.objects.filter(contact__wa_id=entry.phone)
    ]
    assert told.name == "antrean_pemesanan_berakhir"  # the chat went quiet a day ago
    assert told.params[2] == "tidak ada kursi kosong dari daftar tunggu"


def test_leaving_the_waitlist(waiting):
    entry = waiting()
    left = actions.cancel(code=entry.code, now=NOW, actor="t")
    assert left.status == Status.CANCELLED
    assert not Booking.objects.filter(status="waitlisted").exists()
