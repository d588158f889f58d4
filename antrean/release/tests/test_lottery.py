"""A lottery office's release: planned with its seed's hash public, entries in the window,
the draw in the published order, the seats given through the booking rules, every entrant
told once, and first-come for what is left."""

import datetime
import json
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from antrean.booking import actions, errors
from antrean.booking.models import Booking, DayLoad, SlotLoad
from antrean.booking.rules import Quota
from antrean.offices.schedules import schedule_for
from antrean.release import actions as lottery
from antrean.release import draw, jobs, notify
from antrean.release.models import Entry, Outcome, Release
from antrean.whatsapp.messages import Buttons, Template, Text, from_json
from antrean.whatsapp.models import Contact, OutboundMessage

from conftest import NOW, new_phone, nik_for

WIB = ZoneInfo("Asia/Jakarta")
SEPTEMBER = (date(2027, 9, 1), date(2027, 9, 30))
OPENS = datetime.datetime(2027, 8, 31, 9, 0, tzinfo=WIB)  # Tuesday, the last working day
IN_WINDOW = OPENS + timedelta(minutes=10)
AFTER = OPENS + timedelta(minutes=31)
ADULT = date(1990, 5, 17)
ELDER = date(1950, 2, 3)


@pytest.fixture
def lottery_office(make_office):
    return make_office(release_mode="lottery", horizon_days=60)


@pytest.fixture
def release(lottery_office):
    return lottery.plan(lottery_office, NOW)


@pytest.fixture
def one_day(lottery_office):
    """A release of one day (Wednesday 1 September): 10 regular seats, 2 priority."""
    seed = draw.new_seed()
    return Release.objects.create(
        office=lottery_office,
        first_day=date(2027, 9, 1),
        last_day=date(2027, 9, 1),
        opens_at=OPENS,
        closes_at=OPENS + timedelta(minutes=30),
        seed=seed,
        seed_hash=draw.seed_hash(seed),
        created_at=NOW,
    )


def enter(release, service, *, phone=None, birth=ADULT, nik=None, day=None, family=()):
    """An entry from WhatsApp: the person wrote in the window, so answers are free text."""
    phone = phone or new_phone()
    Contact.objects.get_or_create(
        number=release.office.numbers.get(), wa_id=phone, defaults={"last_inbound_at": IN_WINDOW}
    )
    return lottery.enter(
        release=release,
        service=service,
        phone=phone,
        name="Sri Wahyuni",
        birth_date=birth,
        nik=nik,
        visit_date=day,
        family=family,
        channel="whatsapp",
        now=IN_WINDOW,
    )


def said_to(phone: str) -> list:
    return [from_json(row.message) for row in OutboundMessage.objects.filter(contact__wa_id=phone)]


# --- Planning ----------------------------------------------------------------------------
def test_the_next_month_is_planned_with_only_its_seeds_hash_public(release):
    assert (release.first_day, release.last_day) == SEPTEMBER
    assert release.opens_at == OPENS
    assert release.closes_at == OPENS + timedelta(minutes=30)
    assert release.seed_hash == draw.seed_hash(release.seed)
    assert lottery.plan(release.office, NOW) is None  # one waiting release at a time
    assert Release.objects.count() == 1


def test_a_first_come_office_plans_nothing(office):
    assert lottery.plan(office, NOW) is None


def test_a_window_already_past_is_never_planned(lottery_office):
    late = OPENS + timedelta(minutes=1)
    planned = lottery.plan(lottery_office, late)
    assert planned.first_day == date(2027, 10, 1)  # September stays first-come
    assert planned.opens_at == datetime.datetime(2027, 9, 30, 9, 0, tzinfo=WIB)


def test_the_days_of_a_waiting_release_are_held_from_first_come(release, book, service):
    schedule = schedule_for(release.office, NOW)
    assert schedule.last_day(NOW) == date(2027, 8, 31)
    with pytest.raises(errors.NotYetReleased) as refused:
        book(office=release.office, visit_date=date(2027, 9, 2))
    assert refused.value.details["why"] == "before"
    assert refused.value.details["opens_at"] == OPENS
    assert book(office=release.office, visit_date=date(2027, 8, 31)).booking.pk


def test_in_the_window_and_after_it_the_refusal_says_which_stage(release, book):
    for moment, stage in ((IN_WINDOW, "open"), (AFTER, "drawing")):
        with pytest.raises(errors.NotYetReleased) as refused:
            book(office=release.office, visit_date=date(2027, 9, 2), now=moment)
        assert refused.value.details["why"] == stage


# --- Entering ----------------------------------------------------------------------------
def test_entries_are_numbered_in_the_order_they_come(release, service):
    assert [enter(release, service).ticket for _ in range(3)] == [1, 2, 3]
    release.refresh_from_db()
    assert release.entries == 3


def test_one_entry_per_phone_and_per_nik(release, service):
    phone, nik = new_phone(), nik_for(ADULT)
    first = enter(release, service, phone=phone, nik=nik)
    with pytest.raises(errors.AlreadyEntered) as again:
        enter(release, service, phone=phone)
    assert again.value.details["ticket"] == first.ticket
    with pytest.raises(errors.NikAlreadyEntered):
        enter(release, service, nik=nik)
    assert Entry.objects.count() == 1


