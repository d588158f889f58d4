"""Retention: what is erased, what is deleted, what is kept, and that a second run (or a
dry run) agrees with the first."""

import datetime
import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict
from django.urls import reverse

from antrean.booking.models import Applicant, Booking, BookingEvent
from antrean.feedback.models import Survey, Ticket, TicketReply
from antrean.privacy import retention
from antrean.release.models import Entry
from antrean.whatsapp import media
from antrean.whatsapp.models import Contact, Delivery, InboundMessage, OutboundMessage, StoredMedia

from conftest import NOW

pytestmark = pytest.mark.django_db


def raw(table: str, column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def snapshot(*rows) -> list[dict]:
    return [model_to_dict(type(row).objects.get(pk=row.pk)) for row in rows]


def test_ended_bookings_past_retention_keep_only_what_statistics_count(world):
    old = [world.family, world.absent, world.late, world.cancelled, world.lapsed]
    assert {b.status for b in Booking.objects.filter(pk__in=[b.pk for b in old])} == {
        "served", "no_show", "cancelled", "expired"
    }  # fmt: skip
    kept = snapshot(world.recent, world.live)
    counted = ["office", "service", "quota", "visit_date", "slot_at", "status", "applicants"]
    counted += ["queue_number", "arrived_at", "called_at", "served_at", "counter", "code"]
    before = list(Booking.objects.filter(pk__in=[b.pk for b in old]).values(*counted))

    retention.run(NOW)

    assert list(Booking.objects.filter(pk__in=[b.pk for b in old]).values(*counted)) == before
    for booking in Booking.objects.filter(pk__in=[b.pk for b in old]):
        assert (booking.name, booking.phone, booking.birth_date) == ("", "", None)
        assert (booking.nik, booking.nik_hash, booking.address) == (None, None, None)
        assert raw("booking_booking", "birth_date", booking.pk) == ""  # no token left
    assert not Applicant.objects.filter(booking__in=old).exists()
    assert snapshot(world.recent, world.live) == kept
    assert Applicant.objects.filter(booking=world.live).count() == 1

    actors = set(BookingEvent.objects.filter(booking__in=old).values_list("actor", flat=True))
    assert actors == {"web", "whatsapp", "officer:petugas", "system:lapse"}
    late_in = BookingEvent.objects.get(booking=world.late, action="checked_in_late")
    assert "override" not in late_in.detail
    counters = BookingEvent.objects.filter(booking=world.family, action="called")
    assert [e.detail for e in counters] == [{"counter": 1}]
    assert BookingEvent.objects.filter(booking=world.recent, actor__startswith="whatsapp:").exists()


def test_surveys_keep_their_scores_and_lose_their_comments(world):
    retention.run(NOW)
    old, recent = (
        Survey.objects.get(pk=world.survey.pk),
        Survey.objects.get(pk=world.recent_survey.pk),
    )
    assert (old.comment, old.scores) == ("", (4, 3, 4, 4, 3, 4, 4, 3, 4))
    assert (recent.comment, recent.scores) == ("Cepat", (3,) * 9)


def test_the_live_booking_with_the_same_nik_still_holds_it(world, book):
    from antrean.booking.errors import BookingError

    retention.run(NOW)
    with pytest.raises(BookingError):
        book(nik=world.nik)  # the live booking holds this NIK still
    with pytest.raises(BookingError):
        book(phone=world.live.phone)


def test_photos_go_with_their_files_unless_a_kept_photo_is_the_same_file(world):
    root = media.media_root()
    doomed = [world.old_photo, world.lone_photo, world.shared_old]
    assert all((root / p.path).exists() for p in doomed)
    assert world.shared_old.path == world.live_photo.path  # one file, two rows

    retention.run(NOW)

    assert not StoredMedia.objects.filter(pk__in=[p.pk for p in doomed]).exists()
    assert not (root / world.old_photo.path).exists()
    assert not (root / world.lone_photo.path).exists()
    assert media.read(StoredMedia.objects.get(pk=world.live_photo.pk)) == b"e-KTP sent twice"


def test_old_messages_and_silent_chats(world):
    retention.run(NOW)

    assert not Contact.objects.filter(pk=world.old_chat.pk).exists()  # and its messages
    assert not InboundMessage.objects.filter(contact__wa_id=world.late.phone).exists()

    live_chat = Contact.objects.get(pk=world.live_chat.pk)
    assert (live_chat.profile_name, live_chat.state) == ("Budi", {"step": "booked"})
    assert InboundMessage.objects.filter(pk=world.live_photo.inbound_id).exists()

    waiting = Contact.objects.get(pk=world.waiting_chat.pk)  # work left: kept, but forgotten
    assert (waiting.profile_name, waiting.state) == ("", {})
    assert raw("whatsapp_contact", "state", waiting.pk) == ""
    assert InboundMessage.objects.filter(pk=world.stuck.pk).exists()
    assert OutboundMessage.objects.filter(pk=world.queued.pk).exists()

    web_chat = Contact.objects.get(pk=world.web_chat.pk)  # sent to a week ago: untouched
    assert raw("whatsapp_contact", "state", web_chat.pk) != ""
    assert OutboundMessage.objects.filter(contact=web_chat).count() == 1

    assert list(Delivery.objects.values_list("pk", flat=True)) == [world.new_body.pk]


def test_lottery_entries_keep_what_the_public_audit_shows(world, client):
    outcomes = list(
        Entry.objects.order_by("pk").values_list("release", "ticket", "outcome", "rank")
    )

    retention.run(NOW)

    assert (
        list(Entry.objects.order_by("pk").values_list("release", "ticket", "outcome", "rank"))
        == outcomes
    )
    for entry in Entry.objects.filter(release=world.old_release):
        assert (entry.name, entry.birth_date, entry.details) == ("", None, {})
        assert (entry.phone, entry.nik_hash) == (f"#{entry.ticket}", None)
    assert Entry.objects.get(pk=world.old_entries[0].pk).booking_id == world.family.pk
    assert Entry.objects.get(pk=world.new_entry.pk).name == "Budi Santoso"
    page = client.get(reverse("release:json", args=[world.old_release.pk]))
    assert page.json()["outcomes"] == {"1": "won", "2": "lost"}


def test_tickets_and_their_replies(world):
    retention.run(NOW)
    old = Ticket.objects.get(pk=world.old_ticket.pk)
    assert (old.phone, old.text, old.kind, old.state) == ("", "", "complaint", "answered")
    assert TicketReply.objects.get(ticket=old).text == ""
    assert Ticket.objects.get(pk=world.new_ticket.pk).text == "Terima kasih"


def test_the_audit_log_and_sign_ins_have_their_own_period(world):
    from axes.models import AccessLog

    from antrean.backoffice.models import AuditEntry

    for when in (world.ancient, world.kept_audit.at):
        log = AccessLog.objects.create(username="supervisor", ip_address="10.1.2.3")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=when)

    tally = retention.run(NOW)

    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [world.kept_audit.pk]
    assert list(AccessLog.objects.values_list("attempt_time", flat=True)) == [world.kept_audit.at]
    assert (tally["audit_entries"], tally["sign_in_log"]) == (1, 1)
    with pytest.raises(PermissionError):  # still append-only for everybody else
        AuditEntry.objects.all().delete()


