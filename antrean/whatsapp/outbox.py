"""The outbox: every reply is a row written in the same transaction as the change that
caused it, and `deliver` sends a chat's rows in order, each once.

Delivery of one chat is held by one worker at a time through a lease on the contact (it
runs out if that worker dies). A row is claimed `sending` before the HTTP call and marked
`sent` with Meta's id after it, so a row that was sent is never sent again. A worker
killed in between leaves the row `sending`; it is resent only after the lease, and not at
all if a status webhook carrying the row's id (biz_opaque_callback_data) arrived in the
meantime. A timeout, which may also have reached Meta, waits 30 s before its retry.

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
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from antrean.whatsapp import graph, messages, throttle
from antrean.whatsapp.media import qr_png
from antrean.whatsapp.models import Contact, InboundMessage, OutboundMessage, OutboundState

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
    if not window_open(contact, now):
        free_form = [r for r in replies if not isinstance(r, messages.Template)]
        if free_form and template is None:
            raise OutsideServiceWindow(contact.pk)
        replies = [r if isinstance(r, messages.Template) else template for r in replies]
        replies = list(dict.fromkeys(replies))  # one template, not one per replaced message
    rows = [
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
    for row in rows:  # one by one: ids must follow the order of the replies
        row.save(force_insert=True)
    if rows:
        # robust: a queue that is down must not undo what committed; the sweeper catches up.
        transaction.on_commit(lambda: _tasks().deliver_task(contact.pk), robust=True)
    return rows


def deliver(contact_id: int) -> int:
    """Send the chat's due rows in order; how many were sent."""
    owner = uuid.uuid4().hex
    if not _claim(contact_id, owner, timezone.now()):
        return 0  # another worker is delivering this chat and will reach our rows
    sent = 0
    try:
        contact = Contact.objects.select_related("number").get(pk=contact_id)
        number = contact.number.phone_number_id
        while True:
            row = _next_row(contact_id)
            now = timezone.now()
            if row is None or not _renew(contact_id, owner, now):
                break
            due = _due_at(row)
            if due > now:
                _later(contact_id, (due - now).total_seconds())
                break  # later rows wait behind it, so the chat reads in order
            if now >= row.give_up_at:
                _finish(row, OutboundState.FAILED, title=row.error_title or "gave up")
                continue
            wait = throttle.pair_wait(contact_id, now)  # takes the person's token when 0
            paced_by_number = wait == 0
            if paced_by_number:
                wait = throttle.number_wait(number, now)  # reserves the number's next instant
            if wait > MAX_INLINE_WAIT:
                OutboundMessage.objects.filter(pk=row.pk).update(
                    not_before=now + timedelta(seconds=wait)
                )
                _later(contact_id, wait)
                break
            if wait > 0:
                time.sleep(wait)
                if not paced_by_number:
                    continue  # ask again for the person's token, now that it has come
            outcome = _send(row, contact)
            if outcome == OutboundState.SENT:
                sent += 1
            elif outcome == OutboundState.RETRY:
                continue  # its not_before is in the future: the top of the loop schedules it
    finally:
        _release(contact_id, owner)
    head = _next_row(contact_id)
    if head is not None and _due_at(head) <= timezone.now():
        _tasks().deliver_task(contact_id)  # a row queued while we were finishing
    return sent


def _due_at(row: OutboundMessage) -> datetime:
    """When a row may be sent. An attempt that never finished (its worker died, or failed
    after the call) may have reached Meta: its status webhook gets the lease's time to say
    so before the row is sent again."""
    if row.state == OutboundState.SENDING and row.sending_since is not None:
        return max(row.not_before, row.sending_since + _lease())
    return row.not_before


def _send(row: OutboundMessage, contact: Contact) -> str:
    """One HTTP attempt for `row`; the state it is left in."""
    now = timezone.now()
    if row.state == OutboundState.SENDING:
        log.warning("outbound %s: resending after an interrupted attempt", row.pk)
    # Claim the row: a status webhook may have settled it since we read it.
    claimed = OutboundMessage.objects.filter(pk=row.pk, state__in=PENDING).update(
        state=OutboundState.SENDING, attempts=F("attempts") + 1, sending_since=now
    )
    if not claimed:
        return OutboundState.SENT
    row.attempts += 1
    number = contact.number.phone_number_id
    try:
        message = messages.from_json(row.message)
        if isinstance(message, messages.QrImage) and not row.media_id:
            row.media_id = graph.upload_media(
                number, qr_png(message.code), "image/png", "kode-booking.png"
            )
            row.save(update_fields=["media_id"])
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
            if not _still_sending(row, ["state", "not_before", *_ERROR_FIELDS]):
                return OutboundState.SENT
            log.info("outbound %s: retry in %.0f s (%s)", row.pk, delay, error)
            return OutboundState.RETRY
        row.state = OutboundState.FAILED
        _record_error(row, error)
        if not _still_sending(row, ["state", *_ERROR_FIELDS]):
            return OutboundState.SENT
        log.warning("outbound %s failed: %s", row.pk, error)
        return OutboundState.FAILED
    except (messages.InvalidMessage, KeyError, TypeError) as error:
        _finish(row, OutboundState.FAILED, title=f"invalid message ({type(error).__name__})")
        log.error("outbound %s could not be built: %s", row.pk, type(error).__name__)
        return OutboundState.FAILED
    OutboundMessage.objects.filter(pk=row.pk).update(
        state=OutboundState.SENT,
        sent_at=timezone.now(),
        wamid=wamid,
        error_code=None,
        error_title="",
        error_detail="",
    )
    return OutboundState.SENT


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


def _renew(contact_id: int, owner: str, now: datetime) -> bool:
    renewed = Contact.objects.filter(pk=contact_id, deliver_lease_owner=owner).update(
        deliver_lease_until=now + _lease()
    )
    return renewed == 1


def _release(contact_id: int, owner: str) -> None:
    Contact.objects.filter(pk=contact_id, deliver_lease_owner=owner).update(
        deliver_lease_until=None, deliver_lease_owner=""
    )


def _later(contact_id: int, seconds: float) -> None:
    _tasks().deliver_later(contact_id, seconds)


def _tasks():
    from antrean.whatsapp import tasks  # tasks import this module

    return tasks
