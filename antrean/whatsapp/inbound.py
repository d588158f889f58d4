"""Process each stored inbound message exactly once, in the order the person sent them.

Claiming the message, the booking change, the new conversation state and the replies in
the outbox commit in one transaction; a crash anywhere before the commit leaves the
message unclaimed, and the sweeper hands it to a worker again.

One person can have us run the dialog only so often (`inbound_limit`, WHATSAPP_INBOUND_*):
a message beyond the limit is claimed as `limited` in that same transaction, so it is
never answered later either.
"""

import logging
import random
import time
import traceback
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from antrean.booking.actions import hold_offices
from antrean.content import text
from antrean.conversation import service
from antrean.lib.db import deadlocked
from antrean.whatsapp import graph, inbound_limit, media, outbox
from antrean.whatsapp.messages import Text
from antrean.whatsapp.models import Contact, InboundMessage, InboundState, StoredMedia
from antrean.whatsapp.templates import template

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LIMITED_RUN = 500  # waiting messages of one person limited in one UPDATE at most
DEADLOCK_RETRIES = 3  # a message undone by a deadlock (PostgreSQL), tried again at once


class TryAgainLater(Exception):
    """Processing must wait (the Graph API or the database is not available now)."""


def process_contact(contact_id: int) -> int:
    """Process the chat's waiting messages in order; how many were taken (answered or
    limited)."""
    done, deadlocks = 0, 0
    while True:
        inbound = (
            InboundMessage.objects.filter(contact_id=contact_id, state=InboundState.RECEIVED)
            .order_by("sent_at", "id")
            .first()
        )
        if inbound is None:
            return done
        try:
            _fetch_media(inbound)
            done += _process(inbound)
        except OperationalError as error:
            if deadlocked(error) and deadlocks < DEADLOCK_RETRIES:
                deadlocks += 1  # lost a race and was undone: again now, not in 15 s
                time.sleep(random.uniform(0, 0.05))  # noqa: S311 (jitter, not secrecy)
                continue
            raise  # the database is away: the task runs again later
        except TryAgainLater:
            raise  # the Graph API is away: the task runs again later
        except Exception as error:
            log.error(
                "inbound %s: processing failed (%s)\n%s",
                inbound.pk,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),  # never the message text
            )
            if not _give_up_or_count(inbound):
                raise TryAgainLater(inbound.pk) from None


def _process(inbound: InboundMessage) -> int:
    """Answer the message, or limit it; how many messages this took from the chat's queue."""
    now = timezone.now()
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("number__office")
            .get(pk=inbound.contact_id)
        )
        hold_offices([contact.number.office_id])  # as the batches do: no deadlock with them
        verdict = _admit(_bucket(contact), inbound.sent_at, now)
        claimed = InboundMessage.objects.filter(pk=inbound.pk, state=InboundState.RECEIVED).update(
            state=InboundState.PROCESSED if verdict.allowed else InboundState.LIMITED,
            processed_at=now,
        )
        if not claimed:
            return 0  # another worker got here first
        if not verdict.allowed:
            return 1 + _limit(contact, inbound, verdict, now)
        told_at = contact.slowed_told_at if verdict.bucket.told else None
        if not outbox.window_open(contact, now):
            # Reached us more than a day after it was written (an outage, Meta's retries):
            # too late to act on or to answer freely. The approved notice asks them to write
            # again.
            _keep(contact, verdict.bucket, told_at=told_at)
            InboundMessage.objects.filter(pk=inbound.pk).update(error="answered too late")
            outbox.enqueue(contact, [template("notice")], now=now, caused_by=inbound)
            return 1
        state, replies = service.respond(contact, inbound, now)
        contact.state = state
        _keep(contact, verdict.bucket, told_at=told_at, state=state)  # one UPDATE for both
        outbox.enqueue(contact, replies, now=now, caused_by=inbound)
    return 1


