"""The satisfaction survey over WhatsApp, through the real path: the invitation in the
outbox, then taps and typed answers stored as inbound messages and answered by the worker.

The applicant was served on Tuesday 10 August 2027 at 08.20 WIB; the invitation goes at
09.00, while the 24-hour window of their last message is still open (unless said).
"""

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from antrean.booking import actions, office_actions
from antrean.conversation import survey
from antrean.conversation.tests.transcripts import Conversation, Player, Row, Say, Tap, Wait
from antrean.feedback.models import Survey
from antrean.offices.models import Counter
from antrean.simulator import cloud
from antrean.whatsapp import inbound, outbox
from antrean.whatsapp.messages import Buttons, Choices, Template, from_json
from antrean.whatsapp.models import Contact, OutboundMessage
from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.graph_server import GraphServer

from conftest import WIB, new_phone

pytestmark = pytest.mark.django_db

SERVED_AT = datetime.datetime(2027, 8, 10, 8, 20, tzinfo=WIB)
INVITED_AT = datetime.datetime(2027, 8, 10, 9, 0, tzinfo=WIB)
SCORES = (4, 3, 2, 4, 1, 4, 3, 4, 2)


NEXT = {
    "id": ("pertanyaan {} dari 9", "adakah saran atau komentar"),
    "en": ("question {} of 9", "do you have a suggestion or comment"),
}


def answers(scores=SCORES, lang="id"):
    """Tap each question's row; each answer must bring the next question, the last one the
    question for a comment."""
    question, comment = NEXT[lang]
    steps = []
    for number, score in enumerate(scores, 1):
        steps.append(Row(f"ikm:{number}:{score}"))
        steps.append(question.format(number + 1) if number < len(scores) else comment)
    return steps


FIRST_QUESTION = [
    "Survei kepuasan – pertanyaan 1 dari 9",
    "*Persyaratan*",
    "[Pilih jawaban]",
    "(1. Tidak baik: )",
    "(2. Kurang baik: )",
    "(3. Baik: )",
    "(4. Sangat baik: )",
]


@pytest.fixture
def served(office, book, now):
    """A booking served at counter 1 on its day, for `phone`."""
    counter = Counter.objects.create(office=office, number=1)

    def make(phone):
        code = book(phone=phone).booking.code
        actions.confirm(code=code, now=now, actor="test")
        actions.check_in(
            code=code, now=SERVED_AT.replace(hour=7, minute=0), actor="test", identity_checked=True
        )
        office_actions.call_next(counter=counter, now=SERVED_AT.replace(minute=10), actor="t")
        return office_actions.finish(
            code=code, office=office, now=SERVED_AT, actor="test", served=True
        )

    return make


@pytest.fixture
def chat(office, time_machine):
    """A person who last wrote to the office an hour before the invitation."""
    time_machine.move_to(INVITED_AT, tick=False)

    def make(phone=None, last_wrote=INVITED_AT - datetime.timedelta(hours=1)):
        return Contact.objects.create(
            number=office.numbers.get(), wa_id=phone or new_phone(), last_inbound_at=last_wrote
        )

    return make


def invited(booking) -> list:
    with transaction.atomic():
        assert survey.invite(booking, now=timezone.now())
    return [from_json(row.message) for row in OutboundMessage.objects.order_by("id")]


