"""The outbox: every reply is a row written in the same transaction as the change that
caused it, and `deliver` sends a chat's rows in order, each once.

Delivery of one chat is held by one worker at a time through a lease on the contact (it
runs out if that worker dies). A row is claimed `sending` before the HTTP call and marked
`sent` with Meta's id after it, so a row that was sent is never sent again. A worker
killed in between leaves the row `sending`; it is resent only after the lease, and not at
all if a status webhook carrying the row's id (biz_opaque_callback_data) arrived in the
meantime. A timeout, which may also have reached Meta, waits 30 s before its retry. A row
tried before is resent only once the webhooks stored before it was due are ingested: the
status that settles it may be among them.

Failures Meta calls temporary (5xx, 429, timeouts, rate-limit codes) are retried with
exponential backoff and jitter until `give_up_at`; permanent ones are recorded on the row
with Meta's code for officers to see.
"""

import logging
import random
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from antrean.lib.bulk import insert_rows
from antrean.whatsapp import graph, messages, throttle
from antrean.whatsapp.media import qr_png
from antrean.whatsapp.models import (
    Contact,
    Delivery,
    InboundMessage,
    OutboundMessage,
    OutboundState,
)

log = logging.getLogger(__name__)

SERVICE_WINDOW = timedelta(hours=24)
MAX_INLINE_WAIT = 2.0  # seconds a sender sleeps for a rate limit before rescheduling
BACKOFF_BASE = 2.0
BACKOFF_CAP = 300.0
# After a failure that may have reached Meta (a timeout), wait long enough for its status
# webhook to tell us the message went out, before sending it again.
AMBIGUOUS_WAIT = 30.0
PENDING = [OutboundState.QUEUED, OutboundState.RETRY, OutboundState.SENDING]


class OutsideServiceWindow(Exception):
    """More than 24 hours since the person last wrote: only a template may be sent."""


def window_open(contact: Contact, now: datetime) -> bool:
    return contact.last_inbound_at is not None and now - contact.last_inbound_at < SERVICE_WINDOW


def enqueue(
    contact: Contact,
    replies: list[messages.OutboundMessage],
    *,
    now: datetime,
    caused_by: InboundMessage | None = None,
    template: messages.Template | None = None,
) -> list[OutboundMessage]:
    """Queue `replies` for `contact`, inside the caller's transaction.

    Outside the 24-hour service window a free-form message cannot be delivered; it is
    replaced by `template` when one is given, and refused otherwise.
    """
    rows = rows_for(contact, replies, now=now, caused_by=caused_by, template=template)
    for row in rows:  # one by one: ids must follow the order of the replies
        row.save(force_insert=True)
    if rows:
        # robust: a queue that is down must not undo what committed; the sweeper catches up.
        transaction.on_commit(lambda: _tasks().deliver_task(contact.pk), robust=True)
    return rows


def enqueue_together(replies: list[tuple[Contact, InboundMessage, list]], *, now: datetime) -> None:
    """`enqueue` for many chats at once, inside the caller's transaction: each chat's
    replies (`(contact, caused_by, replies)`), inserted together, the rows taking their
    ids in order, as one by one would."""
    rows = [
        row
        for contact, caused_by, chat_replies in replies
        for row in rows_for(contact, chat_replies, now=now, caused_by=caused_by)
    ]
    if not rows:
        return
    insert_rows(rows)
    contact_ids = sorted({row.contact_id for row in rows})
    # Sent together as well (outbox_batch), a task for many chats.
    transaction.on_commit(lambda: _tasks().nudge_delivery(contact_ids), robust=True)


