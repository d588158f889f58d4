"""Many chats' replies sent together leave what one chat at a time would."""

import logging
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.whatsapp import graph as graph_api
from antrean.whatsapp import outbox, outbox_batch, tasks
from antrean.whatsapp.messages import Text
from antrean.whatsapp.models import Contact, NumberThrottle, OutboundMessage

from conftest import scaled_examples

pytestmark = pytest.mark.django_db

WA_IDS = [f"628140000{n:04d}" for n in range(6)]


@pytest.fixture(autouse=True)
def fast_number(settings):
    settings.WHATSAPP_THROUGHPUT = 1000  # a millisecond between two sends of the number
    settings.WHATSAPP_PAIR_BURST = 5


@pytest.fixture
def nudged(monkeypatch):
    """The queue's nudges, recorded instead of queued: {kind: [contact ids]}."""
    seen = {"later": [], "now": []}
    monkeypatch.setattr(tasks, "deliver_later", lambda pk, _s: seen["later"].append(pk))
    monkeypatch.setattr(tasks, "deliver_task", lambda pk: seen["now"].append(pk))
    monkeypatch.setattr(tasks, "nudge_delivery", lambda ids: seen["now"].extend(ids))
    monkeypatch.setattr(tasks, "ingest_task", lambda: None)
    return seen


@pytest.fixture
def failing(monkeypatch):
    """{wa_id: GraphError}: the first send to that person fails so."""
    real, plan = graph_api.send_message, {}

    def send(number, body):
        error = plan.pop(body["to"], None)
        if error is not None:
            raise error
        return real(number, body)

    monkeypatch.setattr(graph_api, "send_message", send)
    return plan


def chats(number, wa_ids):
    return [
        Contact.objects.create(number=number, wa_id=wa_id, last_inbound_at=timezone.now())
        for wa_id in wa_ids
    ]


def queue(contact, *texts):
    return outbox.rows_for(contact, [Text(t) for t in texts], now=timezone.now())


def save(rows):
    for row in rows:
        row.save(force_insert=True)
    return rows


def what_is_left(graph, since: int, nudged):
    received = {}
    for body in graph.sent_bodies()[since:]:
        received.setdefault(body["to"], []).append(body["text"]["body"])
    rows = {
        wa_id: [
            (row.message["body"], row.state, row.attempts, row.error_code, bool(row.wamid))
            for row in OutboundMessage.objects.filter(contact__wa_id=wa_id).order_by("id")
        ]
        for wa_id in WA_IDS
    }
    contacts = {
        c.wa_id: (c.deliver_lease_owner, c.pair_tokens, c.pair_at) for c in Contact.objects.all()
    }
    later = sorted(set(nudged["later"]))
    return received, rows, contacts, later


def outcome(way, graph, nudged):
    since = len(graph.accepted)
    nudged["later"].clear()
    with transaction.atomic():
        way()
        left = what_is_left(graph, since, nudged)
        transaction.set_rollback(True)
    return left


chat_cases = st.lists(
    st.fixed_dictionaries(
        {
            "texts": st.integers(0, 5),  # five: more than a batch takes of a chat
            "tokens": st.none() | st.sampled_from([0.4, 1.5, 2.0, 4.0]),
            "head": st.sampled_from(["fresh", "retry later", "given up", "tried before"]),
            "fails": st.sampled_from([None, "retry", "permanent"]),
            "held": st.booleans(),  # another worker holds the chat
        }
    ),
    min_size=2,
    max_size=len(WA_IDS),
)


