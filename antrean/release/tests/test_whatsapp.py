"""The lottery over WhatsApp: a LAW message for a day of an open window is an entry; before
the window the answer says when it opens; the result comes as a message with buttons."""

from datetime import timedelta

import pytest

from antrean.conversation.tests.transcripts import Conversation, Player, Say, Tap
from antrean.release import jobs
from antrean.release.models import Entry, Outcome
from antrean.release.tests.test_lottery import IN_WINDOW, OPENS
from antrean.whatsapp.models import Contact

from conftest import NOW, new_phone


@pytest.fixture
def chat(make_office, services):
    office = make_office(release_mode="lottery", horizon_days=60, name="Kantor Imigrasi Undian")
    jobs.run(NOW)  # plans September, opening Tuesday 31 August 09.00 WIB
    return Contact.objects.create(number=office.numbers.get(), wa_id=new_phone())


def test_before_the_window_the_answer_says_when_it_opens(chat, time_machine):
    time_machine.move_to(NOW, tick=False)
    Player(chat, time_machine).play(
        Conversation(
            "before",
            [
                Say("#Sri Wahyuni#17051990#02092027"),
                "belum dibuka",
                "31 Agustus 2027",
                "09.00",
                "undian",
            ],
        )
    )
    assert not Entry.objects.exists()


def test_in_the_window_a_law_message_enters_and_the_result_follows(chat, time_machine):
    time_machine.move_to(IN_WINDOW, tick=False)
    player = Player(chat, time_machine)
    player.play(
        Conversation(
            "enter",
            [
                Say("#Sri Wahyuni#17051990#02092027"),
                "Nomor undian: *1*",
                "!Kode booking",
                Say("#Sri Wahyuni#17051990#03092027"),
                "sudah ikut undian",
                "nomor undian 1",
            ],
        )
    )
    entry = Entry.objects.get()
    assert entry.visit_date.isoformat() == "2027-09-02" and entry.channel == "whatsapp"
    jobs.run(OPENS + timedelta(minutes=30))
    entry.refresh_from_db()
    assert entry.outcome == Outcome.WON
    code = entry.booking.code
    time_machine.move_to(OPENS + timedelta(minutes=31), tick=False)
    player.play(Conversation("confirm", [Tap(f"confirm:{code}"), code, "A-"]))
    entry.booking.refresh_from_db()
    assert entry.booking.status == "confirmed"


def test_after_the_window_the_answer_says_the_draw_is_running(chat, time_machine):
    time_machine.move_to(OPENS + timedelta(minutes=30), tick=False)
    Player(chat, time_machine).play(
        Conversation(
            "drawing",
            [Say("#Sri Wahyuni#17051990#02092027"), "sedang diproses", "!Nomor undian"],
        )
    )


def _stored(contact, text, sent_at):
    """A message the webhook stored (acknowledged) but no worker has processed yet."""
    from antrean.simulator import cloud
    from antrean.whatsapp.models import InboundMessage

    message = cloud.inbound_message(
        wa_id=contact.wa_id, timestamp=int(sent_at.timestamp()), kind="text", text=text
    )
    Contact.objects.filter(pk=contact.pk).update(last_inbound_at=sent_at)
    return InboundMessage.objects.create(
        contact=contact,
        wamid=message["id"],
        kind="text",
        sent_at=sent_at,
        received_at=sent_at,
        payload=message,
    )


def test_a_message_written_in_the_window_counts_when_a_backlog_brings_it_after_the_close(
    chat, time_machine
):
    """The rush's backlog: written at 09.29, processed at 09.34. The draw waits for it, and
    it is an entry; a message written after the close is told the draw is running."""
    from antrean.release.models import Release
    from antrean.whatsapp import inbound

    written = OPENS + timedelta(minutes=29)
    late = Contact.objects.create(number=chat.number, wa_id=new_phone())
    _stored(chat, "#Sri Wahyuni#17051990#02092027", written)
    _stored(late, "#Budi Santoso#25011987#02092027", OPENS + timedelta(minutes=31))
    closed = OPENS + timedelta(minutes=34)
    time_machine.move_to(closed, tick=False)

    assert jobs.run(closed) == {}  # two messages of the window's office wait: no draw yet
    assert Release.objects.get().drawn_at is None

    inbound.process_contact(chat.pk)
    inbound.process_contact(late.pk)
    entry = Entry.objects.get()
    assert entry.phone == chat.wa_id and entry.created_at == closed
    told = late.outbound.get().message["body"]
    assert "sedang diproses" in told

    tally = jobs.run(closed)  # nothing written in the window waits any more
    release = Release.objects.order_by("first_day").first()  # (October's is planned now)
    assert release.drawn_at == closed and "release" in " ".join(tally)
    entry.refresh_from_db()
    assert entry.outcome == Outcome.WON


def test_the_draw_waits_for_webhooks_acknowledged_before_the_close_and_not_yet_ingested(
    chat, time_machine
):
    """A 200 given in the window is an entry's promise, even while the body still waits in
    the inbox: the draw starts once it is ingested (and processed)."""
    import json

    from antrean.release.models import Release
    from antrean.simulator import cloud
    from antrean.whatsapp import inbound, ingest

    written = OPENS + timedelta(minutes=29, seconds=59)
    body = cloud.inbound_message(
        wa_id=chat.wa_id,
        timestamp=int(written.timestamp()),
        kind="text",
        text="#Sri Wahyuni#17051990#02092027",
    )
    number = chat.number
    envelope = cloud.message_envelope(number.phone_number_id, number.display_phone_number, body)
    ingest.store(json.dumps(envelope), written)
    closed = OPENS + timedelta(minutes=31)
    time_machine.move_to(closed, tick=False)

    assert jobs.run(closed) == {}  # acknowledged, not ingested: no draw yet
    assert Release.objects.get().drawn_at is None

    ingest.drain()
    inbound.process_contact(chat.pk)
    assert Entry.objects.get().phone == chat.wa_id
    jobs.run(closed)
    assert Release.objects.order_by("first_day").first().drawn_at == closed


def test_an_entry_reads_the_office_and_its_releases_once(chat, time_machine):
    """A rush is 20,000 of these: the schedule the dialog read serves the entry too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from antrean.whatsapp import inbound

    time_machine.move_to(IN_WINDOW, tick=False)
    _stored(chat, "#Sri Wahyuni#17051990#02092027", IN_WINDOW)
    with CaptureQueriesContext(connection) as queries:
        assert inbound.process_contact(chat.pk) == 1
    assert Entry.objects.get().ticket == 1
    sql = [query["sql"] for query in queries.captured_queries]
    # The schedule's look at the releases: the earliest one not yet allocated.
    pending = [s for s in sql if '"release_release"' in s and '"allocated_at" IS NULL' in s]
    # Not counted: the office's lock on PostgreSQL (hold_offices), which reads its id only.
    offices = [
        s
        for s in sql
        if s.startswith("SELECT") and 'FROM "offices_office"' in s and "FOR UPDATE" not in s
    ]
    assert (len(pending), len(offices)) == (1, 0)  # the office came with the chat's number
