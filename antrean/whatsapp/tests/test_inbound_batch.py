"""Many chats' next messages answered together leave what one message at a time would."""

import itertools
import logging
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.booking import actions
from antrean.booking.models import Booking, BookingEvent, DayLoad, SlotLoad
from antrean.offices.models import ServiceType
from antrean.simulator import cloud
from antrean.whatsapp import inbound, inbound_batch, tasks
from antrean.whatsapp.models import Contact, InboundMessage, InboundState, OutboundMessage

from conftest import NOW, scaled_examples

pytestmark = pytest.mark.django_db

WA_IDS = [f"628120000{n:04d}" for n in range(6)]
TEXTS = [
    "#Budi Santoso#25011987#10082027",
    "#Ani Lestari#01021990#10082027",
    "#Citra#15061985#11082027",
    "#Dewi#31131990#10082027",  # no such birth date: a refusal
    "halo",
    "batal",
    "1",
]
VISIT = date(2027, 8, 10)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)  # both ways see the same `now`


@pytest.fixture
def codes(monkeypatch):
    """Booking codes drawn in order, so that both ways draw the same ones."""
    drawn = {"next": itertools.count()}

    def new_code():
        return f"C{next(drawn['next']):07d}"

    monkeypatch.setattr(actions, "new_code", new_code)
    return lambda: drawn.update(next=itertools.count())


def chats(number, wa_ids):
    return [
        Contact.objects.create(number=number, wa_id=wa_id, last_inbound_at=NOW) for wa_id in wa_ids
    ]


def write(contact, text, minutes, n):
    InboundMessage.objects.create(
        contact=contact,
        wamid=f"wamid.{n}",
        kind="text",
        sent_at=NOW + timedelta(minutes=minutes),
        received_at=NOW,
        payload=cloud.inbound_message(wa_id=contact.wa_id, kind="text", text=text),
    )


def what_is_left():
    bookings = sorted(
        (b.phone, b.code, b.name, b.visit_date, b.slot_at, b.status, b.requested_date)
        for b in Booking.objects.all()
    )
    events = sorted(
        (e.booking.code, e.action, e.actor, str(e.detail))
        for e in BookingEvent.objects.select_related("booking")
    )
    seats = (
        sorted(DayLoad.objects.values_list("day", "quota", "taken")),
        sorted(SlotLoad.objects.values_list("day", "start", "taken")),
    )
    messages = {m.wamid: (m.state, m.error) for m in InboundMessage.objects.all()}
    contacts = {
        c.wa_id: (c.state, c.lang, c.inbound_tokens, c.inbound_at, c.slowed_told_at)
        for c in Contact.objects.all()
    }
    replies = {
        wa_id: [
            (row.caused_by.wamid if row.caused_by else None, row.message, row.kind, row.state)
            for row in OutboundMessage.objects.filter(contact__wa_id=wa_id)
            .select_related("caused_by")
            .order_by("id")
        ]
        for wa_id in contacts
    }
    return bookings, events, seats, messages, contacts, replies


def outcome(way, reset_codes):
    with transaction.atomic():
        reset_codes()
        way()
        left = what_is_left()
        transaction.set_rollback(True)
    return left


def one_message_at_a_time(ids):
    """The reference: each chat's next message in the order they were written, each in its
    own transaction (`inbound._process`), then what is left of each chat."""
    heads = [
        InboundMessage.objects.filter(contact_id=pk, state=InboundState.RECEIVED)
        .order_by("sent_at", "id")
        .first()
        for pk in ids
    ]
    for head in sorted(filter(None, heads), key=lambda m: (m.sent_at, m.pk)):
        inbound._process(head)
    for pk in ids:
        inbound.process_contact(pk)


messages_of_chats = st.lists(
    st.tuples(
        st.integers(0, len(WA_IDS) - 1),  # whose
        st.integers(0, len(TEXTS) - 1),  # what
        st.integers(-90, 0),  # minutes before now: out of order across chats
    ),
    min_size=2,
    max_size=14,
)


