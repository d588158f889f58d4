"""Delivering the outbox to a real local HTTP server that plays the Graph API."""

import threading
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from antrean.whatsapp import outbox, throttle
from antrean.whatsapp.messages import Button, Buttons, QrImage, Template, Text
from antrean.whatsapp.models import OutboundMessage, OutboundState
from antrean.whatsapp.tests.graph_server import (
    BAD_GATEWAY,
    INVALID_NUMBER,
    PAIR_RATE,
    SERVER_ERROR,
    THROUGHPUT,
    Failure,
)

pytestmark = pytest.mark.django_db


def queue(contact, *replies):
    with transaction.atomic():
        return outbox.enqueue(contact, list(replies), now=timezone.now())


def due_now(row):
    """Let time pass until a retry is due (without waiting in the test)."""
    OutboundMessage.objects.filter(pk=row.pk).update(not_before=timezone.now())


def texts_received(graph):
    return [body["text"]["body"] for body in graph.sent_bodies() if body["type"] == "text"]


def test_a_reply_is_sent_with_the_token_and_marked_sent(graph, contact):
    (row,) = queue(contact, Text("Halo"))
    assert outbox.deliver(contact.pk) == 1
    request = graph.accepted[0]
    assert request["path"] == f"/v23.0/{contact.number.phone_number_id}/messages"
    assert request["headers"]["Authorization"] == "Bearer test-token"
    assert request["json"]["to"] == contact.wa_id
    assert request["json"]["biz_opaque_callback_data"] == f"out:{row.pk}"
    row.refresh_from_db()
    assert (row.state, row.wamid, row.attempts) == ("sent", request["wamid"], 1)


def test_replies_arrive_in_the_order_they_were_written(graph, contact):
    queue(contact, Text("satu"), Text("dua"), Text("tiga"))
    outbox.deliver(contact.pk)
    assert texts_received(graph) == ["satu", "dua", "tiga"]


def test_a_sent_row_is_never_sent_again(graph, contact):
    queue(contact, Text("sekali"))
    outbox.deliver(contact.pk)
    outbox.deliver(contact.pk)
    OutboundMessage.objects.update(not_before=timezone.now() - timedelta(hours=1))
    outbox.deliver(contact.pk)
    assert texts_received(graph) == ["sekali"]


@pytest.mark.parametrize(
    "failure",
    [SERVER_ERROR, BAD_GATEWAY, THROUGHPUT, PAIR_RATE],
    ids=["500", "502", "429-130429", "400-131056"],
)
def test_temporary_failures_are_retried_later_then_sent_once(graph, contact, failure):
    graph.fail_next(failure)
    (row,) = queue(contact, Text("coba lagi"))
    assert outbox.deliver(contact.pk) == 0
    row.refresh_from_db()
    assert row.state == "retry"
    assert row.not_before > timezone.now()
    assert row.error_code in (131000, 502, 130429, 131056)
    due_now(row)
    assert outbox.deliver(contact.pk) == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error_code) == ("sent", 2, None)
    assert texts_received(graph) == ["coba lagi"]


def test_a_timeout_is_retried(graph, contact, settings):
    settings.WHATSAPP_TIMEOUT = 0.3
    graph.fail_next(Failure(hang=1.0))
    (row,) = queue(contact, Text("lambat"))
    outbox.deliver(contact.pk)
    row.refresh_from_db()
    assert (row.state, row.error_title) == ("retry", "timeout")
    due_now(row)
    outbox.deliver(contact.pk)
    assert texts_received(graph) == ["lambat"]


def test_the_graph_api_down_for_a_while_then_back(graph, contact, settings):
    settings.WHATSAPP_PAIR_BURST = 10  # attempts count against the pair rate; time is frozen here
    graph.fail_next(*[SERVER_ERROR] * 5)
    (row,) = queue(contact, Text("akhirnya"))
    for _ in range(5):
        outbox.deliver(contact.pk)
        due_now(row)
    outbox.deliver(contact.pk)
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 6)
    assert texts_received(graph) == ["akhirnya"]