def test_the_whole_survey_with_a_comment(chat, served, time_machine, office):
    contact = chat()
    booking = served(contact.wa_id)
    (invitation,) = invited(booking)
    assert isinstance(invitation, Buttons)
    assert booking.code in invitation.body and office.name in invitation.body
    assert [(b.id, b.title) for b in invitation.buttons] == [
        (f"survey:{booking.code}", "Isi survei")
    ]
    steps = [
        Tap(f"survey:{booking.code}", "Isi survei"),
        *FIRST_QUESTION,
        Row("ikm:1:4"),
        "pertanyaan 2 dari 9",
        "*Sistem, mekanisme dan prosedur*",
        Say("3"),  # a typed digit counts
        "pertanyaan 3 dari 9",
        Say("lumayan"),
        "belum dapat kami catat",
        "Ketik MENU",
        "pertanyaan 3 dari 9",
        Row("ikm:2:4"),  # the row of a question already answered: asked again
        "belum dapat kami catat",
        "pertanyaan 3 dari 9",
        Row("ikm:3:2"),
        "pertanyaan 4 dari 9",
        Say("4."),
        "pertanyaan 5 dari 9",
        *answers(SCORES)[8:],  # questions 5 to 9 by tapping
        "paling banyak 1000 huruf",
        "[Lewati]",
        Say("x" * 1001),
        "terlalu panjang (1001 huruf",
        Say("Ruang tunggu panas; biaya sudah jelas. Mohon tambah kipas angin."),
        "Terima kasih atas waktu dan penilaian Bapak/Ibu",
        office.name,
    ]
    Player(contact, time_machine).play(Conversation("survey", steps))
    stored = Survey.objects.get()
    assert (stored.booking, stored.office, stored.scores) == (booking, office, SCORES)
    assert stored.comment == "Ruang tunggu panas; biaya sudah jelas. Mohon tambah kipas angin."
    assert stored.answered_at == timezone.now()
    assert Contact.objects.get(pk=contact.pk).state.get("flow") is None


@pytest.mark.parametrize("skip", [Tap("ikm:skip", "Lewati"), Say("Lewati"), Say("tidak ada")])
def test_the_comment_can_be_skipped(chat, served, time_machine, skip):
    contact = chat()
    booking = served(contact.wa_id)
    steps = [Tap("survey:{code}"), *answers(), skip, "Terima kasih atas waktu dan penilaian"]
    Player(contact, time_machine).play(Conversation("skip", steps))
    stored = Survey.objects.get(booking=booking)
    assert (stored.scores, stored.comment) == (SCORES, "")


def test_in_english(chat, served, time_machine):
    contact = chat()
    Contact.objects.filter(pk=contact.pk).update(lang="en")
    served(contact.wa_id)
    steps = [
        Tap("survey:{code}"),
        "Satisfaction survey – question 1 of 9",
        "*Requirements*",
        "(4. Very good: )",
        *answers(lang="en"),
        "[Skip]",
        Tap("ikm:skip"),
        "Thank you for your time and your ratings",
    ]
    Player(contact, time_machine).play(Conversation("english", steps))
    assert Survey.objects.count() == 1


def test_answering_twice_keeps_the_first_answers(chat, served, time_machine):
    contact = chat()
    booking = served(contact.wa_id)
    player = Player(contact, time_machine)
    player.play(Conversation("first", [Tap("survey:{code}"), *answers(), Say("Bagus")]))
    # The invitation's button tapped again: said at once, no nine questions.
    player.play(
        Conversation(
            "again",
            [Tap("survey:{code}"), "sudah mengisi survei kepuasan", booking.code, "!pertanyaan"],
        )
    )
    # And if the chat forgot it, the first answers still stand at the end.
    Contact.objects.filter(pk=contact.pk).update(state={})
    player.play(
        Conversation(
            "forgotten", [Tap("survey:{code}"), *answers((1,) * 9), Say("Buruk"), "sudah mengisi"]
        )
    )
    stored = Survey.objects.get()
    assert (stored.scores, stored.comment) == (SCORES, "Bagus")


def test_a_strangers_answers_are_not_stored(chat, served, time_machine):
    booking = served(new_phone())
    stranger = chat()
    steps = [
        Tap(f"survey:{booking.code}"),  # a forwarded invitation, say
        *answers(),
        Tap("ikm:skip"),
        "hanya dapat diisi dari nomor WhatsApp yang dipakai saat memesan",
        "!Terima kasih atas waktu",
    ]
    Player(stranger, time_machine).play(Conversation("stranger", steps))
    assert not Survey.objects.exists()


