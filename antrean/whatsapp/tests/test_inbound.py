"""From a stored message to a booking and replies in the outbox, exactly once."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from antrean.booking.models import Booking
from antrean.whatsapp import inbound, media, outbox, tasks
from antrean.whatsapp.models import Contact, InboundMessage, OutboundMessage, StoredMedia
from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.conftest import fixture_cases, needs_fixtures
from antrean.whatsapp.tests.graph_server import SERVER_ERROR

from conftest import NOW

pytestmark = pytest.mark.django_db

WA_ID = "6281234567890"


@pytest.fixture(autouse=True)
def monday_morning(time_machine):
    time_machine.move_to(NOW)


def send(client, number, payload_maker, *args, **kwargs):
    response = make.post(client, payload_maker(number.phone_number_id, WA_ID, *args, **kwargs))
    assert response.status_code == 200
    return Contact.objects.get(number=number, wa_id=WA_ID)


def replies(contact):
    from antrean.whatsapp.messages import from_json

    return [from_json(row.message) for row in contact.outbound.order_by("id")]


def test_a_law_message_books_and_queues_the_code_and_buttons(client, secret, number):
    contact = send(client, number, make.text, "#Budi Santoso#25011987#10082027")
    assert inbound.process_contact(contact.pk) == 1
    booking = Booking.objects.get()
    assert (booking.phone, booking.name, booking.status, booking.channel) == (
        WA_ID,
        "Budi Santoso",
        "pending",
        "whatsapp",
    )
    assert booking.events.get().actor == f"whatsapp:{WA_ID}"
    qr, details = replies(contact)
    assert qr.code == booking.code
    assert booking.code in details.body and "Konfirmasi" in details.buttons[0].title
    message = InboundMessage.objects.get()
    assert message.state == "processed"
    assert all(row.caused_by == message for row in contact.outbound.all())


def test_processing_twice_has_one_effect(client, secret, number):
    contact = send(client, number, make.text, "#Budi#25011987#10082027")
    inbound.process_contact(contact.pk)
    assert inbound.process_contact(contact.pk) == 0
    assert Booking.objects.count() == 1
    assert contact.outbound.count() == 2


def test_a_redelivered_message_books_once(client, secret, number):
    payload = make.text(number.phone_number_id, WA_ID, "#Budi#25011987#10082027", wamid="wamid.X")
    make.post(client, payload)
    make.post(client, payload)
    contact = Contact.objects.get()
    inbound.process_contact(contact.pk)
    make.post(client, payload)  # a day later, once more
    inbound.process_contact(contact.pk)
    assert Booking.objects.count() == 1


def test_messages_are_answered_in_the_order_they_were_sent(client, secret, number):
    send(client, number, make.text, "#Budi#25011987#10082027", timestamp=int(NOW.timestamp()))
    contact = send(client, number, make.text, "#batal", timestamp=int(NOW.timestamp()) + 5)
    assert inbound.process_contact(contact.pk) == 2
    assert Booking.objects.get().status == "cancelled"
    assert replies(contact)[-1].body.startswith("Pemesanan")


def test_confirming_by_button_gives_the_queue_number(client, secret, number):
    contact = send(client, number, make.text, "#Budi#25011987#10082027")
    inbound.process_contact(contact.pk)
    code = Booking.objects.get().code
    send(client, number, make.button, f"confirm:{code}", "Konfirmasi")
    inbound.process_contact(contact.pk)
    booking = Booking.objects.get()
    assert (booking.status, booking.queue_number) == ("confirmed", "A-001")
    assert "*A-001*" in replies(contact)[-1].body


def test_only_the_owner_can_confirm_a_code(client, secret, number, monkeypatch):
    # A code with a digit: an all-letter word that is nobody's code gets the menu instead.
    monkeypatch.setattr("antrean.booking.actions.new_code", lambda: "K7QX2MPA")
    contact = send(client, number, make.text, "#Budi#25011987#10082027")
    inbound.process_contact(contact.pk)
    code = Booking.objects.get().code
    stranger = make.text(number.phone_number_id, "6281299998888", code)
    make.post(client, stranger)
    other = Contact.objects.get(wa_id="6281299998888")
    inbound.process_contact(other.pk)
    assert Booking.objects.get().status == "pending"
    assert any("tidak ditemukan" in r.body for r in replies(other))


def test_a_refusal_is_answered_precisely(client, secret, number):
    contact = send(client, number, make.text, "#Budi#25011987#17082027")
    inbound.process_contact(contact.pk)
    (reply,) = replies(contact)
    assert "tutup pada Selasa, 17 Agustus 2027" in reply.body
    assert not Booking.objects.exists()


def test_a_crashing_message_is_retried_then_apologised_for(
    client, secret, number, monkeypatch, caplog
):
    contact = send(client, number, make.text, "#Budi#25011987#10082027")

    def broken(contact, message, now):
        raise RuntimeError(message.payload["text"]["body"])  # an error quoting the person

    monkeypatch.setattr("antrean.conversation.service.respond", broken)
    with caplog.at_level(logging.ERROR):
        for _ in range(inbound.MAX_ATTEMPTS - 1):
            with pytest.raises(inbound.TryAgainLater):
                inbound.process_contact(contact.pk)
        inbound.process_contact(contact.pk)  # the last attempt gives up
    message = InboundMessage.objects.get()
    assert (message.state, message.attempts) == ("failed", inbound.MAX_ATTEMPTS)
    assert replies(contact)[-1].body.startswith("Mohon maaf, terjadi gangguan")
    assert "25011987" not in caplog.text  # the log never carries what people wrote
    assert "RuntimeError" in caplog.text


class TestPhotos:
    @pytest.fixture
    def batam(self, make_office):
        from datetime import time

        office = make_office(
            message_format="batam", registration_opens_at=time(5), registration_closes_at=time(10)
        )
        return office.numbers.get()

    def test_an_e_ktp_photo_is_kept_encrypted_and_a_batam_booking_made(
        self, client, secret, graph, batam
    ):
        photo = b"\xff\xd8\xff\xe0 pretend this is a JPEG of an e-KTP"
        media_id = graph.add_media(photo, "image/jpeg")
        contact = send(client, batam, make.text, "#Siti Aminah#01021990#Jl. Engku Putri No. 3")
        send(client, batam, make.image, media_id)
        assert inbound.process_contact(contact.pk) == 2
        stored = StoredMedia.objects.get()
        on_disk = (media.media_root() / stored.path).read_bytes()
        assert photo not in on_disk and b"e-KTP" not in on_disk
        assert media.read(stored) == photo
        booking = Booking.objects.get()
        assert (booking.name, booking.address) == ("Siti Aminah", "Jl. Engku Putri No. 3")
        assert stored.booking == booking

    def test_a_photo_the_graph_api_cannot_give_yet_is_fetched_later(
        self, client, secret, graph, batam
    ):
        media_id = graph.add_media(b"jpeg", "image/jpeg")
        contact = send(client, batam, make.image, media_id)
        graph.fail_next(SERVER_ERROR)
        with pytest.raises(inbound.TryAgainLater):
            inbound.process_contact(contact.pk)
        assert not StoredMedia.objects.exists()
        assert inbound.process_contact(contact.pk) == 1
        assert StoredMedia.objects.exists()
        assert "#NAMA#TGLLAHIR#ALAMAT" in replies(contact)[-1].body

    def test_a_photo_that_never_comes_is_asked_for_again(self, client, secret, graph, batam):
        contact = send(client, batam, make.image, "no-such-media")
        inbound.process_contact(contact.pk)
        assert "kirim ulang" in replies(contact)[-1].body


def test_the_whole_way_to_the_graph_api(client, secret, graph, number):
    contact = send(client, number, make.text, "#Budi#25011987#10082027")
    inbound.process_contact(contact.pk)
    assert outbox.deliver(contact.pk) == 2
    image, buttons = graph.sent_bodies()
    assert image["type"] == "image" and buttons["type"] == "interactive"
    assert buttons["to"] == WA_ID


def test_the_sweeper_finds_work_a_lost_task_left(client, secret, number):
    from huey.contrib.djhuey import HUEY

    contact = send(client, number, make.text, "#Budi#25011987#10082027")
    HUEY.flush()  # as if the web process died before its task reached the queue
    assert tasks.sweep(timezone.now()) == (0, 0)  # too fresh to be a straggler
    assert tasks.sweep(timezone.now() + timedelta(seconds=30)) == (1, 0)
    assert HUEY.pending_count() == 1
    inbound.process_contact(contact.pk)
    OutboundMessage.objects.update(not_before=timezone.now() - timedelta(minutes=1))
    assert tasks.sweep(timezone.now(), startup=True) == (0, 1)


def test_a_message_that_reaches_us_a_day_late_gets_the_notice_template(client, secret, number):
    sent = int((NOW - timedelta(hours=25)).timestamp())
    contact = send(client, number, make.text, "#Budi#25011987#10082027", timestamp=sent)
    assert inbound.process_contact(contact.pk) == 1
    assert not Booking.objects.exists()  # too late to act on
    (reply,) = replies(contact)
    assert reply.name == "antrean_pemberitahuan"  # the approved notice, allowed any time
    assert InboundMessage.objects.get().error == "answered too late"


def test_an_unexpected_media_failure_is_counted_not_retried_forever(
    client, secret, number, monkeypatch
):
    def broken_disk(message):
        raise OSError("disk full")

    monkeypatch.setattr("antrean.whatsapp.media.store", broken_disk)
    contact = send(client, number, make.image, "12345")
    for _ in range(inbound.MAX_ATTEMPTS - 1):
        with pytest.raises(inbound.TryAgainLater):
            inbound.process_contact(contact.pk)
    inbound.process_contact(contact.pk)
    assert InboundMessage.objects.get().state == "failed"
    assert replies(contact)[-1].body.startswith("Mohon maaf, terjadi gangguan")


@needs_fixtures
@pytest.mark.parametrize(("file", "case", "body"), fixture_cases())
def test_every_fixture_message_is_answered_for_its_kind(
    client, secret, graph, office, file, case, body
):
    """Each shared fixture, as if just sent to one of our numbers, is processed and answered."""
    import copy

    from antrean.offices.models import WhatsAppNumber
    from antrean.whatsapp.payloads import UNREADABLE

    body = copy.deepcopy(body)
    for entry in body.get("entry", []):
        for change in entry.get("changes", []):
            value = change.get("value") or {}
            for message in value.get("messages", []):
                message["timestamp"] = str(int(NOW.timestamp()))  # fresh, not from 2023
            number = (value.get("metadata") or {}).get("phone_number_id")
            if number:
                WhatsAppNumber.objects.get_or_create(
                    phone_number_id=number, defaults={"office": office, "display_phone_number": "x"}
                )
    assert make.post(client, body).status_code == 200
    for contact in Contact.objects.all():
        inbound.process_contact(contact.pk)
    for message in InboundMessage.objects.all():
        assert message.state == "processed", (file, case)
        answers = list(message.replies.all())
        assert answers, (file, case)
        first = answers[0].message
        if message.kind in UNREADABLE:
            assert first["body"].startswith("Mohon maaf, kami belum dapat membaca"), (file, case)