def test_later_rows_wait_behind_a_retry(graph, contact):
    graph.fail_next(SERVER_ERROR)
    first, second = queue(contact, Text("pertama"), Text("kedua"))
    outbox.deliver(contact.pk)
    second.refresh_from_db()
    assert second.state == "queued"
    due_now(first)
    outbox.deliver(contact.pk)
    assert texts_received(graph) == ["pertama", "kedua"]


def test_a_permanent_error_is_recorded_and_the_next_reply_goes_on(graph, contact):
    graph.fail_next(INVALID_NUMBER)
    first, _second = queue(contact, Text("gagal"), Text("lanjut"))
    assert outbox.deliver(contact.pk) == 1
    first.refresh_from_db()
    assert (first.state, first.error_code, first.error_title) == (
        "failed",
        131026,
        "(#131026) Message undeliverable",
    )
    assert first.error_detail == "Receiver is incapable"
    assert texts_received(graph) == ["lanjut"]


def test_retries_stop_at_the_give_up_time(graph, contact):
    graph.fail_next(SERVER_ERROR)
    (row,) = queue(contact, Text("terlambat"))
    OutboundMessage.objects.filter(pk=row.pk).update(
        give_up_at=timezone.now() + timedelta(seconds=1)
    )
    outbox.deliver(contact.pk)
    row.refresh_from_db()
    assert row.state == "failed"


def test_the_booking_qr_is_uploaded_then_sent_as_an_image(graph, contact):
    queue(contact, QrImage("ABCD2345", "Kode booking ABCD2345"))
    assert outbox.deliver(contact.pk) == 1
    (upload,) = [r for r in graph.requests if r["path"].endswith("/media")]
    assert upload["form"] == {"messaging_product": "whatsapp"}
    content, mime = graph.media[upload["media_id"]]
    assert mime == "image/png" and content.startswith(b"\x89PNG")
    assert graph.sent_bodies()[0]["image"] == {
        "id": upload["media_id"],
        "caption": "Kode booking ABCD2345",
    }


def test_a_failed_send_after_the_upload_reuses_the_upload(graph, contact):
    graph.fail_next(SERVER_ERROR.on("/messages"))
    (row,) = queue(contact, QrImage("ABCD2345"))
    outbox.deliver(contact.pk)
    due_now(row)
    outbox.deliver(contact.pk)
    assert len([r for r in graph.requests if r["path"].endswith("/media")]) == 1
    assert len(graph.accepted) == 1


class TestServiceWindow:
    def test_free_form_messages_need_a_recent_message_from_the_person(self, contact):
        contact.last_inbound_at = timezone.now() - timedelta(hours=25)
        contact.save()
        with pytest.raises(outbox.OutsideServiceWindow):
            queue(contact, Text("pengingat"))

    def test_outside_the_window_the_template_goes_instead(self, graph, contact):
        contact.last_inbound_at = timezone.now() - timedelta(hours=25)
        contact.save()
        template = Template("antrean_pengingat", "id", ("Budi", "Selasa, 10 Agustus 2027"))
        with transaction.atomic():
            rows = outbox.enqueue(
                contact, [Text("Halo Budi"), Text("besok")], now=timezone.now(), template=template
            )
        assert [row.kind for row in rows] == ["template antrean_pengingat"]
        outbox.deliver(contact.pk)
        body = graph.sent_bodies()[0]
        assert body["type"] == "template" and body["template"]["name"] == "antrean_pengingat"

    def test_templates_go_any_time(self, graph, contact):
        contact.last_inbound_at = None
        contact.save()
        queue(contact, Template("antrean_paspor_selesai", "id"))
        assert outbox.deliver(contact.pk) == 1


