"""`/webhooks/whatsapp`: handshake, signatures, storage before 200, every fixture."""

import json
import threading
import time

import pytest
from django.db import OperationalError
from django.utils import timezone

from antrean.offices.models import WhatsAppNumber
from antrean.whatsapp import inbox, ingest
from antrean.whatsapp.models import (
    Contact,
    Delivery,
    InboundMessage,
    OutboundMessage,
    OutboundState,
)
from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.conftest import FIXTURES, fixture_cases, needs_fixtures

pytestmark = pytest.mark.django_db

WA_ID = "6281234567890"


class TestHandshake:
    def test_the_right_token_gets_the_challenge(self, client, settings):
        settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
        response = client.get(
            "/webhooks/whatsapp",
            {
                "hub.mode": "subscribe",
                "hub.verify_token": "verify-me",
                "hub.challenge": "1158201444",
            },
        )
        assert response.status_code == 200
        assert response.content == b"1158201444"

    @pytest.mark.parametrize(
        "params",
        [
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
            {"hub.challenge": "1"},
        ],
    )
    def test_anything_else_is_forbidden(self, client, settings, params):
        settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
        assert client.get("/webhooks/whatsapp", params).status_code == 403

    def test_no_configured_token_verifies_nothing(self, client, settings):
        settings.WHATSAPP_VERIFY_TOKEN = ""
        params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
        assert client.get("/webhooks/whatsapp", params).status_code == 403


class TestSignature:
    def test_missing_signature_is_401_and_nothing_is_stored(self, client, secret, number):
        body = make.body_of(make.text(number.phone_number_id, WA_ID, "halo"))
        response = client.post("/webhooks/whatsapp", data=body, content_type="application/json")
        assert response.status_code == 401
        assert not InboundMessage.objects.exists() and not Contact.objects.exists()

    def test_wrong_signature_is_403_and_nothing_is_stored(self, client, secret, number):
        response = make.post(
            client, make.text(number.phone_number_id, WA_ID, "halo"), secret="not-the-secret"
        )
        assert response.status_code == 403
        assert not InboundMessage.objects.exists() and not Contact.objects.exists()

    @needs_fixtures
    def test_the_byte_exact_signed_sample_is_accepted(self, client, settings):
        meta = json.loads((FIXTURES / "signed" / "meta.json").read_text())
        settings.WHATSAPP_APP_SECRET = meta["app_secret"]
        body = (FIXTURES / "signed" / "body.json").read_bytes()
        response = client.post(
            "/webhooks/whatsapp",
            data=body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=meta["signature_header"],
        )
        assert response.status_code == 200
        # Its number is not one of ours: acknowledged, logged and ignored.
        assert not InboundMessage.objects.exists()


