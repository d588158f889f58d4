"""A drain's batch goes in together, and leaves what delivery by delivery would."""

import json
import logging
import threading
from datetime import timedelta

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.whatsapp import ingest, payloads
from antrean.whatsapp.models import Contact, Delivery, InboundMessage
from antrean.whatsapp.tests import payloads_for_tests as make

from conftest import NOW, scaled_examples

pytestmark = pytest.mark.django_db

WA_IDS = ["6281200000001", "6281200000002", "6281200000003"]
NAMES = ["", "Ani", "Budi", "B" * 120]  # the last longer than the chat keeps


def message(number, wa_id: str, n: int, minutes: int, name: str) -> payloads.Message:
    return payloads.Message(
        wamid=f"wamid.{n}",
        phone_number_id=number,
        wa_id=wa_id,
        kind="text",
        sent_at=NOW + timedelta(minutes=minutes),
        text=f"pesan {n}",
        profile_name=name,
        raw={"id": f"wamid.{n}", "text": {"body": f"pesan {n}"}},
    )


deliveries_of_messages = st.lists(  # a delivery: its messages (Meta sends one or more)
    st.lists(
        st.tuples(
            st.integers(0, 3),  # whose: one of WA_IDS, or 3 for a number not ours
            st.integers(0, 7),  # wamid: few, so re-deliveries happen
            st.integers(-30, 30),  # minutes: out of order too
            st.sampled_from(NAMES),
        ),
        min_size=1,
        max_size=3,
    ),
    max_size=8,
)
chats_before = st.dictionaries(  # wa_id: (minutes of the last message or None, name)
    st.sampled_from(WA_IDS),
    st.tuples(st.none() | st.integers(-30, 30), st.sampled_from(NAMES[:3])),
    max_size=3,
)
stored_before = st.sets(st.integers(0, 7), max_size=3)  # wamids already stored


def what_is_stored():
    chats = {
        c.wa_id: (c.last_inbound_at, c.profile_name)
        for c in Contact.objects.exclude(wa_id__startswith="x")
    }
    messages = {
        m.wamid: (m.contact.wa_id, m.kind, m.sent_at, m.payload, m.state)
        for m in InboundMessage.objects.select_related("contact")
    }
    return chats, messages


def outcome(ingesting):
    """What `ingesting` leaves and tallies, undone afterwards."""
    with transaction.atomic():
        tally = ingesting()
        seen = what_is_stored(), (tally.stored, tally.duplicates, tally.ignored)
        contacts = set(
            Contact.objects.filter(pk__in=tally.contacts).values_list("wa_id", flat=True)
        )
        transaction.set_rollback(True)
    return seen, contacts