class TestPacing:
    def test_a_burst_to_one_person_then_one_per_interval(self, graph, contact, settings):
        settings.WHATSAPP_PAIR_BURST = 2
        settings.WHATSAPP_PAIR_INTERVAL = 6.0
        rows = queue(contact, Text("1"), Text("2"), Text("3"))
        assert outbox.deliver(contact.pk) == 2
        rows[2].refresh_from_db()
        assert rows[2].state == "queued"
        wait = (rows[2].not_before - timezone.now()).total_seconds()
        assert 4.0 < wait <= 6.0

    def test_a_number_sends_at_its_throughput(self, number, settings):
        settings.WHATSAPP_THROUGHPUT = 80
        now = timezone.now()
        waits = [throttle.number_wait(number.phone_number_id, now) for _ in range(5)]
        assert waits == pytest.approx([0, 1 / 80, 2 / 80, 3 / 80, 4 / 80])
        later = now + timedelta(seconds=1)
        assert throttle.number_wait(number.phone_number_id, later) == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_at_once_send_each_reply_once_in_order(graph, contact):
    queue(contact, *[Text(str(i)) for i in range(5)])
    barrier = threading.Barrier(4)
    results = []

    def worker():
        from django.db import connection

        barrier.wait()
        try:
            results.append(outbox.deliver(contact.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 5
    assert texts_received(graph) == ["0", "1", "2", "3", "4"]


class TestInterruptedSends:
    def in_doubt(self, contact, minutes_ago):
        now = timezone.now()
        (row,) = queue(contact, Text("ragu"))
        OutboundMessage.objects.filter(pk=row.pk).update(
            state=OutboundState.SENDING,
            attempts=1,
            sending_since=now - timedelta(minutes=minutes_ago),
        )
        return row

    def test_a_send_cut_off_by_a_crash_is_resent_once(self, graph, contact):
        row = self.in_doubt(contact, 5)
        assert outbox.deliver(contact.pk) == 1
        row.refresh_from_db()
        assert (row.state, row.attempts) == ("sent", 2)
        assert texts_received(graph) == ["ragu"]

    def test_not_when_meta_already_told_us_it_went_out(self, graph, contact, client, secret):
        from antrean.whatsapp.tests import payloads_for_tests as make

        row = self.in_doubt(contact, 5)
        make.post(
            client,
            make.status(
                contact.number.phone_number_id, "wamid.META", "delivered", opaque=f"out:{row.pk}"
            ),
        )
        assert outbox.deliver(contact.pk) == 0
        assert graph.sent_bodies() == []
        row.refresh_from_db()
        assert (row.state, row.wamid) == ("sent", "wamid.META")

    def test_a_call_that_failed_after_meta_took_the_message_does_not_undo_its_status(
        self, graph, contact, monkeypatch
    ):
        """Regression (test_faults.py): a timeout whose message had reached Meta, and whose
        status webhook came during the call, was recorded as a retry over the status, and
        the message went out again 30 s later."""
        from antrean.whatsapp import graph as graph_api
        from antrean.whatsapp import ingest, payloads
        from antrean.whatsapp.tests import payloads_for_tests as make

        (row,) = queue(contact, Text("sekali"))

        def taken_then_timed_out(number, body):
            status = make.status(
                number, "wamid.META", "sent", opaque=body["biz_opaque_callback_data"]
            )
            ingest.ingest(payloads.parse(status))
            raise graph_api.GraphError("timeout", retryable=True, ambiguous=True)

        monkeypatch.setattr(graph_api, "send_message", taken_then_timed_out)
        outbox.deliver(contact.pk)
        row.refresh_from_db()
        assert (row.state, row.wamid, row.wa_status) == ("sent", "wamid.META", "sent")

    def test_a_status_read_while_the_sender_records_meta_s_id_is_kept(self, contact, monkeypatch):
        """Regression (test_faults.py, PostgreSQL): the status came before Meta's answer; its
        look by Meta's id found nothing, the sender then recorded the id, and the look by our
        callback data wanted a row without one: the status was dropped."""
        from django.db.models import QuerySet

        from antrean.whatsapp import ingest, payloads
        from antrean.whatsapp.tests import payloads_for_tests as make

        (row,) = queue(contact, Text("sekali"))
        OutboundMessage.objects.filter(pk=row.pk).update(state=OutboundState.SENDING)
        real_update, looked = QuerySet.update, []

        def update(queryset, **changes):
            updated = real_update(queryset, **changes)
            if queryset.model is OutboundMessage and not looked:
                looked.append(updated)  # the status's first look; now the sender's answer:
                OutboundMessage.objects.filter(pk=row.pk).update(
                    state="sent", wamid="wamid.M", sent_at=timezone.now()
                )
            return updated

        monkeypatch.setattr(QuerySet, "update", update)
        status = make.status(
            contact.number.phone_number_id, "wamid.M", "sent", opaque=f"out:{row.pk}"
        )
        ingest.ingest(payloads.parse(status))
        row.refresh_from_db()
        assert looked == [0]
        assert (row.state, row.wamid, row.wa_status) == ("sent", "wamid.M", "sent")


def test_buttons_go_out_as_interactive_messages(graph, contact):
    queue(
        contact,
        Buttons("Konfirmasi?", (Button("confirm:X", "Konfirmasi"), Button("cancel:X", "Batal"))),
    )
    outbox.deliver(contact.pk)
    assert graph.sent_bodies()[0]["interactive"]["type"] == "button"


class TestWaitingWithoutSpinning:
    """Regression: a waiting first row and a due second one once re-queued deliver at once,
    forever, for as long as the backoff lasted."""

    def test_a_retry_at_the_head_waits_and_nothing_is_requeued_now(self, graph, contact):
        from datetime import UTC, datetime

        from huey.contrib.djhuey import HUEY

        def queued_tasks():  # huey keeps a delayed task in the queue with its eta
            now = datetime.now(UTC).replace(tzinfo=None)
            return [(task.eta is not None and task.eta > now) for task in HUEY.pending()]

        graph.fail_next(SERVER_ERROR)
        queue(contact, Text("pertama"), Text("kedua"))
        HUEY.flush()
        assert outbox.deliver(contact.pk) == 0
        assert queued_tasks() == [True]  # one delivery, when the retry is due; none now
        assert outbox.deliver(contact.pk) == 0
        assert queued_tasks() == [True, True] and len(graph.requests) == 1


class TestMaybeSent:
    def test_an_unfinished_attempt_waits_out_the_lease_for_meta_status(self, graph, contact):
        (row,) = queue(contact, Text("mungkin terkirim"))
        OutboundMessage.objects.filter(pk=row.pk).update(
            state=OutboundState.SENDING, attempts=1, sending_since=timezone.now()
        )
        assert outbox.deliver(contact.pk) == 0
        assert graph.requests == []  # not resent inside the lease

    def test_a_row_settled_by_a_status_webhook_is_not_sent(self, graph, contact):
        (row,) = queue(contact, Text("sudah"))
        OutboundMessage.objects.filter(pk=row.pk).update(
            state=OutboundState.SENT, sent_at=timezone.now(), wamid="wamid.META"
        )
        assert not outbox._claim_row(row, timezone.now())  # `row` is the stale copy
        assert outbox.deliver(contact.pk) == 0
        assert graph.requests == []

    def test_a_timeout_waits_for_meta_status_before_its_retry(self, graph, contact, settings):
        settings.WHATSAPP_TIMEOUT = 0.3
        graph.fail_next(Failure(hang=1.0))
        (row,) = queue(contact, Text("lambat"))
        outbox.deliver(contact.pk)
        row.refresh_from_db()
        assert (row.not_before - timezone.now()).total_seconds() > 20

    def test_a_refused_connection_never_reached_meta_so_it_retries_soon(self, contact, settings):
        from antrean.ops.tests.processes import free_port

        settings.WHATSAPP_API_URL = f"http://127.0.0.1:{free_port()}/v23.0"  # nobody listens
        settings.WHATSAPP_ACCESS_TOKEN = "t"
        (row,) = queue(contact, Text("ditolak"))
        outbox.deliver(contact.pk)
        row.refresh_from_db()
        assert row.state == "retry" and row.error_title.startswith("cannot connect")
        assert (row.not_before - timezone.now()).total_seconds() < 5
