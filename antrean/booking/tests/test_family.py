"""Family bookings: up to five people, each with their own NIK, one live booking per NIK
across every booking and channel."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from antrean.booking import actions
from antrean.booking.errors import (
    InvalidApplicants,
    InvalidName,
    InvalidNik,
    NikAlreadyBooked,
    NikRepeated,
)
from antrean.booking.lifecycle import Status
from antrean.booking.models import Applicant, DayLoad
from antrean.booking.rules import Person
from antrean.lib.crypto import lookup_hash

from conftest import BIRTH, nik_for

CHILD = datetime.date(2015, 3, 4)
SPOUSE = datetime.date(1990, 6, 21)


NAMES = ["Sri Wahyuni", "Dewi Santoso", "Agus Santoso", "Rina Santoso", "Tono Santoso"]


def family(*births):
    return [Person(NAMES[n], birth, nik_for(birth)) for n, birth in enumerate(births)]


def test_a_family_takes_one_seat_each_and_every_person_holds_their_nik(book):
    members = family(SPOUSE, CHILD)
    booked = book(nik=nik_for(BIRTH), family=members, channel="web").booking

    assert booked.applicants == 3
    people = list(booked.people.order_by("position"))
    assert [p.position for p in people] == [1, 2, 3]
    assert [p.name for p in people] == ["Budi Santoso", "Sri Wahyuni", "Dewi Santoso"]
    assert people[2].birth_date == CHILD and people[2].nik == members[1].nik
    assert all(p.held_nik == lookup_hash(p.nik) for p in people)
    load = DayLoad.objects.get(office=booked.office, day=booked.visit_date, quota=booked.quota)
    assert load.taken == 3


def test_a_family_members_nik_in_another_live_booking_is_refused_with_its_place(book):
    spouse_nik = nik_for(SPOUSE)
    book(name="Sri Wahyuni", birth_date=SPOUSE, nik=spouse_nik)  # booked herself on WhatsApp

    with pytest.raises(NikAlreadyBooked) as refused:
        book(nik=nik_for(BIRTH), family=[Person("Sri Wahyuni", SPOUSE, spouse_nik)])
    assert refused.value.details == {"applicant": 2}


def test_a_booker_whose_nik_is_held_as_a_family_member_is_refused(book):
    spouse_nik = nik_for(SPOUSE)
    book(nik=nik_for(BIRTH), family=[Person("Sri Wahyuni", SPOUSE, spouse_nik)])

    with pytest.raises(NikAlreadyBooked) as refused:
        book(name="Sri Wahyuni", birth_date=SPOUSE, nik=spouse_nik)
    assert refused.value.details == {}


def test_one_nik_twice_in_one_booking_names_both_places(book):
    child_nik = nik_for(CHILD)
    with pytest.raises(NikRepeated) as refused:
        book(
            nik=nik_for(BIRTH),
            family=[Person("Anak", CHILD, child_nik), Person("Anak Lagi", CHILD, child_nik)],
        )
    assert refused.value.details == {"applicant": 3, "same_as": 2}


def test_a_members_faulty_data_names_their_place(book):
    with pytest.raises(InvalidNik) as wrong_nik:
        book(nik=nik_for(BIRTH), family=[Person("Anak", CHILD, nik_for(SPOUSE))])
    assert wrong_nik.value.details["why"] == "mismatch"
    assert wrong_nik.value.details["applicant"] == 2

    with pytest.raises(InvalidName) as wrong_name:
        book(family=[Person("  ", CHILD, nik_for(CHILD))])
    assert wrong_name.value.details == {"why": "empty", "applicant": 2}


def test_six_people_are_too_many(book):
    with pytest.raises(InvalidApplicants):
        book(family=family(*[CHILD] * 5) + family(CHILD))


def test_leaving_the_live_statuses_lets_go_of_every_nik(book, now):
    members = family(SPOUSE)
    booked = book(nik=nik_for(BIRTH), family=members).booking

    actions.cancel(code=booked.code, now=now, actor="test")

    assert not Applicant.objects.filter(booking=booked, held_nik__isnull=False).exists()
    again = book(name="Sri Wahyuni", birth_date=SPOUSE, nik=members[0].nik).booking
    assert again.people.get().held_nik == lookup_hash(members[0].nik)


def test_a_lapsed_pending_code_of_the_same_nik_makes_way(book, now):
    members = family(SPOUSE)
    stale = book(family=members).booking
    later = stale.confirm_by + datetime.timedelta(minutes=1)

    again = book(name="Sri Wahyuni", birth_date=SPOUSE, nik=members[0].nik, now=later).booking

    stale.refresh_from_db()
    assert stale.status == Status.EXPIRED and again.status == Status.PENDING


def test_confirmed_at_once_gets_its_queue_number(book):
    booked = book(nik=nik_for(BIRTH), channel="web", confirmed=True).booking

    booked.refresh_from_db()
    assert booked.status == Status.CONFIRMED and booked.queue_number == "A-001"
    assert [e.action for e in booked.events.all()] == ["created", "confirmed"]


def test_the_database_itself_refuses_a_nik_held_twice(book):
    booked = book(nik=nik_for(BIRTH)).booking
    held = booked.people.get().held_nik
    other = book().booking

    with pytest.raises(IntegrityError), transaction.atomic():
        Applicant.objects.create(
            booking=other, position=2, name="X", birth_date=BIRTH, held_nik=held
        )