@settings(
    max_examples=scaled_examples(0.5),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(deliveries=deliveries_of_messages, before=chats_before, stored=stored_before)
def test_a_batch_together_leaves_what_one_delivery_at_a_time_would(
    number, deliveries, before, stored
):
    ours = number.phone_number_id
    with transaction.atomic():
        chats = {
            wa_id: Contact.objects.create(
                number=number,
                wa_id=wa_id,
                last_inbound_at=None if minutes is None else NOW + timedelta(minutes=minutes),
                profile_name=name,
            )
            for wa_id, (minutes, name) in before.items()
        }
        for n in stored:  # a re-delivery of a message stored before, for a chat there
            chat = (
                chats.get(WA_IDS[n % 3])
                or Contact.objects.get_or_create(number=number, wa_id="x")[0]
            )
            InboundMessage.objects.create(
                contact=chat,
                wamid=f"wamid.{n}",
                kind="text",
                sent_at=NOW,
                received_at=NOW,
                payload={},
            )
        batch = [
            [
                message("900999" if who == 3 else ours, WA_IDS[who % 3], n, minutes, name)
                for who, n, minutes, name in events
            ]
            for events in deliveries
        ]

        def one_by_one():
            tally = ingest.Ingested()
            for events in batch:
                tally.add(ingest.ingest(events))
            return tally

        assert outcome(lambda: ingest._ingest_together(batch)) == outcome(one_by_one)
        transaction.set_rollback(True)


def test_a_batch_of_new_people_costs_a_few_statements_not_a_few_each(
    client, secret, number, django_assert_max_num_queries
):
    for n in range(50):
        make.post(
            client, make.text(number.phone_number_id, f"62812000{n:05d}", "halo"), drain=False
        )
    batch = list(Delivery.objects.order_by("id"))
    with django_assert_max_num_queries(10), transaction.atomic():
        tally = ingest._ingest_batch(batch)
    assert (tally.stored, len(tally.contacts)) == (50, 50)
    assert InboundMessage.objects.count() == Contact.objects.count() == 50


def test_the_inbox_drain_reads_its_deliveries_before_its_transaction(
    client, secret, number, monkeypatch
):
    """SQLite's writer is held through the transaction: parsing the bodies there would
    hold every other writer up for it."""
    if ingest.inbox.alias() == DEFAULT_DB_ALIAS:
        pytest.skip("the main database's drain reads the rows it has locked, in its transaction")
    for n in range(3):
        make.post(client, make.text(number.phone_number_id, f"6281200000{n}", "halo"), drain=False)
    depth, depths, real = len(connection.atomic_blocks), [], payloads.parse

    def parse(envelope):
        depths.append(len(connection.atomic_blocks))
        return real(envelope)

    monkeypatch.setattr(payloads, "parse", parse)
    assert ingest.drain().stored == 3
    assert depths == [depth] * 3


def test_a_chat_another_drain_just_made_sends_the_batch_one_by_one(
    client, secret, number, monkeypatch, caplog
):
    """PostgreSQL's drains take batches side by side: two may make the same chat at once."""
    for n in range(3):
        make.post(client, make.text(number.phone_number_id, f"6281200000{n}", "halo"), drain=False)
    make.post(client, make.text(number.phone_number_id, "62812000000", "lagi"), drain=False)
    real = Contact.objects.bulk_create

    def made_meanwhile(chats, *args, **kwargs):
        chats = list(chats)
        Contact.objects.create(number=number, wa_id=chats[0].wa_id)  # the other drain's
        return real(chats, *args, **kwargs)

    monkeypatch.setattr(Contact.objects, "bulk_create", made_meanwhile)
    with caplog.at_level(logging.INFO, logger="antrean.whatsapp.ingest"):
        tally = ingest.drain()
    assert "taken one by one (IntegrityError)" in caplog.text
    assert (tally.stored, tally.ignored) == (4, 0)
    assert Contact.objects.count() == 3 and InboundMessage.objects.count() == 4
    assert not Delivery.objects.exists()


def test_a_bad_delivery_in_a_batch_is_dropped_alone(client, secret, number, caplog):
    for n in range(3):
        make.post(client, make.text(number.phone_number_id, f"6281200000{n}", "halo"), drain=False)
    bad = make.text(number.phone_number_id, "6281200000009", "\ud800", wamid="wamid.BAD")
    raw = json.dumps(bad).encode()  # in ASCII JSON escapes it; nothing can store it decoded
    make.post(client, None, raw=raw, drain=False)
    with caplog.at_level(logging.INFO, logger="antrean.whatsapp.ingest"):
        tally = ingest.drain()
    assert "taken one by one (UnicodeEncodeError)" in caplog.text
    assert (tally.stored, tally.ignored) == (3, 1)
    assert InboundMessage.objects.count() == 3
    assert not InboundMessage.objects.filter(wamid="wamid.BAD").exists()
    assert not Delivery.objects.exists()


def test_what_a_batch_logs_is_written_once_whichever_way_it_goes_in(client, secret, number, caplog):
    """A batch undone and taken one by one logs its lines again that way: the batch's own
    are held back until it stands, and dropped when it does not."""
    unknown = make.text("999999999999999", "6281200000001", "halo")

    def drained(*bodies):
        caplog.clear()
        for body, raw in bodies:
            make.post(client, body, raw=raw, drain=False)
        with caplog.at_level(logging.INFO, logger="antrean.whatsapp.ingest"):
            ingest.drain()
        return caplog.text

    together = drained((unknown, None))
    assert "taken one by one" not in together
    assert together.count("unknown phone_number_id 999999999999999") == 1

    bad = make.text(number.phone_number_id, "6281200000009", "\ud800", wamid="wamid.BAD2")
    one_by_one = drained(
        (make.text("999999999999999", "6281200000002", "halo"), None),
        (None, json.dumps(bad).encode()),
    )
    assert "taken one by one (UnicodeEncodeError)" in one_by_one
    assert one_by_one.count("unknown phone_number_id 999999999999999") == 1


def test_a_held_log_holds_back_only_its_own_threads_lines(caplog):
    """Worker threads drain side by side: one batch's holding must not swallow another's."""
    with caplog.at_level(logging.INFO, logger="antrean.whatsapp.ingest"):
        with ingest._HeldLog() as held:
            ingest.log.info("this batch's line")
            other = threading.Thread(target=ingest.log.info, args=("another thread's line",))
            other.start()
            other.join()
            assert "another thread's line" in caplog.text
            assert "this batch's line" not in caplog.text
        held.write()
    assert caplog.text.count("this batch's line") == 1