def rows_for(
    contact: Contact,
    replies: list[messages.OutboundMessage],
    *,
    now: datetime,
    caused_by: InboundMessage | None = None,
    template: messages.Template | None = None,
) -> list[OutboundMessage]:
    """The outbox rows of `replies`, unsaved (see `enqueue`)."""
    if not window_open(contact, now):
        free_form = [r for r in replies if not isinstance(r, messages.Template)]
        if free_form and template is None:
            raise OutsideServiceWindow(contact.pk)
        replies = [r if isinstance(r, messages.Template) else template for r in replies]
        replies = list(dict.fromkeys(replies))  # one template, not one per replaced message
    return [
        OutboundMessage(
            contact=contact,
            caused_by=caused_by,
            message=messages.to_json(reply),
            kind=messages.summary(reply),
            created_at=now,
            not_before=now,
            give_up_at=now + timedelta(hours=settings.WHATSAPP_GIVE_UP_HOURS),
        )
        for reply in replies
    ]


def deliver(contact_id: int) -> int:
    """Send the chat's due rows in order; how many were sent."""
    owner = uuid.uuid4().hex
    now = timezone.now()
    if not _claim(contact_id, owner, now):
        return 0  # another worker is delivering this chat and will reach our rows
    sender = _Sender(contact_id, owner, now + _lease())
    try:
        sender.run()
    finally:
        sender.release()
    head = _next_row(contact_id)
    if head is not None and _due_at(head) <= timezone.now():
        _tasks().deliver_task(contact_id)  # a row queued while we were finishing
    return sender.sent


# Rows read at once. More wait for the next read, in order.
BATCH = 20
# What a row may take between the transaction that claims it and the end of its send: the
# pacing's sleep, an upload and a send (each up to WHATSAPP_TIMEOUT), and some slack. The
# lease is renewed before a claim whenever less than this is left of it.
SLACK = 10.0


