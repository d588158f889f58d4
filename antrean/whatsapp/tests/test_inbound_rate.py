"""One number may have us run the dialog only so often: a burst, then a few a minute.

Messages beyond it are taken off the queue as `limited`, never answered later, and the
person is told once per quiet period.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from antrean.content import text
from antrean.simulator import cloud
from antrean.whatsapp import inbound, tasks
from antrean.whatsapp.models import Contact, InboundMessage, StoredMedia
from antrean.whatsapp.tests import payloads_for_tests as make

from conftest import NOW

pytestmark = pytest.mark.django_db

WA_ID = "6281234567890"
OTHER = "6281299998888"
TOO_FAST = text("chat.too_fast")


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def say(client, number, body="halo", *, wa_id=WA_ID, times=1) -> Contact:
    for _ in range(times):
        response = make.post(client, make.text(number.phone_number_id, wa_id, body))
        assert response.status_code == 200
    return Contact.objects.get(number=number, wa_id=wa_id)


def states(contact) -> list[str]:
    return list(contact.inbound.order_by("sent_at", "id").values_list("state", flat=True))


def notices(contact) -> int:
    return sum(row.message.get("body") == TOO_FAST for row in contact.outbound.all())


def test_the_burst_is_answered_and_the_next_message_limited(client, secret, number):
    contact = say(client, number, times=11)
    assert inbound.process_contact(contact.pk) == 11
    assert states(contact) == ["processed"] * 10 + ["limited"]
    limited = contact.inbound.get(state="limited")
    assert limited.processed_at == timezone.now()
    assert [row.message["body"] for row in limited.replies.all()] == [TOO_FAST]
    assert TOO_FAST.startswith("Bapak/Ibu mengirim pesan terlalu cepat. Mohon tunggu 1 menit")


def test_one_notice_per_quiet_period_not_one_per_message(client, secret, number, clock):
    contact = say(client, number, times=20)
    inbound.process_contact(contact.pk)
    assert states(contact).count("limited") == 10
    assert notices(contact) == 1
    clock.shift(timedelta(seconds=3))  # not a whole token yet, and not quiet
    say(client, number, times=3)
    inbound.process_contact(contact.pk)
    assert states(contact).count("limited") == 13
    assert notices(contact) == 1
    clock.shift(timedelta(minutes=1))  # quiet: the whole burst is back, and they may be told
    say(client, number, times=11)
    inbound.process_contact(contact.pk)
    assert states(contact)[-11:] == ["processed"] * 10 + ["limited"]
    assert notices(contact) == 2


def test_tokens_come_back_at_the_rate(client, secret, number, clock):
    contact = say(client, number, times=10)
    inbound.process_contact(contact.pk)
    clock.shift(timedelta(seconds=4))
    say(client, number)
    clock.shift(timedelta(seconds=1))  # five seconds: one token at twelve a minute
    say(client, number, times=2)
    inbound.process_contact(contact.pk)
    assert states(contact)[10:] == ["limited", "processed", "limited"]
    clock.shift(timedelta(minutes=1))
    say(client, number, times=10)
    inbound.process_contact(contact.pk)
    assert states(contact)[13:] == ["processed"] * 10


def test_a_flood_from_one_number_leaves_the_others_alone(client, secret, number):
    flooder = say(client, number, times=30)
    other = say(client, number, wa_id=OTHER, times=3)
    inbound.process_contact(flooder.pk)
    inbound.process_contact(other.pk)
    assert states(flooder).count("limited") == 20
    assert states(other) == ["processed"] * 3
    assert notices(other) == 0


def test_a_limited_message_is_never_processed_later(client, secret, number, clock):
    contact = say(client, number, times=11)
    inbound.process_contact(contact.pk)
    replies = contact.outbound.count()
    clock.shift(timedelta(minutes=10))  # tokens are back, the message stays limited
    assert inbound.process_contact(contact.pk) == 0
    assert tasks.sweep(timezone.now()) == (0, 1)  # only the replies to send: nothing to process
    assert states(contact) == ["processed"] * 10 + ["limited"]
    assert contact.outbound.count() == replies


def test_a_crash_while_limiting_leaves_the_message_waiting(client, secret, number, monkeypatch):
    contact = say(client, number, times=11)
    inbound.process_contact(contact.pk)
    say(client, number)
    before = Contact.objects.values("inbound_tokens", "inbound_at", "slowed_told_at").get()

    def power_cut(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(inbound, "_keep", power_cut)
    with pytest.raises(inbound.TryAgainLater):
        inbound.process_contact(contact.pk)
    assert states(contact)[-1] == "received"
    assert Contact.objects.values("inbound_tokens", "inbound_at", "slowed_told_at").get() == before
    monkeypatch.undo()
    assert inbound.process_contact(contact.pk) == 1
    assert states(contact)[-1] == "limited"


def test_the_settings_decide_the_burst_and_the_rate(client, secret, number, settings, clock):
    settings.WHATSAPP_INBOUND_BURST = 2
    settings.WHATSAPP_INBOUND_PER_MINUTE = 1
    contact = say(client, number, times=3)
    clock.shift(timedelta(seconds=30))
    say(client, number)
    clock.shift(timedelta(seconds=30))  # a minute after the burst: one token
    say(client, number, times=2)
    inbound.process_contact(contact.pk)
    P, L = "processed", "limited"
    assert states(contact) == [P, P, L, L, P, L]
    assert notices(contact) == 1


def test_button_taps_and_list_replies_count_like_any_message(client, secret, number, settings):
    settings.WHATSAPP_INBOUND_BURST = 2
    phone_number_id = number.phone_number_id
    make.post(client, make.button(phone_number_id, WA_ID, "menu", "Menu"))
    row = cloud.inbound_message(wa_id=WA_ID, kind="list_reply", reply_id="menu", text="Menu")
    make.post(client, cloud.message_envelope(phone_number_id, make.DISPLAY, row, "Pemohon"))
    contact = say(client, number)
    inbound.process_contact(contact.pk)
    assert list(contact.inbound.order_by("id").values_list("kind", "state")) == [
        ("button_reply", "processed"),
        ("list_reply", "processed"),
        ("text", "limited"),
    ]


def test_status_updates_are_not_messages_and_do_not_count(client, secret, number):
    for n in range(15):
        make.post(client, make.status(number.phone_number_id, f"wamid.OUT{n}", "delivered"))
    contact = say(client, number, times=10)
    inbound.process_contact(contact.pk)
    assert states(contact) == ["processed"] * 10


def test_a_limited_photo_is_not_downloaded(client, secret, graph, number, settings):
    settings.WHATSAPP_INBOUND_BURST = 1
    media_id = graph.add_media(b"jpeg", "image/jpeg")
    contact = say(client, number)
    make.post(client, make.image(number.phone_number_id, WA_ID, media_id))
    inbound.process_contact(contact.pk)
    assert states(contact) == ["processed", "limited"]
    assert not StoredMedia.objects.exists()
    assert not any(media_id in r["path"] for r in graph.requests)


def test_a_flood_after_the_burst_costs_a_handful_of_queries(
    client, secret, number, django_assert_max_num_queries
):
    contact = say(client, number, times=10)
    inbound.process_contact(contact.pk)
    now = timezone.now()
    InboundMessage.objects.bulk_create(
        InboundMessage(
            contact=contact,
            wamid=f"wamid.FLOOD{n}",
            kind="text",
            sent_at=now,
            received_at=now,
            payload=cloud.inbound_message(wa_id=WA_ID, kind="text", text="#tiket"),
        )
        for n in range(1200)
    )
    with django_assert_max_num_queries(40):
        assert inbound.process_contact(contact.pk) == 1200
    assert states(contact).count("limited") == 1200
    assert notices(contact) == 1


def test_a_backlog_is_judged_by_when_each_message_was_sent(client, secret, number, clock):
    contact = say(client, number, times=11)
    clock.shift(timedelta(seconds=61))
    say(client, number, times=11)
    clock.shift(timedelta(hours=1))  # processed late, all at once (an outage)
    assert inbound.process_contact(contact.pk) == 22
    assert states(contact) == (["processed"] * 10 + ["limited"]) * 2
    assert notices(contact) == 2