def test_expired_sessions_go(kept_for):
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    keys = []
    for expires in (NOW - datetime.timedelta(minutes=1), NOW + datetime.timedelta(minutes=1)):
        session = SessionStore()
        session["draft"] = {"p1_nik": "3171012501870001"}
        session.create()
        Session.objects.filter(pk=session.session_key).update(expire_date=expires)
        keys.append(session.session_key)

    assert retention.run(NOW)["sessions"] == 1
    assert list(Session.objects.values_list("pk", flat=True)) == keys[1:]


def test_a_dry_run_counts_what_a_run_does_and_a_second_run_does_nothing(world):
    before = snapshot(*Booking.objects.all(), *Contact.objects.all(), *Entry.objects.all())
    dry = retention.run(NOW, dry_run=True)
    assert snapshot(*Booking.objects.all(), *Contact.objects.all(), *Entry.objects.all()) == before

    done = retention.run(NOW, batch=2)  # small batches: several per kind

    assert done == dry
    expected = {
        "bookings": 5,
        "applicants": 6,  # 5 bookers and a child
        "survey_comments": 1,
        "photos": 3,
        "chats_deleted": 1,
        "chats_erased": 1,
        "lottery_entries": 2,
        "tickets": 1,
        "ticket_replies": 1,
        "audit_entries": 1,
        "webhook_bodies": 1,
    }
    assert {kind: done[kind] for kind in expected} == expected
    # A text and three photos of the old chat; not the one whose photo a live booking keeps.
    assert (done["messages_in"], done["messages_out"]) == (4, 1)
    again = retention.run(NOW)
    assert again == dict.fromkeys(done, 0)