class _Sender:
    """One delivery of a chat by the holder of its lease.

    The chat's pending rows are read once, with the contact and its number. A run of due
    rows costs one transaction to begin (the lease renewed together with the pair-rate
    bucket, the first row claimed, the number's send instants reserved for the whole run)
    and one per row after it (the row's `sent` together with the next row's claim), so a
    reply's bookkeeping is about two and a half commits instead of six and a half. None of
    it is written later than before: the bucket and the instants before the first call, a
    row `sending` before its call and `sent` in the first write after it, with no sleep in
    between. The lease is renewed when less than `_margin()` of it is left.
    """

    def __init__(self, contact_id: int, owner: str, lease_until: datetime):
        self.contact_id, self.owner, self.lease_until = contact_id, owner, lease_until
        self.sent = 0
        self.lost = False  # the lease ran out under us: stop at once
        # On SQLite, the `sent` of the run's last row is written with the lease's release,
        # one commit instead of two: nothing happens in between (see `run`). Not on
        # PostgreSQL: a batch of webhooks may hold the row (its status) and want the
        # contact (a new message), and one transaction holding both could deadlock.
        self.unwritten: tuple[OutboundMessage, dict] | None = None
        self.defer_last = connection.vendor == "sqlite"

    def run(self) -> None:
        rows = _pending(self.contact_id)
        if not rows:
            return
        # One copy of the contact for all rows: its bucket changes as we send.
        contact = rows[0].contact
        more = len(rows) == BATCH
        while rows and not self.lost:
            self._write_sent()  # before anything else: a wait, a write, another run
            now = timezone.now()
            head = rows[0]
            due = _due_at(head)
            if due > now:
                _later(self.contact_id, (due - now).total_seconds())
                return  # later rows wait behind it, so the chat reads in order
            if head.attempts and _webhooks_waiting(due):
                # An earlier attempt may have reached Meta, and its status may be among
                # the webhooks not yet ingested (their nudge lost with a killed worker,
                # or being ingested right now): they go first, then we look again.
                _tasks().ingest_task()
                _later(self.contact_id, WEBHOOKS_FIRST)
                return
            if now >= head.give_up_at:
                _finish(head, OutboundState.FAILED, title=head.error_title or "gave up")
                del rows[0]
            else:
                tokens = throttle.pair_tokens(contact.pair_tokens, contact.pair_at, now)
                if tokens < 1:
                    wait = throttle.pair_token_wait(tokens)
                    if wait > MAX_INLINE_WAIT:
                        _put_off(head, now, wait)
                        return
                    time.sleep(wait)
                    continue  # and take the token that has come
                run = []
                for row in rows[: int(tokens)]:
                    if _due_at(row) > now or now >= row.give_up_at:
                        break
                    if row.attempts and row is not head:
                        break  # tried before: it is checked as the head (above)
                    run.append(row)
                settled = self._send_run(run, contact, tokens, now)
                if settled is None:
                    return
                del rows[:settled]
            if not rows and more:
                self._write_sent()  # or the read finds that row still `sending`
                rows = _pending(self.contact_id)
                more = len(rows) == BATCH

    def _send_run(
        self, run: list[OutboundMessage], contact: Contact, tokens: float, now: datetime
    ) -> int | None:
        """Send `run` (due rows, one pair token each), in order; how many of them are done
        with (a retry stays at the head), or None when the chat must wait."""
        number = contact.number.phone_number_id
        try:
            with transaction.atomic():
                contact.pair_tokens, contact.pair_at = tokens - len(run), now
                if not self._renew(now, contact):
                    return None
                claimed = _claim_row(run[0], now)
                # Last: the number's row lock, which every sender from it waits for, is
                # held for no more than its own two statements and the commit.
                wait = throttle.number_wait(number, now, slots=len(run))
                if wait > MAX_INLINE_WAIT:
                    raise _NumberBusy(wait)  # all undone: the claim, tokens and instants
        except _NumberBusy as busy:
            _put_off(run[0], now, busy.wait)
            return None
        first_at = now + timedelta(seconds=wait)
        for i, row in enumerate(run):
            if claimed:
                pause = (first_at + i * throttle.step() - timezone.now()).total_seconds()
                if pause > 0:
                    time.sleep(pause)
                outcome, done = _attempt(row, contact, number)
                if outcome == OutboundState.RETRY:
                    return i  # its not_before is in the future: the run's caller waits
                if outcome == OutboundState.SENT and done:
                    self.sent += 1
            else:
                done = None  # settled by a status webhook since we read it
            following = run[i + 1] if i + 1 < len(run) else None
            claimed = self._record(row, done, following)
            if self.lost:
                return None
        return len(run)

    def _record(
        self, row: OutboundMessage, done: dict | None, following: OutboundMessage | None
    ) -> bool:
        """Write `row` sent (when `done` holds what to write) and claim `following` (when
        there is one), in one transaction; whether it was claimed."""
        now = timezone.now()
        if following is not None and (self.lease_until - now).total_seconds() < _margin():
            if done is not None:
                _mark_sent(row, done)
                done = None
            if not self._renew(now):
                return False
        if following is None:
            if done is not None and self.defer_last:
                self.unwritten = (row, done)  # with the release, or at the top of `run`
            elif done is not None:
                _mark_sent(row, done)
            return False
        try:
            with transaction.atomic():
                if done is not None:
                    _mark_sent(row, done)
                return _claim_row(following, now)
        except DatabaseError:
            # The claim cannot make the row's `sent` undone: what was sent is written alone.
            if done is not None:
                _mark_sent(row, done)
            raise

    def _write_sent(self) -> None:
        if self.unwritten is not None:
            _mark_sent(*self.unwritten)
            self.unwritten = None

    def release(self) -> None:
        """Give the chat up (and write what was sent, if that is still to do)."""
        unwritten, self.unwritten = self.unwritten, None
        if unwritten is None:
            _release(self.contact_id, self.owner)
            return
        try:
            with transaction.atomic():
                _release(self.contact_id, self.owner)
                _mark_sent(*unwritten)
        except DatabaseError:
            _mark_sent(*unwritten)  # what was sent is written, even if the release failed
            raise

    def _renew(self, now: datetime, contact: Contact | None = None) -> bool:
        """Extend our lease, with the chat's pair-rate bucket when `contact` is given; False
        when it is no longer ours."""
        changes = {"deliver_lease_until": now + _lease()}
        if contact is not None:
            changes.update(pair_tokens=contact.pair_tokens, pair_at=contact.pair_at)
        renewed = Contact.objects.filter(pk=self.contact_id, deliver_lease_owner=self.owner).update(
            **changes
        )
        if renewed:
            self.lease_until = changes["deliver_lease_until"]
        else:
            self.lost = True
            log.warning("contact %s: delivery lease lost", self.contact_id)
        return renewed == 1


