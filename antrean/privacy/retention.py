"""Retention: personal data is erased RETENTION_DAYS after the day it was for, and what
the statistics count is kept (docs/security.md, "Retention"; docs/decisions.md §21).

Every kind below is a query for the rows that still hold something to erase, and what to
do with them. `run` works through each in small batches, every batch its own transaction
that selects and locks its rows (skipping rows another worker holds), so SQLite's write
lock is held briefly, two workers running at once share the work instead of doing it
twice, and a second run, or a run after a crash, finds only what is left.

Only ended bookings (served, no-show, cancelled, expired) are touched, never a live or
waitlisted one: the partial unique indexes on live bookings never see a changed row.
"""

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import router, transaction
from django.db.models import CharField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat

from antrean.backoffice.models import AuditEntry
from antrean.booking.lifecycle import Status
from antrean.booking.models import Applicant, Booking, BookingEvent
from antrean.feedback.models import Survey, Ticket, TicketReply
from antrean.lib.fields import ERASED
from antrean.offices.models import Zone
from antrean.release.models import Entry
from antrean.whatsapp.media import media_root
from antrean.whatsapp.models import (
    Contact,
    Delivery,
    InboundMessage,
    InboundState,
    OutboundMessage,
    OutboundState,
    StoredMedia,
)

log = logging.getLogger(__name__)

ENDED = [Status.SERVED, Status.NO_SHOW, Status.CANCELLED, Status.EXPIRED]
# Shorter would erase what the service still uses after a visit: the survey, the
# "passport ready" message, answers to feedback.
MINIMUM_DAYS = 30
BATCH = 500
# A photo file no row refers to is deleted only this long after it was written: a file is
# written before its row is committed (antrean/whatsapp/media.py).
ORPHAN_AGE = timedelta(days=1)


@dataclass(frozen=True)
class Cutoffs:
    now: datetime
    days: int
    audit_days: int

    @property
    def instant(self) -> datetime:
        return self.now - timedelta(days=self.days)

    @property
    def audit_instant(self) -> datetime:
        return self.now - timedelta(days=self.audit_days)

    def day(self, zone: str) -> date:
        """Days before this one, in an office's own zone, ended `days` ago or more."""
        return self.now.astimezone(ZoneInfo(zone)).date() - timedelta(days=self.days)


def cutoffs(now: datetime) -> Cutoffs:
    days, audit_days = settings.RETENTION_DAYS, settings.AUDIT_RETENTION_DAYS
    if min(days, audit_days) < MINIMUM_DAYS:
        raise ImproperlyConfigured(
            f"RETENTION_DAYS and AUDIT_RETENTION_DAYS must be at least {MINIMUM_DAYS}"
        )
    return Cutoffs(now, days, audit_days)


# --- Which rows -------------------------------------------------------------------------------


def _day_over(c: Cutoffs, office: str, day: str) -> Q:
    """The day in `day` ended long enough ago in the zone of the office at `office`."""
    q = Q()
    for zone in Zone.values:
        q |= Q(**{f"{office}__timezone": zone, f"{day}__lt": c.day(zone)})
    return q


def _old_booking(c: Cutoffs, path: str = "") -> Q:
    """An ended booking whose day is past retention (`path` leads to it from another model)."""
    return Q(**{f"{path}status__in": ENDED}) & _day_over(c, f"{path}office", f"{path}visit_date")


def bookings(c: Cutoffs) -> QuerySet:
    holds = (
        ~Q(name="")
        | ~Q(phone="")
        | ~Q(birth_date=ERASED)
        | Q(nik__isnull=False)
        | Q(nik_hash__isnull=False)
        | Q(address__isnull=False)
    )
    return Booking.objects.filter(_old_booking(c), holds)


def applicants(c: Cutoffs) -> QuerySet:
    return Applicant.objects.filter(_old_booking(c, "booking__"))


def history(c: Cutoffs) -> QuerySet:
    # The applicant's number in the actor ("whatsapp:62812…", "web:62812…"), and a
    # supervisor's free-text reason for letting them in late (it may say why: illness).
    personal = Q(actor__startswith="whatsapp:") | Q(actor__startswith="web:")
    personal |= Q(detail__has_key="override")
    return BookingEvent.objects.filter(_old_booking(c, "booking__"), personal)


def survey_comments(c: Cutoffs) -> QuerySet:
    return Survey.objects.filter(_old_booking(c, "booking__")).exclude(comment=ERASED)


def _old_photo(c: Cutoffs, path: str = "") -> Q:
    """A photo of an old booking, or of no booking and stored that long ago."""
    return _old_booking(c, f"{path}booking__") | Q(
        **{f"{path}booking__isnull": True, f"{path}stored_at__lt": c.instant}
    )


def photos(c: Cutoffs) -> QuerySet:
    return StoredMedia.objects.filter(_old_photo(c))


