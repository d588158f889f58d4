"""An office's history for retention to work on: a day in February 2026 (18 months before
NOW, past the 365 days of retention) with every way a booking ends, a recent day, a live
booking, the WhatsApp chats around them with photos, a lottery, tickets, the audit log.

Everything is made the way the service makes it (booking actions, media.store, the
feedback actions) at the time it happened; only what has no action of its own (chats,
messages, releases and their entries, audit rows) is written with the ORM.
"""

import datetime
import itertools
from types import SimpleNamespace

import pytest

from conftest import NOW, WIB, new_phone, nik_for

OLD_NOW = datetime.datetime(2026, 2, 9, 6, 0, tzinfo=WIB)  # a Monday
OLD_DAY = datetime.date(2026, 2, 10)
RECENT_NOW = datetime.datetime(2027, 8, 2, 6, 0, tzinfo=WIB)  # a Monday, a week before NOW
RECENT_DAY = datetime.date(2027, 8, 3)
LIVE_DAY = datetime.date(2027, 8, 10)
OFFICER = "officer:petugas"

_wamids = itertools.count(1)


def at(hour: int, minute: int = 0, day: datetime.date = OLD_DAY) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), WIB)


@pytest.fixture
def kept_for(settings, tmp_path):
    """RETENTION_DAYS 365, AUDIT_RETENTION_DAYS 730, and a media folder of the test's own."""
    settings.RETENTION_DAYS = 365
    settings.AUDIT_RETENTION_DAYS = 730
    settings.DATA_DIR = tmp_path
    return settings


@pytest.fixture
def photo(monkeypatch):
    """A photo sent in an inbound message and kept by media.store, as Batam's e-KTP is."""
    from antrean.whatsapp import graph, media
    from antrean.whatsapp.models import StoredMedia

    sent = {}
    monkeypatch.setattr(
        graph, "fetch_media", lambda media_id, limit: (sent[media_id], "image/jpeg")
    )

    def keep(contact, content: bytes, *, booking=None, received_at) -> StoredMedia:
        media_id = f"m{next(_wamids)}"
        sent[media_id] = content
        inbound = message(contact, received_at, kind="image", image={"id": media_id})
        stored = media.store(inbound)
        StoredMedia.objects.filter(pk=stored.pk).update(booking=booking, stored_at=received_at)
        stored.refresh_from_db()
        return stored

    return keep


def message(contact, received_at, *, state="processed", kind="text", **body):
    from antrean.whatsapp.models import InboundMessage

    wamid = f"wamid.{next(_wamids)}"
    body = body or {"text": {"body": "#Budi Santoso#25-01-1987#10-02-2026"}}
    return InboundMessage.objects.create(
        contact=contact,
        wamid=wamid,
        kind=kind,
        sent_at=received_at,
        received_at=received_at,
        payload={"from": contact.wa_id, "id": wamid, "type": kind, **body},
        state=state,
    )


def reply(contact, created_at, *, state="sent"):
    from antrean.whatsapp.models import OutboundMessage

    return OutboundMessage.objects.create(
        contact=contact,
        message={"type": "text", "text": {"body": "Halo Budi Santoso, kode ABCD2345"}},
        kind="reply",
        state=state,
        created_at=created_at,
        not_before=created_at,
        give_up_at=created_at + datetime.timedelta(hours=24),
        sent_at=created_at if state == "sent" else None,
    )


def _served(booking, office, counter, *, arrive, call, done, **check_in):
    from antrean.booking import actions, office_actions

    actions.check_in(
        code=booking.code, now=arrive, actor=OFFICER, identity_checked=True, **check_in
    )
    called = office_actions.call_next(counter=counter, now=call, actor=OFFICER)
    assert called.pk == booking.pk
    return office_actions.finish(
        code=booking.code, office=office, now=done, actor=OFFICER, served=True
    )