def test_the_day_is_the_offices_own(kept_for, make_office, service):
    """At 23.30 WIB it is already the next day in WIT: a WIT office's day ended earlier."""
    from antrean.booking import actions

    from conftest import WIB, WIT, new_phone

    day = datetime.date(2026, 8, 10)
    booked = {}
    for zone, name in ((WIB, "Asia/Jakarta"), (WIT, "Asia/Jayapura")):
        office = make_office(timezone=name)
        made = actions.book(
            office=office, service=service, phone=new_phone(), name="Budi Santoso",
            birth_date=datetime.date(1987, 1, 25), channel="whatsapp", actor="test",
            now=datetime.datetime(2026, 8, 9, 6, 0, tzinfo=zone), visit_date=day,
        ).booking  # fmt: skip
        actions.cancel(
            code=made.code, now=datetime.datetime(2026, 8, 9, 7, 0, tzinfo=zone), actor="test"
        )
        booked[name] = made.pk
    late_evening = datetime.datetime(2027, 8, 10, 23, 30, tzinfo=WIB)  # 11 Aug, 01.30 WIT

    retention.run(late_evening)

    assert Booking.objects.get(pk=booked["Asia/Jayapura"]).name == ""
    assert Booking.objects.get(pk=booked["Asia/Jakarta"]).name == "Budi Santoso"
    retention.run(late_evening + datetime.timedelta(hours=1))  # 11 Aug in Jakarta too
    assert Booking.objects.get(pk=booked["Asia/Jakarta"]).name == ""


def test_files_of_no_row_go_a_day_after_they_were_written(kept_for, world):
    import os
    import time

    root = media.media_root()
    stray, fresh = root / "ab" / "stray.bin", root / "ab" / "fresh.123.tmp"
    stray.parent.mkdir(parents=True, exist_ok=True)
    for path in (stray, fresh):
        path.write_bytes(b"token")
    two_days_ago = time.time() - 2 * 86400
    os.utime(stray, (two_days_ago, two_days_ago))

    assert retention.run(NOW, dry_run=True)["orphan_photo_files"] == 1
    assert stray.exists()
    assert retention.run(NOW)["orphan_photo_files"] == 1
    assert not stray.exists() and fresh.exists()
    assert (root / world.live_photo.path).exists()


def test_too_short_a_retention_is_refused(settings):
    settings.RETENTION_DAYS = 7
    with pytest.raises(ImproperlyConfigured):
        retention.run(NOW)


def test_the_command_prints_counts_and_nothing_of_the_people(world, time_machine):
    time_machine.move_to(NOW, tick=False)
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    dry = out.getvalue()
    assert "dry run" in dry and "  bookings" in dry and "5" in dry
    assert Booking.objects.get(pk=world.family.pk).name == "Budi Santoso"
    out = io.StringIO()
    call_command("retention", stdout=out)
    text = dry + out.getvalue()
    assert Booking.objects.get(pk=world.family.pk).name == ""
    for secret in (world.nik, world.family.phone, world.late.phone, "Budi", "Melati", "Jl."):
        assert secret not in text
    out = io.StringIO()
    call_command("bookings", stdout=out)  # an erased birth date is listed as none
    assert world.family.code in out.getvalue()


def test_the_nightly_task_runs_at_half_past_two_in_jakarta(world, time_machine):
    from huey.contrib.djhuey import HUEY

    from antrean.privacy.tasks import retention_task

    def due(hour, minute):  # what the consumer's scheduler enqueues then (Huey runs in UTC)
        moment = datetime.datetime(2027, 8, 9, hour, minute)
        return {type(task) for task in HUEY.read_periodic(moment)}

    assert retention_task.task_class in due(19, 30)  # 02.30 WIB
    assert retention_task.task_class not in due(2, 30) | due(19, 31)
    time_machine.move_to(NOW, tick=False)
    retention_task.call_local()
    assert Booking.objects.get(pk=world.family.pk).name == ""