class TestStoring:
    def test_the_body_is_kept_encrypted_before_200_and_a_worker_ingests_it_once(
        self, client, secret, number, django_capture_on_commit_callbacks
    ):
        from django.db import connections

        payload = make.text(number.phone_number_id, WA_ID, "#Budi#25011987#10082027")
        with django_capture_on_commit_callbacks(using=inbox.alias()) as nudges:
            assert make.post(client, payload, drain=False).status_code == 200
        assert len(nudges) == 1  # the worker is told at once
        delivery = Delivery.objects.get()
        assert json.loads(delivery.body) == payload
        with connections[inbox.alias()].cursor() as cursor:
            cursor.execute("SELECT body FROM whatsapp_delivery")
            assert "Budi" not in cursor.fetchone()[0]
        assert not InboundMessage.objects.exists()

        tally = ingest.drain()
        assert (tally.stored, tally.duplicates) == (1, 0)
        assert not Delivery.objects.exists()
        assert InboundMessage.objects.get().payload["text"]["body"] == "#Budi#25011987#10082027"
        assert ingest.drain().stored == 0  # nothing twice

    def test_batches_are_ingested_together_and_a_bad_delivery_does_not_block_them(
        self, client, secret, number, monkeypatch
    ):
        monkeypatch.setattr(ingest, "BATCH", 3)
        for n in range(7):
            message = make.text(number.phone_number_id, f"62812000000{n:02d}", "halo")
            make.post(client, message, drain=False)
        make.post(client, make.text(number.phone_number_id, WA_ID, "x"), drain=False)
        Delivery.objects.filter(pk=Delivery.objects.order_by("id")[2].pk).update(body="{")
        tally = ingest.drain()
        assert (tally.stored, tally.ignored) == (7, 1)
        assert InboundMessage.objects.count() == 7 and not Delivery.objects.exists()

    def test_the_sweep_finds_a_delivery_whose_nudge_was_lost(self, number):
        from antrean.whatsapp import tasks

        ingest.store(json.dumps(make.text(number.phone_number_id, WA_ID, "x")), timezone.now())
        queued = tasks.ingest_task.huey.pending_count()
        tasks.sweep(timezone.now(), startup=True)
        assert tasks.ingest_task.huey.pending_count() == queued + 1

    def test_a_message_is_stored_before_200_with_its_chat(self, client, secret, number):
        payload = make.text(
            number.phone_number_id,
            WA_ID,
            "#Budi#25011987#10082027",
            wamid="wamid.ONE",
            timestamp=1_786_000_000,
        )
        assert make.post(client, payload).status_code == 200
        stored = InboundMessage.objects.get()
        assert (stored.wamid, stored.kind, stored.state) == ("wamid.ONE", "text", "received")
        assert stored.payload["text"]["body"] == "#Budi#25011987#10082027"
        contact = stored.contact
        assert (contact.number, contact.wa_id, contact.profile_name) == (number, WA_ID, "Pemohon")
        assert contact.last_inbound_at.timestamp() == 1_786_000_000

    def test_message_text_is_encrypted_at_rest(self, client, secret, number):
        from django.db import connection

        make.post(client, make.text(number.phone_number_id, WA_ID, "#Budi#25011987#10082027"))
        with connection.cursor() as cursor:
            cursor.execute("SELECT payload FROM whatsapp_inboundmessage")
            (raw,) = cursor.fetchone()
        assert "25011987" not in raw and "Budi" not in raw

    def test_a_redelivery_adds_nothing(self, client, secret, number):
        payload = make.text(number.phone_number_id, WA_ID, "halo", wamid="wamid.SAME")
        assert make.post(client, payload).status_code == 200
        assert make.post(client, payload).status_code == 200
        assert InboundMessage.objects.count() == 1

    def test_an_unknown_number_is_acknowledged_and_ignored(self, client, secret):
        response = make.post(client, make.text("555000111", WA_ID, "halo"))
        assert response.status_code == 200
        assert not InboundMessage.objects.exists() and not Contact.objects.exists()

    def test_invalid_json_is_400(self, client, secret):
        assert make.post(client, None, raw=b'{"object": ').status_code == 400
        assert make.post(client, None, raw=b"\xff\xfe").status_code == 400
        assert make.post(client, None, raw=b"[" * 100_000).status_code == 400

    @pytest.mark.parametrize(
        "body",
        [[], {"object": "page"}, {"object": "whatsapp_business_account", "entry": [{"x": 1}]}],
    )
    def test_signed_but_strange_shapes_are_200(self, client, secret, body):
        assert make.post(client, body).status_code == 200

    def test_a_database_that_cannot_store_gets_503_so_meta_retries(
        self, client, secret, number, monkeypatch
    ):
        def broken(body, now):
            raise OperationalError("database is locked")

        monkeypatch.setattr("antrean.whatsapp.ingest.store", broken)
        response = make.post(client, make.text(number.phone_number_id, WA_ID, "halo"))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert not Delivery.objects.exists() and not InboundMessage.objects.exists()

    def test_get_and_post_only(self, client):
        assert client.put("/webhooks/whatsapp").status_code == 405