_SETTLED_IN = [InboundState.PROCESSED, InboundState.FAILED, InboundState.LIMITED]


def _old_inbound(c: Cutoffs) -> Q:
    # Not one still waiting to be processed (the sweep still hands it out), nor one whose
    # photo is kept for a booking not yet past retention.
    return Q(received_at__lt=c.instant, state__in=_SETTLED_IN) & (
        Q(media__isnull=True) | _old_photo(c, "media__")
    )


def messages_in(c: Cutoffs) -> QuerySet:
    return InboundMessage.objects.filter(_old_inbound(c))


def _old_outbound(c: Cutoffs) -> Q:
    return Q(created_at__lt=c.instant, state__in=[OutboundState.SENT, OutboundState.FAILED])


def messages_out(c: Cutoffs) -> QuerySet:
    return OutboundMessage.objects.filter(_old_outbound(c))


def webhook_bodies(c: Cutoffs) -> QuerySet:
    return Delivery.objects.filter(received_at__lt=c.instant)


def _silent(c: Cutoffs) -> Q:
    """Chats nobody wrote in for that long (or never, and sent nothing for that long),
    and whose number holds no booking that has not ended."""
    recent_out = OutboundMessage.objects.filter(contact=OuterRef("pk"), created_at__gte=c.instant)
    unended = Booking.objects.filter(phone=OuterRef("wa_id")).exclude(status__in=ENDED)
    return (
        Q(last_inbound_at__lt=c.instant) | Q(~Exists(recent_out), last_inbound_at__isnull=True)
    ) & ~Exists(unended)


def _empty(c: Cutoffs) -> Q:
    """Nothing of the chat is left once the old messages are gone."""
    kept_in = InboundMessage.objects.filter(contact=OuterRef("pk")).exclude(_old_inbound(c))
    kept_out = OutboundMessage.objects.filter(contact=OuterRef("pk")).exclude(_old_outbound(c))
    return ~Exists(kept_in) & ~Exists(kept_out)


def chats_deleted(c: Cutoffs) -> QuerySet:
    return Contact.objects.filter(_silent(c), _empty(c))


def chats_erased(c: Cutoffs) -> QuerySet:
    """Silent chats that must stay (a message to them is still queued, or was sent
    lately): their profile name and the conversation's memory go."""
    holds = ~Q(profile_name="") | ~Q(state=ERASED)
    return Contact.objects.filter(_silent(c), holds).exclude(_empty(c))


def lottery_entries(c: Cutoffs) -> QuerySet:
    # Only once the release is allocated: until then the release job still reads them.
    holds = (
        ~Q(name=ERASED)
        | ~Q(birth_date=ERASED)
        | ~Q(details=ERASED)
        | Q(nik_hash__isnull=False)
        | ~Q(phone__startswith="#")
    )
    return Entry.objects.filter(
        _day_over(c, "release__office", "release__last_day"),
        holds,
        release__allocated_at__isnull=False,
    )


def tickets(c: Cutoffs) -> QuerySet:
    return Ticket.objects.filter(Q(created_at__lt=c.instant), ~Q(phone="") | ~Q(text=ERASED))


def ticket_replies(c: Cutoffs) -> QuerySet:
    return TicketReply.objects.filter(ticket__created_at__lt=c.instant).exclude(text=ERASED)


def sessions(c: Cutoffs) -> QuerySet:
    # The web booking keeps its draft (names, NIKs, birth dates) in the session; Django
    # deletes an expired session only when asked to.
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=c.now)


def audit_entries(c: Cutoffs) -> QuerySet:
    # The base manager: the audit log's own refuses to delete; retention is the exception.
    return AuditEntry._base_manager.filter(at__lt=c.audit_instant)


def _sign_ins(model_name: str) -> Callable[[Cutoffs], QuerySet]:
    def rows(c: Cutoffs) -> QuerySet:
        from axes import models

        return getattr(models, model_name).objects.filter(attempt_time__lt=c.audit_instant)

    return rows


# --- What to do with them -----------------------------------------------------------------


def _delete(rows: QuerySet) -> int:
    return rows.delete()[1].get(rows.model._meta.label, 0)


def _erase_booking(rows: QuerySet) -> int:
    return rows.update(name="", phone="", birth_date=ERASED, nik=None, nik_hash=None, address=None)


def _erase_history(rows: QuerySet) -> int:
    ids = list(rows.values_list("pk", flat=True))
    for channel in ("whatsapp", "web"):
        rows.filter(actor__startswith=f"{channel}:").update(actor=channel)
    for pk, detail in rows.filter(detail__has_key="override").values_list("pk", "detail"):
        detail.pop("override", None)
        BookingEvent.objects.filter(pk=pk).update(detail=detail)
    return len(ids)


def _inside(root: Path, relative: str) -> Path | None:
    path = (root / relative).resolve()
    return path if path.is_relative_to(root.resolve()) else None


