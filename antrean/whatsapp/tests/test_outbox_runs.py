"""Delivering several replies of a chat in one run: each row claimed before its call and
recorded after it, in order, with the pacing and the lease written before any send."""

import time
from datetime import timedelta

import pytest
from django.db import OperationalError, transaction
from django.utils import timezone

from antrean.whatsapp import graph as graph_api
from antrean.whatsapp import ingest, outbox, payloads
from antrean.whatsapp.messages import Text
from antrean.whatsapp.models import Contact, NumberThrottle, OutboundMessage, OutboundState
from antrean.whatsapp.tests import payloads_for_tests as make

pytestmark = pytest.mark.django_db


def queue(contact, *texts):
    with transaction.atomic():
        return outbox.enqueue(contact, [Text(t) for t in texts], now=timezone.now())


def received(graph):
    return [body["text"]["body"] for body in graph.sent_bodies()]


@pytest.fixture
def sends(monkeypatch):
    """Calls `hook(n, body)` before the n-th send (from 1) goes to the Graph API."""
    real = graph_api.send_message
    hooks = {}

    def send(number, body):
        n = len(hooks.setdefault("calls", [])) + 1
        hooks["calls"].append((time.monotonic(), body))
        if n in hooks:
            hooks[n](body)
        return real(number, body)

    monkeypatch.setattr(graph_api, "send_message", send)
    return hooks


def test_a_row_settled_by_its_status_during_the_run_is_not_sent_again(graph, contact, sends):
    _, in_doubt, _ = queue(contact, "satu", "dua", "tiga")
    OutboundMessage.objects.filter(pk=in_doubt.pk).update(
        state=OutboundState.SENDING, attempts=1, sending_since=timezone.now() - timedelta(hours=1)
    )
    number = contact.number.phone_number_id

    def status_comes(_body):  # Meta's word on the earlier attempt, while the run goes on
        ingest.ingest(
            payloads.parse(
                make.status(number, "wamid.EARLIER", "sent", opaque=f"out:{in_doubt.pk}")
            )
        )

    sends[1] = status_comes
    assert outbox.deliver(contact.pk) == 2
    assert received(graph) == ["satu", "tiga"]
    in_doubt.refresh_from_db()
    assert (in_doubt.state, in_doubt.wamid, in_doubt.attempts) == ("sent", "wamid.EARLIER", 1)


def test_what_was_sent_stays_recorded_when_the_next_claim_fails(graph, contact, monkeypatch):
    first, second = queue(contact, "satu", "dua")
    real, calls = outbox._claim_row, []

    def claim(row, now):
        calls.append(row.pk)
        if len(calls) == 2:  # the transaction that records `first` and claims `second`
            raise OperationalError("database is locked")
        return real(row, now)

    monkeypatch.setattr(outbox, "_claim_row", claim)
    with pytest.raises(OperationalError):
        outbox.deliver(contact.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, first.wamid) == ("sent", graph.accepted[0]["wamid"])
    assert (second.state, second.attempts) == ("queued", 0)
    assert Contact.objects.get(pk=contact.pk).deliver_lease_owner == ""  # released
    monkeypatch.setattr(outbox, "_claim_row", real)
    assert outbox.deliver(contact.pk) == 1
    assert received(graph) == ["satu", "dua"]


def test_the_pair_rate_is_written_before_the_first_send(graph, contact, sends, settings):
    settings.WHATSAPP_PAIR_BURST = 5
    seen = []
    sends[1] = lambda _body: seen.append(Contact.objects.get(pk=contact.pk).pair_tokens)
    queue(contact, "satu", "dua")
    assert outbox.deliver(contact.pk) == 2
    assert seen == [pytest.approx(3.0)]  # both tokens taken, in the database, before a call
    # A worker killed now could not give the next sender tokens that were used.
    assert Contact.objects.get(pk=contact.pk).pair_tokens == pytest.approx(3.0)


def test_a_run_keeps_the_number_s_pace(graph, contact, sends, settings):
    settings.WHATSAPP_THROUGHPUT = 5  # one message every 200 ms
    queue(contact, "1", "2", "3")
    started, clock = timezone.now(), time.monotonic()
    assert outbox.deliver(contact.pk) == 3
    # Each send waits for the instant it reserved: the n-th no sooner than n steps in.
    times = [at - clock for at, _body in sends["calls"]]
    assert all(at >= n * 0.2 - 0.005 for n, at in enumerate(times))
    throttle = NumberThrottle.objects.get(phone_number_id=contact.number.phone_number_id)
    assert throttle.next_at >= started + timedelta(seconds=3 * 0.2)


def test_the_lease_is_renewed_during_a_run(graph, contact, sends, settings):
    settings.WHATSAPP_SEND_LEASE = 5  # shorter than a row's worst case: renewed before each
    leases = []

    def lease(_body):
        leases.append(Contact.objects.get(pk=contact.pk).deliver_lease_until)
        time.sleep(0.01)

    for n in (1, 2, 3):
        sends[n] = lease
    queue(contact, "1", "2", "3")
    assert outbox.deliver(contact.pk) == 3
    assert leases[0] < leases[1] < leases[2]