def test_someone_with_a_live_booking_cannot_enter(release, book, service):
    held = book(office=release.office, visit_date=date(2027, 8, 30)).booking
    actions.confirm(code=held.code, now=NOW, actor="t")
    with pytest.raises(errors.AlreadyBooked):
        enter(release, service, phone=held.phone)


def test_an_entry_is_checked_like_a_booking(release, service):
    with pytest.raises(errors.InvalidApplicants):
        enter(
            release,
            service,
            family=[actions.Person("Anak", date(2015, 1, 1), None)] * 5,
        )
    with pytest.raises(errors.InvalidName):
        lottery.enter(
            release=release,
            service=service,
            phone=new_phone(),
            name="!!",
            birth_date=ADULT,
            channel="web",
            now=IN_WINDOW,
        )


def test_an_office_that_stopped_taking_bookings_takes_no_entries(release, service):
    release.office.is_active = False
    release.office.save()
    with pytest.raises(errors.OfficeUnavailable):
        enter(release, service)


def test_entries_outside_the_window_are_refused(release, service):
    for moment in (OPENS - timedelta(seconds=1), OPENS + timedelta(minutes=30)):
        with pytest.raises(errors.NotYetReleased):
            lottery.enter(
                release=release,
                service=service,
                phone=new_phone(),
                name="Sri",
                birth_date=ADULT,
                channel="web",
                now=moment,
            )


def test_the_elderly_and_small_children_enter_with_priority(release, service):
    assert enter(release, service, birth=ELDER).priority == "elderly"
    assert enter(release, service, birth=date(2024, 1, 1)).priority == "small_child"
    assert enter(release, service).priority == ""


# --- Drawing and allocating ---------------------------------------------------------------
def test_the_seats_go_in_the_draws_order_and_everyone_is_told_once(one_day, service):
    phones = [enter(one_day, service).phone for _ in range(30)]
    assert jobs.run(IN_WINDOW) == {}  # nothing is drawn while the window is open
    jobs.run(AFTER)
    one_day.refresh_from_db()
    assert one_day.drawn_at == AFTER and one_day.allocated_at == AFTER
    order = draw.order(one_day.seed, 30)
    entries = {e.ticket: e for e in Entry.objects.filter(release=one_day)}
    assert [entries[t].rank for t in order] == list(range(1, 31))
    outcomes = [entries[t].outcome for t in order]
    assert outcomes == [Outcome.WON] * 10 + [Outcome.LOST] * 20  # 10 regular seats
    day = DayLoad.objects.get(office=one_day.office, day=date(2027, 9, 1), quota="regular")
    assert day.taken == 10 == day.capacity
    assert (
        SlotLoad.objects.filter(office=one_day.office).aggregate(Sum("taken"))["taken__sum"] == 10
    )
    for ticket in order[:10]:
        booking = entries[ticket].booking
        assert booking.status == "pending" and booking.visit_date == date(2027, 9, 1)
        (message,) = said_to(booking.phone)
        assert isinstance(message, Buttons)
        assert f"nomor undian {ticket} mendapat kursi" in message.body
        assert booking.code in message.body
    for ticket in order[10:]:
        (message,) = said_to(entries[ticket].phone)
        assert isinstance(message, Text)
        assert f"nomor undian {ticket} belum mendapat kursi" in message.body
    assert sorted(p for p in phones) == sorted(e.phone for e in entries.values())
    jobs.run(AFTER + timedelta(minutes=1))  # running again changes and says nothing
    assert OutboundMessage.objects.count() == 30


def test_anyone_can_reproduce_the_draw_from_the_published_record(one_day, service, client):
    for _ in range(12):
        enter(one_day, service)
    before = client.get(f"/undian/{one_day.pk}.json").json()
    assert before["seed"] is None and before["seed_hash"] == one_day.seed_hash
    page = client.get(f"/undian/{one_day.pk}").content.decode()
    assert one_day.seed_hash in page and one_day.seed not in page
    jobs.run(AFTER)
    record = client.get(f"/undian/{one_day.pk}.json").json()
    assert draw.seed_hash(record["seed"]) == record["seed_hash"] == before["seed_hash"]
    assert record["order"] == draw.order(record["seed"], record["entries"])
    winners = [t for t in record["order"] if record["outcomes"][str(t)] == "won"]
    assert winners == record["order"][:10]
    page = client.get(f"/undian/{one_day.pk}?tiket={record['order'][0]}").content.decode()
    assert record["seed"] in page and "mendapat kursi" in page
    assert "Sri" not in page  # no personal data on the public page