class TestStatuses:
    @pytest.fixture
    def sent(self, contact):
        now = timezone.now()
        return OutboundMessage.objects.create(
            contact=contact,
            message={"kind": "Text", "body": "x"},
            kind="text",
            state=OutboundState.SENT,
            created_at=now,
            not_before=now,
            give_up_at=now,
            sent_at=now,
            wamid="wamid.OUT1",
        )

    def test_statuses_move_forward_only(self, client, secret, number, sent):
        for state in ["delivered", "sent", "read", "delivered"]:
            assert (
                make.post(
                    client, make.status(number.phone_number_id, "wamid.OUT1", state)
                ).status_code
                == 200
            )
        sent.refresh_from_db()
        assert sent.wa_status == "read"

    def test_a_failure_keeps_meta_code_for_officers(self, client, secret, number, sent):
        error = {
            "code": 131026,
            "title": "Message undeliverable",
            "error_data": {"details": "Receiver is incapable of receiving this message"},
        }
        make.post(client, make.status(number.phone_number_id, "wamid.OUT1", "failed", error=error))
        sent.refresh_from_db()
        assert (sent.wa_status, sent.error_code, sent.error_title) == (
            "failed",
            131026,
            "Message undeliverable",
        )
        assert "incapable" in sent.error_detail

    def test_a_failure_after_delivery_is_ignored(self, client, secret, number, sent):
        make.post(client, make.status(number.phone_number_id, "wamid.OUT1", "delivered"))
        make.post(
            client,
            make.status(
                number.phone_number_id, "wamid.OUT1", "failed", error={"code": 131000, "title": "x"}
            ),
        )
        sent.refresh_from_db()
        assert sent.wa_status == "delivered" and sent.error_code is None

    def test_a_status_names_our_row_when_its_send_was_interrupted(
        self, client, secret, number, contact
    ):
        now = timezone.now()
        in_doubt = OutboundMessage.objects.create(
            contact=contact,
            message={"kind": "Text", "body": "x"},
            kind="text",
            state=OutboundState.SENDING,
            created_at=now,
            not_before=now,
            give_up_at=now,
            sending_since=now,
        )
        make.post(
            client,
            make.status(number.phone_number_id, "wamid.LATE", "sent", opaque=f"out:{in_doubt.pk}"),
        )
        in_doubt.refresh_from_db()
        assert (in_doubt.state, in_doubt.wamid, in_doubt.wa_status) == (
            "sent",
            "wamid.LATE",
            "sent",
        )

    def test_statuses_of_messages_we_did_not_send_are_ignored(self, client, secret, number):
        assert (
            make.post(client, make.status(number.phone_number_id, "wamid.NOPE", "read")).status_code
            == 200
        )


# Written out by hand for the cases that matter, so the count below is not only the
# parser's own rule checked against itself.
STORED = {
    ("message.json", "text"): 1,
    ("message.json", "image"): 1,
    ("message.json", "voice"): 1,  # stored, and answered "we cannot read voice messages"
    ("message.json", "reaction"): 0,
    ("message.json", "unreaction_empty"): 0,
    ("callback_button.json", "button"): 1,
    ("callback_button.json", "quick_reply"): 1,
    ("callback_selection.json", "callback"): 1,
    ("system.json", "identity_change"): 0,
    ("system.json", "phone_number_change"): 0,
    ("edited_message.json", "image"): 0,
    ("deleted_message.json", "revoke"): 0,
    ("message_status.json", "failed"): 0,
    ("account_update.json", "account_deleted"): 0,
    ("outgoing_message.json", "text"): 0,
}


@needs_fixtures
@pytest.mark.parametrize(("file", "case", "body"), fixture_cases())
def test_every_fixture_is_acknowledged_and_stored_when_it_is_for_us(
    client, secret, office, file, case, body
):
    """Each fixture, sent to our webhook for one of our numbers, as Meta would sign it."""
    values = [
        change.get("value")
        for entry in body.get("entry", [])
        for change in entry.get("changes", [])
    ]
    numbers = {
        v["metadata"]["phone_number_id"] for v in values if isinstance(v, dict) and "metadata" in v
    }
    for phone_number_id in numbers:
        WhatsAppNumber.objects.get_or_create(
            phone_number_id=phone_number_id,
            defaults={"office": office, "display_phone_number": "x"},
        )
    response = make.post(client, body)
    assert response.status_code == 200
    expected = sum(
        1
        for v in values
        if isinstance(v, dict)
        for m in v.get("messages", [])
        if m.get("type") not in ("reaction", "edit", "revoke", "system")
        and str(m.get("from", "")).isdigit()
    )
    assert expected == STORED.get((file, case), expected)
    assert InboundMessage.objects.count() == expected
    assert make.post(client, body).status_code == 200  # and again: nothing new
    assert InboundMessage.objects.count() == expected


