"""Process the next message of many chats in one transaction (decisions §24).

What one message costs the worker is mostly statements, and most of a message's
statements are the same for every chat: the chat locked and read, its next message read
and claimed, the person's live booking read, the chat's state saved, the replies queued,
the commit. A batch does each of those once for all its chats; the dialog and its effect
(a cancellation, a lottery entry) still run chat by chat, through the same code as one by
one, except the plain bookings, which are made together (`service.Answers`).

The batch takes only the common case: a chat's next message that the rate limit allows,
inside the 24-hour window, with no file to fetch first, from a number no other chat of the
batch has. Everything else, a chat's later messages, and the whole batch when anything in
it fails, goes one by one through `inbound.process_contact`, as the drain does with a
failing batch (§20). Both ways leave the same rows (a property test compares them).
Exactly once keeps its form: a message leaves `received` only in a transaction that
commits, together with its effect and its replies.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from antrean.booking.actions import hold_offices
from antrean.booking.queries import live_bookings
from antrean.conversation import service
from antrean.lib.bulk import update_rows
from antrean.lib.db import database_away
from antrean.whatsapp import inbound, outbox
from antrean.whatsapp.models import Contact, InboundMessage, InboundState

log = logging.getLogger(__name__)

BATCH = 50  # chats in one transaction: its locks and its undo stay small
_WITH_FILES = ("image", "document")  # fetched before their transaction, one by one


class _Undo(Exception):
    """The batch met what one by one decides better: undo it all."""


def process_contacts(contact_ids: list[int]) -> int:
    """Process every waiting message of these chats, in each chat's order; how many were
    taken (answered or limited)."""
    ids = sorted(set(contact_ids))
    done, left = 0, ids
    if len(ids) > 1:
        done, left = _together(ids)
    for contact_id in left:
        done += inbound.process_contact(contact_id)
    return done


def _together(ids: list[int]) -> tuple[int, list[int]]:
    """Answer the next message of as many of the chats as the batch can take, together:
    (messages taken, the chats left for one by one)."""
    now = timezone.now()
    try:
        with transaction.atomic():
            taken, left = _answer(ids, now)
    except Exception as error:  # sorted out chat by chat, by `inbound.process_contact`
        if database_away(error):
            raise  # the database is away: the task runs again later
        log.info("process: batch of %d taken one by one (%s)", len(ids), type(error).__name__)
        return 0, ids
    return taken, left


def _answer(ids: list[int], now: datetime) -> tuple[int, list[int]]:
    contacts = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update(of=("self",), skip_locked=True)
        .select_related("number__office")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    # Chats another worker holds (PostgreSQL) are left to one by one, which waits for them.
    left = {pk for pk in ids if pk not in contacts}
    hold_offices(contact.number.office_id for contact in contacts.values())
    heads, more = _heads(list(contacts), len(ids))
    left |= more
    chosen, phones = [], set()
    for head in sorted(heads, key=lambda m: (m.sent_at, m.pk)):  # first written, first served
        contact = contacts[head.contact_id]
        verdict = inbound._admit(inbound._bucket(contact), head.sent_at, now)
        usual = (
            verdict.allowed
            and head.kind not in _WITH_FILES
            and contact.wa_id not in phones  # its live booking may change within the batch
            and outbox.window_open(contact, now)
        )
        if not usual:
            left.add(contact.pk)
            continue
        phones.add(contact.wa_id)
        chosen.append((contact, head, verdict))
    if not chosen:
        return 0, sorted(left)
    claimed = InboundMessage.objects.filter(
        pk__in=[head.pk for _, head, _ in chosen], state=InboundState.RECEIVED
    ).update(state=InboundState.PROCESSED, processed_at=now)
    if claimed != len(chosen):
        raise _Undo("claimed elsewhere")
    live = live_bookings(sorted(phones))
    answers = service.Answers(now)
    for contact, head, _ in chosen:
        head.contact = contact
        answers.respond(contact, head, live=live.get(contact.wa_id))
    given = answers.given()
    replies = []
    for contact, head, verdict in chosen:
        state, chat_replies = given[contact.pk]
        contact.state = state
        contact.inbound_tokens, contact.inbound_at = verdict.bucket.tokens, verdict.bucket.at
        contact.slowed_told_at = contact.slowed_told_at if verdict.bucket.told else None
        replies.append((contact, head, chat_replies))
    update_rows(
        [contact for contact, _, _ in chosen],
        ["state", "inbound_tokens", "inbound_at", "slowed_told_at"],
    )
    outbox.enqueue_together(replies, now=now)
    return len(chosen), sorted(left)


def _heads(contact_ids: list[int], chats: int) -> tuple[list[InboundMessage], set[int]]:
    """Each chat's next waiting message, and the chats with more than that one waiting.

    One read for all; a flood in one chat must not make it long, so it stops after a few
    rows a chat, and a chat it may have cut short counts as having more."""
    limit = 2 * chats + 10
    waiting = list(
        InboundMessage.objects.filter(
            contact_id__in=contact_ids, state=InboundState.RECEIVED
        ).order_by("contact_id", "sent_at", "id")[:limit]
    )
    heads, more, seen = [], set(), set()
    for message in waiting:
        if message.contact_id in seen:
            more.add(message.contact_id)
        else:
            seen.add(message.contact_id)
            heads.append(message)
    if len(waiting) == limit:  # cut short: the last chat read, and those never reached
        more.add(waiting[-1].contact_id)
        more |= {pk for pk in contact_ids if pk > waiting[-1].contact_id}
    return heads, more