def test_priority_seats_go_to_the_priority_groups_first(one_day, service):
    tickets = {}
    for n in range(14):
        entry = enter(one_day, service, birth=ELDER if n < 3 else ADULT)
        tickets[entry.ticket] = entry
    jobs.run(AFTER)
    won = Entry.objects.filter(release=one_day, outcome=Outcome.WON).select_related("booking")
    quotas = sorted(e.booking.quota for e in won)
    # 2 priority seats (elders only) + 10 regular seats; the third elder, if ranked late,
    # competes for the regular seats like everyone else.
    assert quotas.count(Quota.PRIORITY) == 2
    assert all(e.priority == "elderly" for e in won if e.booking.quota == Quota.PRIORITY)
    assert len(quotas) == 12


def test_a_party_too_big_for_what_is_left_loses_and_smaller_ones_still_win(
    lottery_office, one_day, service
):
    lottery_office.capacity_per_hour = 5
    lottery_office.save()
    family = [actions.Person(f"Anak {'ABCD'[n]}", date(2012, 1, n + 1), None) for n in range(4)]
    for n in range(12):
        enter(one_day, service, family=family if n % 3 == 0 else ())
    jobs.run(AFTER)
    seats = Booking.objects.filter(office=lottery_office, visit_date=date(2027, 9, 1)).aggregate(
        Sum("applicants")
    )["applicants__sum"]
    assert seats <= 10
    order = draw.order(one_day.seed, 12)
    entries = {e.ticket: e for e in Entry.objects.filter(release=one_day)}
    # Whoever lost did so because their party no longer fitted: every loser's party is
    # bigger than the seats left when their turn came.
    left = 10
    for ticket in order:
        entry = entries[ticket]
        if entry.outcome == Outcome.WON:
            left -= entry.applicants
        else:
            assert entry.applicants > left
    assert left >= 0


def test_allocation_resumes_after_a_crash_without_telling_anyone_twice(
    one_day, service, monkeypatch
):
    for _ in range(25):
        enter(one_day, service)
    calls = {"n": 0}
    real = notify.won

    def crash_on_the_fourth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(notify, "won", crash_on_the_fourth)
    with pytest.raises(RuntimeError):
        jobs.run(AFTER)
    assert Entry.objects.filter(outcome=Outcome.WON).count() == 3
    assert lottery.allocate(one_day.pk, AFTER + timedelta(minutes=1)) is None  # leased
    monkeypatch.setattr(notify, "won", real)
    jobs.run(AFTER + lottery.LEASE + timedelta(minutes=1))
    order = draw.order(one_day.seed, 25)
    entries = {e.ticket: e for e in Entry.objects.filter(release=one_day)}
    assert [entries[t].outcome for t in order] == [Outcome.WON] * 10 + [Outcome.LOST] * 15
    assert Booking.objects.filter(office=one_day.office).count() == 10
    assert OutboundMessage.objects.count() == 25
    one_day.refresh_from_db()
    assert one_day.allocated_at is not None


def test_a_nik_booked_meanwhile_is_refused_at_allocation_and_told_why(one_day, service, book):
    nik = nik_for(ADULT)
    entry = enter(one_day, service, nik=nik)
    held = book(
        office=one_day.office,
        visit_date=date(2027, 8, 31),
        nik=nik,
        birth_date=ADULT,
        now=IN_WINDOW,
    ).booking
    actions.confirm(code=held.code, now=IN_WINDOW, actor="t")
    jobs.run(AFTER)
    entry.refresh_from_db()
    assert entry.outcome == Outcome.REFUSED and entry.reason == "nik_already_booked"
    (message,) = said_to(entry.phone)
    assert "tidak dapat dibuat" in message.body and "NIK" in message.body


def test_what_is_left_is_first_come_after_the_draw(one_day, service, book):
    for _ in range(4):
        enter(one_day, service)
    jobs.run(AFTER)
    later = book(office=one_day.office, visit_date=date(2027, 9, 1), now=AFTER)
    assert later.booking.visit_date == date(2027, 9, 1)
    schedule = schedule_for(one_day.office, AFTER)
    assert schedule.released_to == date(2027, 9, 1)
    assert schedule.held_from == date(2027, 10, 1)  # the next release, planned at once


def test_a_web_entrant_wins_a_confirmed_booking(one_day, service):
    entry = lottery.enter(
        release=one_day,
        service=service,
        phone=new_phone(),
        name="Sri",
        birth_date=ADULT,
        channel="web",
        now=IN_WINDOW,
    )
    jobs.run(AFTER)
    entry.refresh_from_db()
    assert entry.booking.status == "confirmed" and entry.booking.queue_number
    # No chat yet (the web verified the number): the approved template goes, no buttons.
    (message,) = said_to(entry.phone)
    assert isinstance(message, Template)
    assert message.params == ("Sri", str(entry.ticket), entry.booking.code)
    assert message.quick_replies == ()


def test_the_public_list_shows_every_release(release, client):
    page = client.get("/undian/").content.decode()
    assert release.office.name in page and "belum dibuka" in page
    assert client.get("/undian/999999").status_code == 404


def test_the_next_release_is_planned_once_one_is_given_out(one_day):
    jobs.run(AFTER)
    planned = Release.objects.exclude(pk=one_day.pk).get()
    assert planned.first_day == date(2027, 10, 1)
    assert json.dumps(planned.opens_at.isoformat())