@settings(
    max_examples=scaled_examples(0.5),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sent=messages_of_chats,
    holders=st.sets(st.integers(0, len(WA_IDS) - 1), max_size=2),
    seats_left=st.none() | st.integers(0, 3),
    told=st.dictionaries(st.integers(0, len(WA_IDS) - 1), st.integers(0, 150), max_size=3),
)
def test_chats_answered_together_leave_what_one_message_at_a_time_would(
    office, number, codes, caplog, sent, holders, seats_left, told
):
    service = ServiceType.objects.get(code="baru")
    with transaction.atomic():
        contacts = chats(number, WA_IDS)
        for who, minutes in told.items():  # told they wrote too fast, that long ago
            at = NOW - timedelta(minutes=minutes)
            Contact.objects.filter(pk=contacts[who].pk).update(
                inbound_tokens=0.0, inbound_at=at, slowed_told_at=at
            )
            contacts[who].refresh_from_db()
        for who in sorted(holders):  # a live booking already: refused, or cancelled
            actions.book(
                office=office,
                service=service,
                phone=WA_IDS[who],
                name="Pemohon Lama",
                birth_date=date(1980, 1, 1),
                visit_date=date(2027, 8, 12),
                now=NOW,
                channel="whatsapp",
                actor="test",
            )
        # Their codes apart from those both ways draw (`codes` starts again for each way):
        # a code drawn twice sends a batch's bookings one by one, whose codes then differ.
        for n, booking in enumerate(Booking.objects.filter(name="Pemohon Lama")):
            Booking.objects.filter(pk=booking.pk).update(code=f"H{n:07d}")
        if seats_left is not None:  # the asked day nearly full: bookings move on
            DayLoad.objects.create(
                office=office,
                day=VISIT,
                quota="regular",
                capacity=office.daily_regular,
                taken=office.daily_regular - seats_left,
            )
        for n, (who, what, minutes) in enumerate(sent):
            write(contacts[who], TEXTS[what], minutes, n)
        ids = [contact.pk for contact in contacts]
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="antrean.whatsapp.inbound_batch"):
            together = outcome(lambda: inbound_batch.process_contacts(ids), codes)
        assert "one by one" not in caplog.text  # the batch stood: it is what was compared
        assert together == outcome(lambda: one_message_at_a_time(ids), codes)
        transaction.set_rollback(True)


def test_a_batch_costs_a_few_statements_for_the_chats_not_a_few_each(
    number, codes, django_assert_max_num_queries
):
    """The chats' shared statements once (one by one: eight a chat). Here: its savepoint
    and release, the chats, their messages, the claim, the live bookings, the office's
    facts (three reads, remembered afterwards), the chats' update, the replies; on
    PostgreSQL the office's lock too (`hold_offices`)."""
    contacts = chats(number, [f"6281300{n:05d}" for n in range(20)])
    for n, contact in enumerate(contacts):
        write(contact, "halo", -1, n)
    with django_assert_max_num_queries(11 + (connection.vendor == "postgresql")):
        assert inbound_batch.process_contacts([c.pk for c in contacts]) == 20
    assert OutboundMessage.objects.count() == 20
    assert not InboundMessage.objects.filter(state=InboundState.RECEIVED).exists()


def test_the_batchs_bookings_are_made_together(number, django_assert_max_num_queries):
    """Twenty people book (one by one: about fifteen statements each): the batch's own
    statements (as above) and the bookings' few (booking/tests/test_together.py)."""
    contacts = chats(number, [f"6281300{n:05d}" for n in range(20)])
    for n, contact in enumerate(contacts):
        write(contact, f"#Budi Santoso#25011987#{VISIT:%d%m%Y}", -1, n)
    with django_assert_max_num_queries(23 + (connection.vendor == "postgresql")):
        assert inbound_batch.process_contacts([c.pk for c in contacts]) == 20
    assert Booking.objects.filter(visit_date__gte=VISIT).count() == 20
    assert OutboundMessage.objects.count() == 40  # the code, and how to confirm it