def _delete_photos(rows: QuerySet) -> int:
    doomed = dict(rows.values_list("pk", "path"))
    # Files are named by their content: the same photo sent twice is one file.
    shared = set(
        StoredMedia.objects.filter(path__in=set(doomed.values()))
        .exclude(pk__in=list(doomed))
        .values_list("path", flat=True)
    )
    root = media_root()
    # Files first: a crash after this leaves rows whose files are gone, deleted next run.
    for relative in set(doomed.values()) - shared:
        path = _inside(root, relative)
        if path is not None:
            path.unlink(missing_ok=True)
    return _delete(StoredMedia.objects.filter(pk__in=list(doomed)))


def _erase_entry(rows: QuerySet) -> int:
    # One entry per phone in a release is a unique index: the ticket number stands in.
    return rows.update(
        name=ERASED,
        birth_date=ERASED,
        details=ERASED,
        nik_hash=None,
        phone=Concat(Value("#"), Cast("ticket", CharField()), output_field=CharField()),
    )


def _erase_ticket(rows: QuerySet) -> int:
    return rows.update(phone="", text=ERASED)


def _erase_text(rows: QuerySet) -> int:
    return rows.update(text=ERASED)


def _erase_comment(rows: QuerySet) -> int:
    return rows.update(comment=ERASED)


def _erase_chat(rows: QuerySet) -> int:
    return rows.update(profile_name="", state=ERASED)


# In this order: a chat is deleted once its messages are, a message once its photo is.
KINDS: list[tuple[str, Callable[[Cutoffs], QuerySet], Callable[[QuerySet], int]]] = [
    ("bookings", bookings, _erase_booking),
    ("applicants", applicants, _delete),
    ("booking_history", history, _erase_history),
    ("survey_comments", survey_comments, _erase_comment),
    ("photos", photos, _delete_photos),
    ("messages_in", messages_in, _delete),
    ("messages_out", messages_out, _delete),
    ("webhook_bodies", webhook_bodies, _delete),
    ("chats_deleted", chats_deleted, _delete),
    ("chats_erased", chats_erased, _erase_chat),
    ("lottery_entries", lottery_entries, _erase_entry),
    ("tickets", tickets, _erase_ticket),
    ("ticket_replies", ticket_replies, _erase_text),
    ("sessions", sessions, _delete),
    ("audit_entries", audit_entries, _delete),
    ("sign_in_log", _sign_ins("AccessLog"), _delete),
    ("sign_in_failures", _sign_ins("AccessFailureLog"), _delete),
    ("sign_in_attempts", _sign_ins("AccessAttempt"), _delete),
]


def _in_batches(rows: Callable[[], QuerySet], erase, batch: int) -> int:
    done, last = 0, None
    while True:
        with transaction.atomic(using=router.db_for_write(rows().model)):  # deliveries: inbox
            todo = rows().order_by("pk")
            if last is not None:
                todo = todo.filter(pk__gt=last)  # always forward: every loop ends
            ids = list(
                todo.select_for_update(skip_locked=True, of=("self",)).values_list("pk", flat=True)[
                    :batch
                ]
            )
            if not ids:
                return done
            done += erase(rows().model._base_manager.filter(pk__in=ids))
        last = ids[-1]


def orphan_files(c: Cutoffs, *, dry_run: bool, batch: int = BATCH) -> int:
    """Photo files no row refers to: left by a crash between file and row, or by a run
    on another machine (each machine has its own media folder, the database is shared)."""
    root = media_root()
    if not root.is_dir():
        return 0
    # Wall-clock time, as the files' own: `now` is the database's idea of the day.
    oldest = time.time() - ORPHAN_AGE.total_seconds()
    candidates = [
        path
        for path in root.glob("*/*")
        if path.is_file() and path.suffix in {".bin", ".tmp"} and _mtime(path) < oldest
    ]
    gone = 0
    for start in range(0, len(candidates), batch):
        chunk = {str(p.relative_to(root)): p for p in candidates[start : start + batch]}
        known = set(StoredMedia.objects.filter(path__in=list(chunk)).values_list("path", flat=True))
        for relative, path in chunk.items():
            if relative in known:
                continue
            if not dry_run:
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue  # another worker was first: counted there
            gone += 1
    return gone


def _mtime(path: Path) -> float:
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")


def run(now: datetime, *, dry_run: bool = False, batch: int = BATCH) -> dict[str, int]:
    """Erase what is past retention; how many rows (or files) of each kind changed. With
    `dry_run`, how many would, and nothing changes."""
    c = cutoffs(now)
    tally: dict[str, int] = {}
    for name, rows, erase in KINDS:
        if dry_run:
            tally[name] = rows(c).count()
        else:
            tally[name] = _in_batches(lambda rows=rows: rows(c), erase, batch)
        if name == "photos":
            tally["orphan_photo_files"] = orphan_files(c, dry_run=dry_run, batch=batch)
    return tally