def _limit(
    contact: Contact, inbound: InboundMessage, verdict: inbound_limit.Verdict, now: datetime
) -> int:
    """`inbound` was limited: tell the person (once per quiet period), and limit the
    messages waiting behind it that the bucket refuses too; how many of those.

    A flood (a bot, thousands of stored messages from one number) must not hold a worker
    while others wait. The dialog runs no more often than the bucket allows, and the run
    of refused messages behind this one is claimed with one UPDATE in this transaction:
    the same verdicts, in the same order, as the loop would reach one by one, ending
    before the first message the bucket allows or that follows a quiet period (whose
    notice the loop then sends). Exactly once holds: a row leaves `received` only in a
    transaction that commits, and never goes back. The nudges queued for the other
    messages find nothing waiting, after one indexed query each.
    """
    # Outside the 24-hour window only a template could tell them: not for a flood (they
    # count as told all the same).
    if verdict.tell and outbox.window_open(contact, now):
        notice = Text(text("chat.too_fast", contact.lang))
        outbox.enqueue(contact, [notice], now=now, caused_by=inbound)
    waiting = (
        InboundMessage.objects.filter(contact_id=contact.pk, state=InboundState.RECEIVED)
        .order_by("sent_at", "id")
        .values_list("pk", "sent_at")[:LIMITED_RUN]
    )
    run, bucket = [], verdict.bucket
    for pk, sent_at in waiting:
        following = _admit(bucket, sent_at, now)
        if following.allowed or following.tell:
            break
        run.append(pk)
        bucket = following.bucket
    if run:
        InboundMessage.objects.filter(pk__in=run, state=InboundState.RECEIVED).update(
            state=InboundState.LIMITED, processed_at=now
        )
    _keep(contact, bucket, told_at=now if verdict.tell else contact.slowed_told_at)
    return len(run)


def _bucket(contact: Contact) -> inbound_limit.Bucket | None:
    if contact.inbound_tokens is None or contact.inbound_at is None:
        return None
    told = contact.slowed_told_at is not None
    return inbound_limit.Bucket(contact.inbound_tokens, contact.inbound_at, told)


def _admit(
    bucket: inbound_limit.Bucket | None, sent_at: datetime, now: datetime
) -> inbound_limit.Verdict:
    """Count a message against the person's bucket (nothing is saved here).

    The clock is when the person sent it (Meta's timestamp, never later than now), so a
    backlog after an outage is not taken for a flood.
    """
    return inbound_limit.admit(
        bucket,
        min(sent_at, now),
        burst=settings.WHATSAPP_INBOUND_BURST,
        per_minute=settings.WHATSAPP_INBOUND_PER_MINUTE,
    )


def _keep(
    contact: Contact, bucket: inbound_limit.Bucket, *, told_at: datetime | None, **more
) -> None:
    """Save the person's bucket (and `more` of the chat's fields in the same UPDATE)."""
    Contact.objects.filter(pk=contact.pk).update(
        inbound_tokens=bucket.tokens, inbound_at=bucket.at, slowed_told_at=told_at, **more
    )


def _fetch_media(inbound: InboundMessage) -> None:
    """Download a photo or document before the transaction (no network inside it)."""
    if inbound.kind not in ("image", "document"):
        return
    if StoredMedia.objects.filter(inbound=inbound).exists():
        return
    contact = Contact.objects.get(pk=inbound.contact_id)
    if not _admit(_bucket(contact), inbound.sent_at, timezone.now()).allowed:
        return  # the limit will refuse it: not worth a download (decided again in _process)
    try:
        media.store(inbound)
    except graph.GraphError as error:
        log.warning("inbound %s: media not fetched: %s", inbound.pk, error)
        if error.retryable and inbound.attempts + 1 < MAX_ATTEMPTS:
            InboundMessage.objects.filter(pk=inbound.pk).update(
                attempts=F("attempts") + 1, error=f"media: {error.title}"[:200]
            )
            raise TryAgainLater(inbound.pk) from None
        # Given up: the conversation asks the person to send the file again.


def _give_up_or_count(inbound: InboundMessage) -> bool:
    """Count a failed attempt; after the last one, apologise and stop. True if given up."""
    with transaction.atomic():
        fresh = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if fresh.state != InboundState.RECEIVED:
            return True
        fresh.attempts += 1
        fresh.error = "processing failed"
        if fresh.attempts < MAX_ATTEMPTS:
            fresh.save(update_fields=["attempts", "error"])
            return False
        fresh.state = InboundState.FAILED
        fresh.processed_at = timezone.now()
        fresh.save(update_fields=["attempts", "error", "state", "processed_at"])
        contact = fresh.contact
        apology = Text(text("chat.system_error", contact.lang))
        outbox.enqueue(
            contact, [apology], now=timezone.now(), caused_by=fresh, template=template("notice")
        )
    return True