class _NumberBusy(Exception):
    """The number's next free instant is too far off to wait for in the worker."""

    def __init__(self, wait: float):
        super().__init__(wait)
        self.wait = wait


def _margin() -> float:
    return 2 * settings.WHATSAPP_TIMEOUT + MAX_INLINE_WAIT + SLACK


WEBHOOKS_FIRST = 1.0  # seconds a resend waits for the webhooks stored before it


def _webhooks_waiting(due: datetime) -> bool:
    """Whether webhook deliveries received by `due` are still to be ingested (waiting, or
    being ingested right now): a status among them would settle the row we are about to
    resend."""
    return Delivery.objects.filter(received_at__lte=due).exists()


def _put_off(row: OutboundMessage, now: datetime, wait: float) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(not_before=now + timedelta(seconds=wait))
    _later(row.contact_id, wait)


def _pending(contact_id: int) -> list[OutboundMessage]:
    """The chat's next rows to send, in order, each with the contact (its bucket, without
    the conversation's encrypted memory) and the number it is sent from."""
    return list(
        OutboundMessage.objects.filter(contact_id=contact_id, state__in=PENDING)
        .select_related("contact__number")
        .defer("contact__state")
        .order_by("id")[:BATCH]
    )


def _due_at(row: OutboundMessage) -> datetime:
    """When a row may be sent. An attempt that never finished (its worker died, or failed
    after the call) may have reached Meta: its status webhook gets the lease's time to say
    so before the row is sent again."""
    if row.state == OutboundState.SENDING and row.sending_since is not None:
        return max(row.not_before, row.sending_since + _lease())
    return row.not_before


def _claim_row(row: OutboundMessage, now: datetime) -> bool:
    """Mark `row` sending before its HTTP call; False when a status webhook has settled it
    since we read it."""
    if row.state == OutboundState.SENDING:
        log.warning("outbound %s: resending after an interrupted attempt", row.pk)
    claimed = OutboundMessage.objects.filter(pk=row.pk, state__in=PENDING).update(
        state=OutboundState.SENDING, attempts=F("attempts") + 1, sending_since=now
    )
    if claimed:
        row.state, row.attempts, row.sending_since = OutboundState.SENDING, row.attempts + 1, now
    return claimed == 1


def _mark_sent(row: OutboundMessage, done: dict) -> None:
    OutboundMessage.objects.filter(pk=row.pk).update(**done)


def _attempt(row: OutboundMessage, contact: Contact, number: str) -> tuple[str, dict | None]:
    """One HTTP attempt for the claimed `row`: the state it is left in, and when Meta took
    it, what its `sent` is to record (the caller writes it, in its next transaction). A
    failure is recorded here, unless a status webhook has settled the row meanwhile."""
    uploaded = []
    try:
        message = messages.from_json(row.message)
        if isinstance(message, messages.QrImage) and not row.media_id:
            row.media_id = graph.upload_media(
                number, qr_png(message.code), "image/png", "kode-booking.png"
            )
            uploaded = ["media_id"]  # kept with the failure below, reused by the retry
        body = messages.cloud_body(
            message, contact.wa_id, media_id=row.media_id, opaque=opaque(row)
        )
        wamid = graph.send_message(number, body)
    except graph.GraphError as error:
        delay = backoff(row.attempts, error)
        if error.retryable and timezone.now() + timedelta(seconds=delay) < row.give_up_at:
            row.state = OutboundState.RETRY
            row.not_before = timezone.now() + timedelta(seconds=delay)
            _record_error(row, error)
            if not _still_sending(row, ["state", "not_before", *_ERROR_FIELDS, *uploaded]):
                return OutboundState.SENT, None
            log.info("outbound %s: retry in %.0f s (%s)", row.pk, delay, error)
            return OutboundState.RETRY, None
        row.state = OutboundState.FAILED
        _record_error(row, error)
        if not _still_sending(row, ["state", *_ERROR_FIELDS, *uploaded]):
            return OutboundState.SENT, None
        log.warning("outbound %s failed: %s", row.pk, error)
        return OutboundState.FAILED, None
    except (messages.InvalidMessage, KeyError, TypeError) as error:
        _finish(row, OutboundState.FAILED, title=f"invalid message ({type(error).__name__})")
        log.error("outbound %s could not be built: %s", row.pk, type(error).__name__)
        return OutboundState.FAILED, None
    row.state = OutboundState.SENT
    done = {
        "state": OutboundState.SENT,
        "sent_at": timezone.now(),
        "wamid": wamid,
        "error_code": None,
        "error_title": "",
        "error_detail": "",
    }
    if uploaded:
        done["media_id"] = row.media_id
    return OutboundState.SENT, done