@pytest.fixture
def world(kept_for, office, service, photo):
    from antrean.backoffice.models import AuditEntry
    from antrean.booking import actions, office_actions
    from antrean.booking.rules import Person
    from antrean.feedback import actions as feedback
    from antrean.offices.models import Counter
    from antrean.release.models import Entry, Release
    from antrean.whatsapp.models import Contact, Delivery

    c1, c2 = (Counter.objects.create(office=office, number=n) for n in (1, 2))
    birth = datetime.date(1987, 1, 25)
    nik = nik_for(birth)
    child = nik_for(datetime.date(2015, 3, 3))

    def book(now, day, *, channel="whatsapp", phone=None, confirmed=True, **more):
        phone = phone or new_phone()
        return actions.book(
            office=office,
            service=service,
            phone=phone,
            name="Budi Santoso",
            birth_date=birth,
            now=now,
            channel=channel,
            actor=f"{channel}:{phone}",
            visit_date=day,
            confirmed=confirmed,
            **more,
        ).booking

    # --- 10 February 2026: served (a family, on the web), no-show, late, cancelled, lapsed
    family = book(
        OLD_NOW,
        OLD_DAY,
        channel="web",
        nik=nik,
        address="Jl. Melati 5, Jakarta",
        family=[Person("Siti Santoso", datetime.date(2015, 3, 3), child)],
    )
    absent = book(OLD_NOW, OLD_DAY)
    late = book(OLD_NOW, OLD_DAY)
    cancelled = book(OLD_NOW, OLD_DAY, channel="web")
    lapsed = book(OLD_NOW, OLD_DAY, confirmed=False)
    actions.cancel(code=cancelled.code, now=OLD_NOW, actor=f"web:{cancelled.phone}", reason="web")
    actions.lapse_unconfirmed(now=OLD_NOW + datetime.timedelta(hours=2))
    family = _served(
        family,
        office,
        c1,
        arrive=at(7),
        call=at(7, 10),
        done=at(7, 16),
        presented_niks=[nik, child],
    )
    actions.check_in(code=absent.code, now=at(7, 5), actor=OFFICER, identity_checked=True)
    office_actions.call_next(counter=c2, now=at(7, 20), actor=OFFICER)
    absent = office_actions.finish(
        code=absent.code, office=office, now=at(7, 25), actor=OFFICER, served=False
    )
    late = _served(
        late,
        office,
        c1,
        arrive=at(9, 45),
        call=at(9, 50),
        done=at(10, 5),
        override="lansia, baru pulang dari rumah sakit",
    )
    survey = feedback.record_survey(
        booking_code=family.code,
        phone=family.phone,
        scores=(4, 3, 4, 4, 3, 4, 4, 3, 4),
        comment="Toilet kotor; NIK saya " + nik,
        now=at(11),
    )

    # --- 3 August 2027 (kept: a week ago) and 10 August 2027 (live, the same NIK again)
    recent = book(RECENT_NOW, RECENT_DAY)
    recent = _served(
        recent,
        office,
        c2,
        arrive=at(7, day=RECENT_DAY),
        call=at(7, 10, day=RECENT_DAY),
        done=at(7, 30, day=RECENT_DAY),
    )
    recent_survey = feedback.record_survey(
        booking_code=recent.code,
        phone=recent.phone,
        scores=(3,) * 9,
        comment="Cepat",
        now=at(9, day=RECENT_DAY),
    )
    live = book(NOW, LIVE_DAY, nik=nik, address="Jl. Melati 5, Jakarta")

    # --- WhatsApp: chats, messages, photos
    number = office.numbers.get()
    old_chat = Contact.objects.create(
        number=number, wa_id=late.phone, profile_name="Budi", last_inbound_at=OLD_NOW,
        state={"step": "done", "name": "Budi Santoso"},
    )  # fmt: skip
    message(old_chat, OLD_NOW)
    reply(old_chat, OLD_NOW)
    old_photo = photo(old_chat, b"e-KTP of Budi", booking=family, received_at=OLD_NOW)
    lone_photo = photo(old_chat, b"a photo of no booking", received_at=OLD_NOW)
    shared_old = photo(old_chat, b"e-KTP sent twice", booking=absent, received_at=OLD_NOW)

    live_chat = Contact.objects.create(
        number=number, wa_id=live.phone, profile_name="Budi", last_inbound_at=NOW,
        state={"step": "booked"},
    )  # fmt: skip
    # Its photo came in long ago but belongs to a live booking: kept, and its message too.
    live_photo = photo(live_chat, b"e-KTP sent twice", booking=live, received_at=OLD_NOW)

    waiting_chat = Contact.objects.create(
        number=number, wa_id=new_phone(), profile_name="Ani", last_inbound_at=OLD_NOW,
        state={"step": "ask_name"},
    )  # fmt: skip
    stuck = message(waiting_chat, OLD_NOW, state="received")  # never processed: kept
    queued = reply(waiting_chat, OLD_NOW, state="queued")  # not settled: kept

    web_chat = Contact.objects.create(number=number, wa_id=recent.phone)  # never wrote
    reply(web_chat, RECENT_NOW)

    old_body = Delivery.objects.create(received_at=OLD_NOW, body='{"entry": "Budi Santoso"}')
    new_body = Delivery.objects.create(received_at=NOW, body='{"entry": "Budi Santoso"}')

    # --- A lottery in January 2026 for February, and one for August 2027
    def release(first, last, opened):
        return Release.objects.create(
            office=office, first_day=first, last_day=last, opens_at=opened,
            closes_at=opened + datetime.timedelta(minutes=30), seed="benih", seed_hash="0" * 64,
            entries=2, drawn_at=opened + datetime.timedelta(hours=1),
            allocated_at=opened + datetime.timedelta(hours=1), created_at=opened,
        )  # fmt: skip

    def entry(release, ticket, outcome, booking=None):
        return Entry.objects.create(
            release=release, ticket=ticket, phone=new_phone(), nik_hash=f"{ticket:064d}",
            service=service, channel="whatsapp", name="Budi Santoso", birth_date=birth,
            details={"nik": nik, "address": "Jl. Melati 5"}, created_at=release.opens_at,
            outcome=outcome, rank=ticket, booking=booking,
        )  # fmt: skip

    old_release = release(
        datetime.date(2026, 2, 2), datetime.date(2026, 2, 27), at(9, day=datetime.date(2026, 1, 30))
    )
    old_entries = [entry(old_release, 1, "won", family), entry(old_release, 2, "lost")]
    new_release = release(
        datetime.date(2027, 8, 2), datetime.date(2027, 8, 31), at(9, day=datetime.date(2027, 7, 30))
    )
    new_entry = entry(new_release, 1, "lost")

    # --- Feedback, the audit log, sign-ins, sessions
    old_ticket = feedback.file_ticket(
        office=office, phone=late.phone, kind="complaint", text="Saya Budi, NIK " + nik, now=OLD_NOW
    )
    feedback.reply(
        ticket=old_ticket, text="Maaf, Pak Budi", by="supervisor", now=at(12), send=lambda *a: False
    )
    new_ticket = feedback.file_ticket(
        office=office, phone=recent.phone, kind="appreciation", text="Terima kasih", now=NOW
    )

    def audit(when):
        return AuditEntry.objects.create(
            at=when, username="supervisor", role="supervisor", office=office,
            action="checked_in_late", booking_code=late.code,
            detail={"reason": "lansia, baru pulang dari rumah sakit"}, ip="10.1.2.3",
        )  # fmt: skip

    ancient = datetime.datetime(2025, 6, 2, 10, 0, tzinfo=WIB)  # more than 730 days before NOW
    old_audit, kept_audit = audit(ancient), audit(OLD_NOW)

    return SimpleNamespace(**locals())