def test_a_booking_not_served_is_not_surveyed(chat, book, now, time_machine):
    contact = chat()
    booking = actions.confirm(code=book(phone=contact.wa_id).booking.code, now=now, actor="t")
    with transaction.atomic():
        assert not survey.invite(booking, now=timezone.now())
    assert not OutboundMessage.objects.exists()
    steps = [
        Tap("survey:{code}"),
        *answers(),
        Tap("ikm:skip"),
        "dapat diisi setelah Bapak/Ibu selesai dilayani",
        "Status pemesanan saat ini: terkonfirmasi.",
    ]
    Player(contact, time_machine).play(Conversation("not served", steps))
    assert not Survey.objects.exists()


def test_an_answered_survey_is_not_invited_again(chat, served, time_machine):
    contact = chat()
    booking = served(contact.wa_id)
    Player(contact, time_machine).play(
        Conversation("answered", [Tap("survey:{code}"), *answers(), Tap("ikm:skip")])
    )
    sent = OutboundMessage.objects.count()
    with transaction.atomic():
        assert not survey.invite(booking, now=timezone.now())
    assert OutboundMessage.objects.count() == sent


def test_a_survey_left_for_half_an_hour_starts_again(chat, served, time_machine):
    contact = chat()
    served(contact.wa_id)
    steps = [
        Tap("survey:{code}"),
        *answers()[:4],  # two questions answered
        Wait(31),
        Row("ikm:3:4"),
        "Sesi survei sudah berakhir",
        "ketuk kembali tombol *Isi survei*",
        "!pertanyaan",
        Tap("survey:{code}"),
        "pertanyaan 1 dari 9",
        *answers(),
        Tap("ikm:skip"),
        "Terima kasih atas waktu",
    ]
    Player(contact, time_machine).play(Conversation("timeout", steps))
    assert Survey.objects.get().scores == SCORES


def test_batal_stops_the_survey(chat, served, time_machine):
    contact = chat()
    served(contact.wa_id)
    steps = [Tap("survey:{code}"), *answers()[:6], Say("batal"), "langkah tadi dihentikan"]
    Player(contact, time_machine).play(Conversation("batal", steps))
    assert not Survey.objects.exists()


@pytest.fixture
def graph(settings):
    server = GraphServer().start()
    settings.WHATSAPP_API_URL = server.url
    settings.WHATSAPP_ACCESS_TOKEN = server.token
    settings.WHATSAPP_SIMULATOR = False
    settings.WHATSAPP_APP_SECRET = make.SECRET
    yield server
    server.stop()


def test_outside_the_window_the_template_carries_the_button(
    chat, served, graph, client, office, time_machine
):
    contact = chat(last_wrote=INVITED_AT - datetime.timedelta(days=3))
    booking = served(contact.wa_id)
    (invitation,) = invited(booking)
    assert invitation == Template(
        "antrean_survei_kepuasan", "id", (office.name,), quick_replies=(f"survey:{booking.code}",)
    )
    assert outbox.deliver(contact.pk) == 1
    (body,) = graph.sent_bodies()
    assert body["type"] == "template"
    assert body["template"]["name"] == "antrean_survei_kepuasan"
    assert body["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": office.name}]},
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": f"survey:{booking.code}"}],
        },
    ]
    # The tap on the template's quick reply, as Meta sends it: a `button` message.
    message = {
        "from": contact.wa_id,
        "id": "wamid.survey-quick-reply",
        "timestamp": str(int(timezone.now().timestamp())),
        "type": "button",
        "button": {"payload": f"survey:{booking.code}", "text": "Isi survei"},
    }
    envelope = cloud.message_envelope(office.numbers.get().phone_number_id, make.DISPLAY, message)
    assert make.post(client, envelope).status_code == 200
    assert inbound.process_contact(contact.pk) == 1
    question = from_json(OutboundMessage.objects.order_by("-id").first().message)
    assert isinstance(question, Choices)
    assert question.body.startswith("Survei kepuasan – pertanyaan 1 dari 9")
    rows = [row.id for row in question.sections[0].rows]
    assert rows == ["ikm:1:1", "ikm:1:2", "ikm:1:3", "ikm:1:4"]