def _still_sending(row: OutboundMessage, fields: list[str]) -> bool:
    """Save a failed attempt's outcome, unless the row is no longer `sending`: Meta may
    have taken the message before the call failed (a timeout after it arrived), and its
    status webhook, applied meanwhile, marked the row sent. Overwriting that would send it
    again. False when it was settled so."""
    saved = OutboundMessage.objects.filter(pk=row.pk, state=OutboundState.SENDING).update(
        **{name: getattr(row, name) for name in fields}
    )
    if not saved:
        log.info("outbound %s: its status came during the failed call: sent", row.pk)
    return saved == 1


def opaque(row: OutboundMessage) -> str:
    """The tag Meta echoes in status webhooks (biz_opaque_callback_data) for this row."""
    return f"out:{row.pk}"


def backoff(attempts: int, error: graph.GraphError) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(0, attempts - 1))
    if error.ambiguous:
        delay = max(delay, AMBIGUOUS_WAIT)
    if error.code == graph.PAIR_RATE_CODE:
        delay = max(delay, settings.WHATSAPP_PAIR_INTERVAL)
    if error.retry_after:
        delay = max(delay, error.retry_after)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not secrecy)


_ERROR_FIELDS = ["error_code", "error_title", "error_detail"]


def _record_error(row: OutboundMessage, error: graph.GraphError) -> None:
    row.error_code = error.code or error.status
    row.error_title = error.title[:200]
    row.error_detail = error.detail[:500]


def _finish(
    row: OutboundMessage, state: str, *, error: graph.GraphError | None = None, title: str = ""
) -> None:
    row.state = state
    if error is not None:
        _record_error(row, error)
    elif title:
        row.error_title = title[:200]
    row.save(update_fields=["state", *_ERROR_FIELDS])


def _next_row(contact_id: int) -> OutboundMessage | None:
    return (
        OutboundMessage.objects.filter(contact_id=contact_id, state__in=PENDING)
        .order_by("id")
        .first()
    )


def _lease() -> timedelta:
    return timedelta(seconds=settings.WHATSAPP_SEND_LEASE)


def _claim(contact_id: int, owner: str, now: datetime) -> bool:
    free = Q(deliver_lease_until__isnull=True) | Q(deliver_lease_until__lt=now)
    claimed = Contact.objects.filter(free, pk=contact_id).update(
        deliver_lease_until=now + _lease(), deliver_lease_owner=owner
    )
    return claimed == 1


def _release(contact_id: int, owner: str) -> None:
    Contact.objects.filter(pk=contact_id, deliver_lease_owner=owner).update(
        deliver_lease_until=None, deliver_lease_owner=""
    )


def _later(contact_id: int, seconds: float) -> None:
    _tasks().deliver_later(contact_id, seconds)


def _tasks():
    from antrean.whatsapp import tasks  # tasks import this module

    return tasks