@settings(
    max_examples=scaled_examples(0.5),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(cases=chat_cases, usual=st.booleans())
def test_replies_sent_together_leave_what_one_chat_at_a_time_would(
    number, graph, nudged, failing, caplog, time_machine, cases, usual
):
    time_machine.move_to(timezone.now(), tick=False)  # both ways see the same buckets
    if usual:  # the common case only: the batch must take it all
        cases = [{**case, "tokens": None, "head": "fresh", "held": False} for case in cases]
    now = timezone.now()
    with transaction.atomic():
        contacts = chats(number, WA_IDS[: len(cases)])
        for contact, case in zip(contacts, cases, strict=True):
            rows = queue(contact, *[f"{contact.wa_id[-2:]}-{n}" for n in range(case["texts"])])
            if rows and case["head"] == "retry later":
                rows[0].state, rows[0].attempts = "retry", 1
                rows[0].not_before = now + timedelta(minutes=5)
            elif rows and case["head"] == "given up":
                rows[0].give_up_at = now - timedelta(seconds=1)
            elif rows and case["head"] == "tried before":
                rows[0].state, rows[0].attempts = "retry", 1
            save(rows)
            changes = {}
            if case["tokens"] is not None:
                changes.update(pair_tokens=case["tokens"], pair_at=now)
            if case["held"]:
                changes.update(
                    deliver_lease_owner="other", deliver_lease_until=now + timedelta(minutes=1)
                )
            Contact.objects.filter(pk=contact.pk).update(**changes)
        ids = [contact.pk for contact in contacts]

        def fail_as_planned():
            failing.clear()
            for contact, case in zip(contacts, cases, strict=True):
                if case["fails"] == "retry":
                    failing[contact.wa_id] = graph_api.GraphError(
                        "down", retryable=True, status=503
                    )
                elif case["fails"] == "permanent":
                    failing[contact.wa_id] = graph_api.GraphError(
                        "undeliverable", retryable=False, status=400, code=131026
                    )

        def together():
            fail_as_planned()
            outbox_batch.deliver_contacts(ids)

        def one_by_one():
            fail_as_planned()
            for pk in ids:
                outbox.deliver(pk)

        caplog.clear()
        with caplog.at_level(logging.INFO, logger="antrean.whatsapp.outbox_batch"):
            batch = outcome(together, graph, nudged)
        assert "one by one" not in caplog.text  # the batch began: it is what was compared
        assert batch == outcome(one_by_one, graph, nudged)
        if usual:  # and the comparison is not between two ways of sending nothing
            expected = {None: lambda n: n, "retry": lambda n: 0, "permanent": lambda n: n - 1}
            sent = sum(expected[case["fails"]](case["texts"]) for case in cases if case["texts"])
            assert sum(len(texts) for texts in batch[0].values()) == sent
        transaction.set_rollback(True)


def test_a_batch_costs_a_few_statements_for_the_chats_not_a_few_each(
    number, graph, nudged, django_assert_max_num_queries
):
    """One by one: eleven a chat. Together: the leases, the rows, the buckets and first
    claims with the number's instants (two), the marks with the second claims, the marks
    with the release, the last look; and each transaction's savepoint and release."""
    NumberThrottle.objects.create(phone_number_id=number.phone_number_id, next_at=timezone.now())
    contacts = chats(number, [f"6281500{n:05d}" for n in range(20)])
    for contact in contacts:
        save(queue(contact, "satu", "dua"))
    with django_assert_max_num_queries(17):
        assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 40
    assert not OutboundMessage.objects.exclude(state="sent").exists()
    assert not Contact.objects.exclude(deliver_lease_owner="").exists()


def test_each_chat_reads_in_order_and_every_send_keeps_the_number_s_pace(
    number, graph, nudged, settings
):
    settings.WHATSAPP_THROUGHPUT = 50  # 20 ms between two sends
    contacts = chats(number, WA_IDS[:3])
    for contact in contacts:
        save(queue(contact, *[f"{contact.wa_id}-{n}" for n in range(3)]))
    started = time.monotonic()
    assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 9
    assert time.monotonic() - started >= 8 * 0.02 - 0.005  # nine instants, reserved at once
    received = {}
    for body in graph.sent_bodies():
        received.setdefault(body["to"], []).append(body["text"]["body"])
    assert received == {c.wa_id: [f"{c.wa_id}-{n}" for n in range(3)] for c in contacts}
    # Rounds: every chat's first reply before any chat's second.
    order = [body["text"]["body"][-1] for body in graph.sent_bodies()]
    assert order == ["0"] * 3 + ["1"] * 3 + ["2"] * 3


def test_a_retry_holds_that_chat_s_later_rows_and_the_others_go_on(number, graph, nudged, failing):
    first, second = chats(number, WA_IDS[:2])
    rows = save(queue(first, "a1", "a2"))
    save(queue(second, "b1", "b2"))
    failing[first.wa_id] = graph_api.GraphError("down", retryable=True, status=503)
    assert outbox_batch.deliver_contacts([first.pk, second.pk]) == 2
    for row in rows:
        row.refresh_from_db()
    assert [(row.state, row.attempts) for row in rows] == [("retry", 1), ("queued", 0)]
    assert nudged["later"] == [first.pk]  # one by one saw the retry and put the chat off
    assert [b["text"]["body"] for b in graph.sent_bodies()] == ["b1", "b2"]
    assert not Contact.objects.exclude(deliver_lease_owner="").exists()


def test_what_was_sent_stays_recorded_when_the_next_claims_fail(number, graph, nudged, monkeypatch):
    contacts = chats(number, WA_IDS[:2])
    for contact in contacts:
        save(queue(contact, "satu", "dua"))
    real, calls = outbox_batch._claim, []

    def claim(rows, now):
        calls.append(len(rows))
        if len(calls) == 2:  # the second round's, with the first round's marks
            raise OperationalError("disk I/O error")
        return real(rows, now)

    monkeypatch.setattr(outbox_batch, "_claim", claim)
    with pytest.raises(OperationalError):
        outbox_batch.deliver_contacts([c.pk for c in contacts])
    states = list(OutboundMessage.objects.order_by("id").values_list("message", "state"))
    assert [state for _, state in states] == ["sent", "queued", "sent", "queued"]
    assert all(OutboundMessage.objects.filter(state="sent").values_list("wamid", flat=True))
    assert not Contact.objects.exclude(deliver_lease_owner="").exists()  # released
    monkeypatch.setattr(outbox_batch, "_claim", real)
    assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 2
    assert len(graph.sent_bodies()) == 4  # each once


def test_a_row_settled_meanwhile_is_not_claimed_nor_sent(number, graph, nudged, monkeypatch):
    contacts = chats(number, WA_IDS[:2])
    settled = save(queue(contacts[0], "a1", "a2"))[1]
    save(queue(contacts[1], "b1", "b2"))
    real = graph_api.send_message

    def send(number_id, body):
        if body["text"]["body"] == "b1":  # during the first round, the row is settled
            OutboundMessage.objects.filter(pk=settled.pk).update(state="failed")
        return real(number_id, body)

    monkeypatch.setattr(graph_api, "send_message", send)
    assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 3
    assert [b["text"]["body"] for b in graph.sent_bodies()] == ["a1", "b1", "b2"]
    settled.refresh_from_db()
    assert (settled.state, settled.attempts) == ("failed", 0)


def test_a_busy_number_sends_the_batch_one_by_one(number, graph, nudged, caplog):
    later = timezone.now() + timedelta(seconds=10)
    NumberThrottle.objects.create(phone_number_id=number.phone_number_id, next_at=later)
    contacts = chats(number, WA_IDS[:2])
    for contact in contacts:
        save(queue(contact, "satu"))
    with caplog.at_level(logging.INFO, logger="antrean.whatsapp.outbox_batch"):
        assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 0
    assert "one by one (a number is busy)" in caplog.text
    assert graph.requests == []
    assert sorted(nudged["later"]) == sorted(c.pk for c in contacts)  # each put off
    assert NumberThrottle.objects.get().next_at == later  # the batch's instants undone
    assert not OutboundMessage.objects.exclude(state="queued").exists()


def test_a_lost_lease_stops_the_batch(number, graph, nudged, monkeypatch, settings):
    settings.WHATSAPP_SEND_LEASE = 5  # less than a send's margin: renewed before each send
    contacts = chats(number, WA_IDS[:2])
    for contact in contacts:
        save(queue(contact, "satu", "dua"))
    real = graph_api.send_message

    def send(number_id, body):
        if body["to"] == contacts[0].wa_id:  # its lease ran out; another worker has it
            Contact.objects.filter(pk=contacts[0].pk).update(
                deliver_lease_owner="other",
                deliver_lease_until=timezone.now() + timedelta(minutes=1),
            )
        return real(number_id, body)

    monkeypatch.setattr(graph_api, "send_message", send)
    # The other chat's claimed row is given back and sent one by one, at once.
    assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 3
    assert [b["text"]["body"] for b in graph.sent_bodies()] == ["satu", "satu", "dua"]
    assert [b["to"] for b in graph.sent_bodies()] == [contacts[0].wa_id] + 2 * [contacts[1].wa_id]
    left = OutboundMessage.objects.get(contact=contacts[0], state="queued")
    assert (left.message["body"], left.attempts) == ("dua", 0)
    assert Contact.objects.get(pk=contacts[0].pk).deliver_lease_owner == "other"
    assert Contact.objects.get(pk=contacts[1].pk).deliver_lease_owner == ""


def test_a_row_queued_while_finishing_is_nudged(number, graph, nudged, monkeypatch):
    contacts = chats(number, WA_IDS[:2])
    for contact in contacts:
        save(queue(contact, "satu"))
    real = outbox_batch._Batch.release

    def release(batch):
        save(queue(contacts[1], "dua"))  # a reply written as the batch ends
        real(batch)

    monkeypatch.setattr(outbox_batch._Batch, "release", release)
    assert outbox_batch.deliver_contacts([c.pk for c in contacts]) == 2
    assert nudged["now"] == [contacts[1].pk]


def test_nudges_hand_chats_over_many_to_a_task(monkeypatch):
    handed = []
    monkeypatch.setattr(tasks, "deliver_contacts_task", lambda ids: handed.append(ids))
    monkeypatch.setattr(tasks, "deliver_task", lambda pk: handed.append(pk))
    tasks.nudge_delivery([*range(1, outbox_batch.BATCH + 2), 3])
    assert handed == [list(range(1, outbox_batch.BATCH + 1)), outbox_batch.BATCH + 1]


def test_replies_queued_together_are_nudged_together(
    number, monkeypatch, django_capture_on_commit_callbacks
):
    handed = []
    monkeypatch.setattr(tasks, "nudge_delivery", lambda ids: handed.append(ids))
    contacts = chats(number, WA_IDS[:3])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        outbox.enqueue_together(
            [(contact, None, [Text("halo")]) for contact in contacts], now=timezone.now()
        )
    assert handed == [sorted(c.pk for c in contacts)]


def test_a_failure_in_a_send_gives_back_the_round_s_untried_rows(
    number, graph, nudged, monkeypatch
):
    contacts = chats(number, WA_IDS[:3])
    for contact in contacts:
        save(queue(contact, "satu", "dua"))

    def broken(row, contact, number_id):
        raise RuntimeError("a bug, in the middle of the first call")

    monkeypatch.setattr(outbox, "_attempt", broken)
    with pytest.raises(RuntimeError):
        outbox_batch.deliver_contacts([c.pk for c in contacts])
    states = list(OutboundMessage.objects.order_by("id").values_list("state", "attempts"))
    # The row in flight may have reached Meta: it stays `sending`, for its status or the
    # lease. The round's others were never tried: back to the queue, to go at once.
    assert states == [("sending", 1), ("queued", 0)] + [("queued", 0)] * 4
    assert not Contact.objects.exclude(deliver_lease_owner="").exists()