@pytest.mark.parametrize(
    "message",
    [
        {
            "from": "6" * 40,
            "id": "wamid.LONGFROM",
            "timestamp": "1",
            "type": "text",
            "text": {"body": "x"},
        },
        {
            "from": "6281234567890",
            "id": "wamid." + "X" * 300,
            "timestamp": "1",
            "type": "text",
            "text": {"body": "x"},
        },
    ],
)
def test_ids_too_long_for_us_are_ignored_not_a_503_loop(client, secret, number, message):
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "1", "phone_number_id": number.phone_number_id},
        "messages": [message],
    }
    assert make.post(client, make.envelope(value)).status_code == 200
    assert not InboundMessage.objects.exists()


def test_nul_bytes_are_dropped(client, secret, number):
    payload = make.text(number.phone_number_id, WA_ID, "halo\x00", wamid="wamid.N\x00UL")
    payload["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = "Bu\x00di"
    assert make.post(client, payload).status_code == 200
    stored = InboundMessage.objects.get()
    assert stored.wamid == "wamid.NUL" and stored.contact.profile_name == "Budi"


def test_a_rush_of_webhooks_nudges_the_workers_a_few_times_not_once_each():
    """Per period: one nudge at once, one after it for whatever came meanwhile."""
    sending, release, sent = threading.Event(), threading.Event(), []

    def send():
        sent.append(time.monotonic())
        sending.set()
        release.wait(5)

    nudger = ingest.Nudger(send)
    nudger.poke()
    assert sending.wait(5)  # the first nudge is under way, held up by the queue
    for _ in range(10):  # ten webhooks meanwhile
        nudger.poke()
    release.set()
    wait_until(lambda: len(sent) == 2)  # one more for the ten, after the period
    time.sleep(ingest.NUDGE_EVERY * 3)
    assert len(sent) == 2  # and only one
    assert sent[1] - sent[0] >= ingest.NUDGE_EVERY
    nudger.poke()  # a quiet moment later: at once again
    wait_until(lambda: len(sent) == 3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_webhook_answers_while_the_queue_hangs(client, secret, number, monkeypatch):
    """A queue that takes no task (Redis stopped without closing its connections, SQLite's
    queue file locked) holds up the nudge, never the 200: the delivery is stored."""
    hanging, release, queued = threading.Event(), threading.Event(), []

    def hang():
        hanging.set()
        release.wait(30)
        queued.append("ingest")

    monkeypatch.setattr(ingest, "_nudger", ingest.Nudger(hang))
    try:
        started = time.monotonic()
        for n in range(5):
            payload = make.text(number.phone_number_id, f"6281200009{n:03d}", "halo")
            assert make.post(client, payload, drain=False).status_code == 200
        assert hanging.wait(5)
        assert time.monotonic() - started < 5  # not held up by the hanging queue
        assert Delivery.objects.count() == 5
    finally:
        release.set()
    wait_until(lambda: len(queued) == 2)  # and one more for what came while it hung
    time.sleep(ingest.NUDGE_EVERY * 2)
    assert queued == ["ingest", "ingest"]


def test_a_nudge_the_queue_refuses_is_logged_and_the_next_one_still_goes(caplog):
    attempts = []

    def refuse_once():
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("queue away")

    nudger = ingest.Nudger(refuse_once)
    with caplog.at_level("WARNING", logger="antrean.whatsapp.ingest"):
        nudger.poke()
        wait_until(lambda: attempts)
        time.sleep(ingest.NUDGE_EVERY * 2)
        nudger.poke()
        wait_until(lambda: len(attempts) == 2)
    assert "nudge not queued (queue away)" in caplog.text


def wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within the time given"
        time.sleep(0.01)