def test_a_run_stops_when_its_lease_was_taken(graph, contact, sends, settings):
    settings.WHATSAPP_SEND_LEASE = 5

    def taken(_body):  # our lease ran out and another worker has the chat now
        Contact.objects.filter(pk=contact.pk).update(
            deliver_lease_owner="other", deliver_lease_until=timezone.now() + timedelta(seconds=60)
        )

    sends[1] = taken
    first, second = queue(contact, "1", "2")
    assert outbox.deliver(contact.pk) == 1
    assert received(graph) == ["1"]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state, second.attempts) == ("sent", "queued", 0)
    assert Contact.objects.get(pk=contact.pk).deliver_lease_owner == "other"


def test_a_retry_in_a_run_holds_the_rows_behind_it(graph, contact, sends):
    def fails(_body):
        raise graph_api.GraphError("down", retryable=True, status=503)

    sends[2] = fails
    first, second, third = queue(contact, "1", "2", "3")
    assert outbox.deliver(contact.pk) == 1
    for row in (first, second, third):
        row.refresh_from_db()
    assert (first.state, second.state, third.state) == ("sent", "retry", "queued")
    OutboundMessage.objects.filter(pk=second.pk).update(not_before=timezone.now())
    assert outbox.deliver(contact.pk) == 2
    assert received(graph) == ["1", "2", "3"]


def test_a_row_given_up_inside_a_run_is_failed_and_the_rest_go(graph, contact):
    _, stale, _ = queue(contact, "1", "2", "3")
    OutboundMessage.objects.filter(pk=stale.pk).update(give_up_at=timezone.now())
    assert outbox.deliver(contact.pk) == 2
    stale.refresh_from_db()
    assert (stale.state, stale.error_title) == ("failed", "gave up")
    assert received(graph) == ["1", "3"]


def test_more_rows_than_one_read_all_go_in_order(graph, contact, settings):
    settings.WHATSAPP_PAIR_BURST = 100
    texts = [str(i) for i in range(outbox.BATCH * 2 + 3)]
    queue(contact, *texts)
    assert outbox.deliver(contact.pk) == len(texts)
    assert received(graph) == texts
    assert not OutboundMessage.objects.exclude(state="sent").exists()


def test_fewer_tokens_than_rows_sends_what_the_pair_rate_allows(graph, contact, settings):
    settings.WHATSAPP_PAIR_BURST = 3
    rows = queue(contact, "1", "2", "3", "4", "5")
    assert outbox.deliver(contact.pk) == 3
    rows[3].refresh_from_db()
    assert rows[3].state == "queued" and rows[3].not_before > timezone.now()
    assert received(graph) == ["1", "2", "3"]


def test_a_busy_number_puts_the_chat_off_and_reserves_nothing(graph, contact, settings):
    settings.WHATSAPP_PAIR_BURST = 5
    later = timezone.now() + timedelta(seconds=10)
    NumberThrottle.objects.create(phone_number_id=contact.number.phone_number_id, next_at=later)
    first, second = queue(contact, "1", "2")
    assert outbox.deliver(contact.pk) == 0
    assert graph.requests == []
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == ("queued", "queued")
    assert 8 < (first.not_before - timezone.now()).total_seconds() <= 10
    # The instants it did not use are not taken from the number, nor tokens from the chat.
    assert NumberThrottle.objects.get().next_at == later
    assert Contact.objects.get(pk=contact.pk).pair_tokens is None


def test_the_last_row_is_recorded_sent_even_when_the_release_fails(graph, contact, monkeypatch):
    first, last = queue(contact, "1", "2")

    def release(contact_id, owner):
        raise OperationalError("database is locked")

    monkeypatch.setattr(outbox, "_release", release)
    with pytest.raises(OperationalError):
        outbox.deliver(contact.pk)
    for row in (first, last):
        row.refresh_from_db()
    assert [(row.state, row.wamid) for row in (first, last)] == [
        ("sent", request["wamid"]) for request in graph.accepted
    ]


def test_a_resend_waits_for_the_webhooks_stored_before_it(graph, contact, monkeypatch):
    """Regression (test_crash.py on PostgreSQL): the status of a killed worker's send sat
    in the inbox, its nudge lost with the worker; the sweep nudged its ingest and the
    resend together, and the resend won: the image went out twice."""
    import json

    from antrean.whatsapp import tasks
    from antrean.whatsapp.models import Delivery

    (row,) = queue(contact, "sekali")
    OutboundMessage.objects.filter(pk=row.pk).update(
        state=OutboundState.SENDING, attempts=1, sending_since=timezone.now() - timedelta(hours=1)
    )
    status = make.status(
        contact.number.phone_number_id, "wamid.META", "sent", opaque=f"out:{row.pk}"
    )
    Delivery.objects.create(
        received_at=timezone.now() - timedelta(minutes=30), body=json.dumps(status)
    )
    nudged = []
    monkeypatch.setattr(tasks, "ingest_task", lambda: nudged.append("ingest"))
    assert outbox.deliver(contact.pk) == 0
    assert graph.requests == [] and nudged == ["ingest"]
    ingest.drain()
    assert outbox.deliver(contact.pk) == 0
    assert graph.requests == []
    row.refresh_from_db()
    assert (row.state, row.wamid) == ("sent", "wamid.META")


def test_a_resend_goes_once_the_inbox_is_empty(graph, contact):
    (row,) = queue(contact, "lagi")
    OutboundMessage.objects.filter(pk=row.pk).update(
        state=OutboundState.RETRY, attempts=1, not_before=timezone.now()
    )
    assert outbox.deliver(contact.pk) == 1
    assert received(graph) == ["lagi"]