def test_what_the_batch_does_not_take_goes_one_by_one_after_it(
    number, codes, settings, monkeypatch
):
    settings.WHATSAPP_INBOUND_BURST = 1  # a chat's second message at once is limited
    alone = []
    real = inbound.process_contact
    monkeypatch.setattr(inbound, "process_contact", lambda pk: alone.append(pk) or real(pk))
    booker, twice, old, plain = chats(number, WA_IDS[:4])
    write(booker, TEXTS[0], -5, 1)
    write(twice, "halo", -5, 2)
    write(twice, "halo", -5, 3)  # beyond the burst: limited, one by one
    Contact.objects.filter(pk=old.pk).update(last_inbound_at=NOW - timedelta(days=2))
    write(old, "halo", -5, 4)  # outside the window: the template notice, one by one
    other_number = type(number).objects.create(
        office=number.office, phone_number_id="1099", display_phone_number="62215550099"
    )
    elsewhere = Contact.objects.create(number=other_number, wa_id=booker.wa_id, last_inbound_at=NOW)
    write(elsewhere, TEXTS[1], -4, 5)  # the same person on another number: one by one
    write(plain, "halo", -3, 6)
    ids = [booker.pk, twice.pk, old.pk, plain.pk, elsewhere.pk]
    assert inbound_batch.process_contacts(ids) == 6
    assert alone == [twice.pk, old.pk, elsewhere.pk]  # the batch took the other two
    states = dict(InboundMessage.objects.values_list("wamid", "state"))
    assert states == {
        "wamid.1": "processed",
        "wamid.2": "processed",
        "wamid.3": "limited",
        "wamid.4": "processed",
        "wamid.5": "processed",
        "wamid.6": "processed",
    }
    assert Booking.objects.get().phone == booker.wa_id  # the other number's asks again
    assert OutboundMessage.objects.filter(contact=old).get().kind.startswith("template")


def test_a_failure_in_the_batch_undoes_it_and_each_chat_goes_alone(
    number, codes, monkeypatch, caplog
):
    contacts = chats(number, WA_IDS[:3])
    for n, contact in enumerate(contacts):
        write(contact, TEXTS[n % 2], -5 + n, n)
    real = inbound_batch.update_rows

    def failing(*args, **kwargs):
        real(*args, **kwargs)
        raise ValueError("late in the batch, after its bookings")

    monkeypatch.setattr(inbound_batch, "update_rows", failing)
    with caplog.at_level(logging.INFO, logger="antrean.whatsapp.inbound_batch"):
        assert inbound_batch.process_contacts([c.pk for c in contacts]) == 3
    assert "batch of 3 taken one by one (ValueError)" in caplog.text
    assert Booking.objects.count() == 3  # once each: the batch's were undone
    assert OutboundMessage.objects.filter(kind="qrimage").count() == 3
    assert not InboundMessage.objects.exclude(state="processed").exists()


def test_the_nudges_hand_chats_over_many_to_a_task(monkeypatch):
    handed = []
    monkeypatch.setattr(tasks, "process_contacts_task", lambda ids: handed.append(ids))
    monkeypatch.setattr(tasks, "process_contact_task", lambda pk: handed.append(pk))
    tasks.nudge_processing(set(range(1, inbound_batch.BATCH + 2)) | {7})
    assert handed == [list(range(1, inbound_batch.BATCH + 1)), inbound_batch.BATCH + 1]


def test_a_message_undone_by_a_deadlock_is_tried_again_at_once(number, codes, monkeypatch):
    from django.db import OperationalError

    contact = chats(number, WA_IDS[:1])[0]
    write(contact, "halo", -1, 0)
    real, calls = inbound._process, []

    def process(message):
        calls.append(message.pk)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return real(message)

    monkeypatch.setattr(inbound, "_process", process)
    monkeypatch.setattr(inbound.time, "sleep", lambda _s: None)
    assert inbound.process_contact(contact.pk) == 1
    assert len(calls) == 2
    assert not InboundMessage.objects.exclude(state="processed").exists()

    def away(_message):
        raise OperationalError("server closed the connection unexpectedly")

    write(contact, "halo", 0, 1)
    monkeypatch.setattr(inbound, "_process", away)
    with pytest.raises(OperationalError):  # the database away: the task's retry, later
        inbound.process_contact(contact.pk)
