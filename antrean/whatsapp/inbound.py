"""Process each stored inbound message exactly once, in the order the person sent them.

Claiming the message, the booking change, the new conversation state and the replies in
the outbox commit in one transaction; a crash anywhere before the commit leaves the
message unclaimed, and the sweeper hands it to a worker again.
"""

import logging
import traceback

from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from antrean.content import text
from antrean.conversation import service
from antrean.whatsapp import graph, media, outbox
from antrean.whatsapp.messages import Text
from antrean.whatsapp.models import Contact, InboundMessage, InboundState, StoredMedia
from antrean.whatsapp.templates import template

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class TryAgainLater(Exception):
    """Processing must wait (the Graph API or the database is not available now)."""


def process_contact(contact_id: int) -> int:
    """Process the chat's waiting messages in order; how many were processed."""
    done = 0
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
            if _process(inbound):
                done += 1
        except (OperationalError, TryAgainLater):
            raise  # the database or the Graph API is away: the task runs again later
        except Exception as error:
            log.error(
                "inbound %s: processing failed (%s)\n%s",
                inbound.pk,
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__)),  # never the message text
            )
            if not _give_up_or_count(inbound):
                raise TryAgainLater(inbound.pk) from None


def _process(inbound: InboundMessage) -> bool:
    now = timezone.now()
    with transaction.atomic():
        contact = (
            Contact.objects.select_for_update(of=("self",))
            .select_related("number__office")
            .get(pk=inbound.contact_id)
        )
        claimed = InboundMessage.objects.filter(pk=inbound.pk, state=InboundState.RECEIVED).update(
            state=InboundState.PROCESSED, processed_at=now
        )
        if not claimed:
            return False  # another worker got here first
        if not outbox.window_open(contact, now):
            # Reached us more than a day after it was written (an outage, Meta's retries):
            # too late to act on or to answer freely. The approved notice asks them to write
            # again.
            InboundMessage.objects.filter(pk=inbound.pk).update(error="answered too late")
            outbox.enqueue(contact, [template("notice")], now=now, caused_by=inbound)
            return True
        state, replies = service.respond(contact, inbound, now)
        contact.state = state
        contact.save(update_fields=["state"])
        outbox.enqueue(contact, replies, now=now, caused_by=inbound)
    return True


def _fetch_media(inbound: InboundMessage) -> None:
    """Download a photo or document before the transaction (no network inside it)."""
    if inbound.kind not in ("image", "document"):
        return
    if StoredMedia.objects.filter(inbound=inbound).exists():
        return
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
