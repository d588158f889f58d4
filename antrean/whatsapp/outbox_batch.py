"""Deliver the due replies of many chats together (decisions §24, delivery).

One chat at a time, a booking's two replies cost about eleven statements and four
commits: the lease taken, the rows read, the bucket and the first claim, each `sent`
with the next claim, the release, a last look. Most of them are the same for every chat,
so a batch does each once for all its chats:

- the chats' leases in one UPDATE (a chat another worker holds is its to deliver, as with
  `outbox.deliver`), and their pending rows in one read;
- one transaction to begin: the chats' pair-rate buckets written (one UPDATE, which also
  checks the leases), the first row of every chat claimed, the numbers' send instants
  reserved for all the batch's rows;
- then the sends, in rounds: round k is the k-th row of every chat. One transaction
  between two rounds writes the round's `sent` marks and claims the next round's rows,
  and the last marks go with the leases' release. So, as one by one, a chat has at most
  one row `sending` whose outcome is unwritten, a row is claimed before its call and
  marked in the first write after it, and the calls stay one per message, paced per
  number and per chat.

The batch takes only the common case: a chat whose pending rows are all due, never
tried, as many as its bucket allows, and few. Any other chat, and a chat whose send must
be retried, goes one by one (`outbox.deliver`) once the batch has let it go; a batch that
cannot begin sends all its chats that way.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from antrean.lib.bulk import update_rows
from antrean.lib.db import database_away
from antrean.whatsapp import outbox, throttle
from antrean.whatsapp.models import Contact, OutboundMessage, OutboundState

log = logging.getLogger(__name__)

BATCH = 50  # chats in one batch
ROWS_PER_CHAT = 4  # more than this, and the chat goes one by one (a booking has two)
_SENT_FIELDS = ["state", "sent_at", "wamid", "media_id", *outbox._ERROR_FIELDS]


class _Undo(Exception):
    """The batch cannot begin as planned: its chats go one by one."""


def deliver_contacts(contact_ids) -> int:
    """Send the due rows of these chats, each chat's in order; how many were sent."""
    ids = sorted(set(contact_ids))
    if len(ids) == 1:
        return outbox.deliver(ids[0])
    batch = _Batch(ids)
    try:
        left = batch.run()
    finally:
        batch.release()
    batch.look_again(exclude=left)
    sent = batch.sent
    for contact_id in left:
        sent += outbox.deliver(contact_id)
    return sent


class _Batch:
    def __init__(self, ids: list[int]):
        self.ids = ids
        self.owner = uuid.uuid4().hex
        self.holding = 0  # leases taken
        self.lease_until: datetime | None = None
        self.lost = False
        self.claimed_at: datetime | None = None  # the claims of the round being sent
        self.sent = 0
        self.unwritten: list[OutboundMessage] = []  # sent, their `sent` not yet written

    def run(self) -> list[int]:
        """Send what the batch can; the chats left to one by one."""
        now = timezone.now()
        if not self._take_leases(now):
            return []
        limit = ROWS_PER_CHAT * len(self.ids) + 1  # more: some chat has too many
        rows = _pending(self.ids, self.owner, limit)
        cut: set[int] = set()
        if len(rows) == limit:  # the last chat read, and those never reached
            cut = {pk for pk in self.ids if pk >= rows[-1].contact_id}
        plan, left = _plan([row for row in rows if row.contact_id not in cut], timezone.now())
        left |= cut
        if not plan:
            return sorted(left)
        try:
            slots = self._begin(plan, timezone.now())
        except Exception as error:  # a deadlock, or what one by one sorts out better
            if database_away(error):
                raise  # the task runs again later
            reason = str(error) if isinstance(error, _Undo) else type(error).__name__
            log.info("deliver: batch of %d taken one by one (%s)", len(plan), reason)
            return sorted(left | set(plan))
        left |= self._send(plan, slots)
        return sorted(left)

    def _take_leases(self, now: datetime) -> bool:
        free = Q(deliver_lease_until__isnull=True) | Q(deliver_lease_until__lt=now)
        self.lease_until = now + outbox._lease()
        self.holding = Contact.objects.filter(free, pk__in=self.ids).update(
            deliver_lease_until=self.lease_until, deliver_lease_owner=self.owner
        )
        return self.holding > 0

    def _begin(self, plan: dict, now: datetime) -> "_Slots":
        """The buckets, the first round's claims and the numbers' instants, in one
        transaction; the instants reserved."""
        contacts = [contact for contact, _, _ in plan.values()]
        per_number: dict[str, int] = {}
        for contact, tokens, run in plan.values():
            contact.pair_tokens, contact.pair_at = tokens - len(run), now
            number = contact.number.phone_number_id
            per_number[number] = per_number.get(number, 0) + len(run)
        with transaction.atomic():
            written = update_rows(
                contacts, ["pair_tokens", "pair_at"], where={"deliver_lease_owner": self.owner}
            )
            if written != len(contacts):
                raise _Undo("a lease ran out")
            first = [run[0] for _, _, run in plan.values()]
            self.claimed_at = now
            if _claim(first, now) != len(first):
                raise _Undo("a row was settled meanwhile")
            waits = {
                number: throttle.number_wait(number, now, slots=count)
                for number, count in sorted(per_number.items())  # one order: no deadlock
            }
            if max(waits.values()) > outbox.MAX_INLINE_WAIT:
                raise _Undo("a number is busy")  # undone: its instants are not taken
        return _Slots({number: now + timedelta(seconds=wait) for number, wait in waits.items()})

    def _send(self, plan: dict, slots: "_Slots") -> set[int]:
        """The rounds; the chats whose rows are not all done (a retry, a lost lease), to
        one by one."""
        stopped: set[int] = set()
        claimed = {run[0].pk for _, _, run in plan.values()}
        for k in range(max(len(run) for _, _, run in plan.values())):
            round_rows = [
                (contact, run[k])
                for contact_id, (contact, _, run) in plan.items()
                if len(run) > k and contact_id not in stopped
            ]
            if k > 0:
                claimed = self._write_and_claim([row for _, row in round_rows])
            untried = 0  # the round's rows from here on were never tried
            try:
                for i, (contact, row) in enumerate(round_rows):
                    untried = i
                    if row.pk not in claimed:
                        continue  # settled by a status webhook since we read it
                    self._keep_lease()
                    if self.lost:  # another worker has one of the chats: all go one by one
                        _unclaim([row for _, row in round_rows[i:]], self.claimed_at)
                        return set(plan)
                    number = contact.number.phone_number_id
                    pause = (slots.next(number) - timezone.now()).total_seconds()
                    if pause > 0:
                        time.sleep(pause)
                    untried = i + 1  # this one may reach Meta now
                    outcome, done = outbox._attempt(row, contact, number)
                    if outcome == OutboundState.RETRY:
                        stopped.add(contact.pk)  # its retry waits; its later rows behind it
                    elif outcome == OutboundState.SENT and done is not None:
                        for name, value in done.items():
                            setattr(row, name, value)
                        self.unwritten.append(row)
                        self.sent += 1
            except Exception:
                # Whoever sends them next need not wait out the lease for these.
                _unclaim([row for _, row in round_rows[untried:]], self.claimed_at)
                raise
        return stopped

    def _write_and_claim(self, rows: list[OutboundMessage]) -> set[int]:
        """The last round's `sent` marks and the claims of `rows`, in one transaction; the
        ids of the rows claimed."""
        now = self.claimed_at = timezone.now()
        try:
            with transaction.atomic():
                self._mark_sent()
                if _claim(rows, now) == len(rows):
                    claimed = {row.pk for row in rows}
                else:  # a status webhook settled some since we read them
                    claimed = set(
                        OutboundMessage.objects.filter(
                            pk__in=[row.pk for row in rows], sending_since=now
                        ).values_list("pk", flat=True)
                    )
        except Exception:
            self._write_sent()  # what was sent is written, even if the claims failed
            raise
        self.unwritten = []
        return claimed

    def _keep_lease(self) -> None:
        """Renew the leases (writing what was sent) when less than a send's margin of them
        is left; a lease lost stops the batch."""
        now = timezone.now()
        if (self.lease_until - now).total_seconds() >= outbox._margin():
            return
        self._write_sent()
        until = now + outbox._lease()
        renewed = Contact.objects.filter(deliver_lease_owner=self.owner).update(
            deliver_lease_until=until
        )
        self.lease_until = until
        if renewed != self.holding:
            self.lost = True
            log.warning("deliver: %d lease(s) lost", self.holding - renewed)

    def _write_sent(self) -> None:
        self._mark_sent()
        self.unwritten = []

    def _mark_sent(self) -> None:
        """Write the `sent` of what was sent (kept for a retry if the caller's transaction
        fails)."""
        if self.unwritten:
            update_rows(self.unwritten, _SENT_FIELDS)

    def release(self) -> None:
        """Let the chats go, and write what was sent. On SQLite together, one commit; not
        on PostgreSQL, where a batch of webhooks may hold a row (its status) and want the
        contact (a new message), as in `outbox._Sender`."""
        if not self.holding:
            return
        if connection.vendor != "sqlite":
            self._write_sent()
        try:
            with transaction.atomic():
                self._mark_sent()
                Contact.objects.filter(deliver_lease_owner=self.owner).update(
                    deliver_lease_until=None, deliver_lease_owner=""
                )
        except Exception:
            self._write_sent()  # what was sent is written, even if the release failed
            raise
        self.unwritten = []

    def look_again(self, exclude: list[int]) -> None:
        """Nudge the chats with a row that came due while we were finishing (one by one
        looks itself)."""
        left = set(exclude)
        ids = [pk for pk in self.ids if pk not in left]
        now = timezone.now()
        heads: dict[int, OutboundMessage] = {}
        pending = OutboundMessage.objects.filter(contact_id__in=ids, state__in=outbox.PENDING)
        fields = ("contact_id", "state", "not_before", "sending_since")
        for row in pending.only(*fields).order_by("contact_id", "id"):
            heads.setdefault(row.contact_id, row)
        due = [pk for pk, head in heads.items() if outbox._due_at(head) <= now]
        if due:
            outbox._tasks().nudge_delivery(due)


class _Slots:
    """Each number's next reserved send instant."""

    def __init__(self, first: dict[str, datetime]):
        self.at = dict(first)

    def next(self, number: str) -> datetime:
        at = self.at[number]
        self.at[number] = at + throttle.step()
        return at


def _pending(ids: list[int], owner: str, limit: int) -> list[OutboundMessage]:
    """The pending rows of the chats we hold, by chat and in order, each with the contact
    and its number; no more than `limit`. (The ids let the chats' queue index find them;
    the owner alone would have the database look through every chat.)"""
    held = Q(contact_id__in=ids, contact__deliver_lease_owner=owner)
    return list(
        OutboundMessage.objects.filter(held, state__in=outbox.PENDING)
        .select_related("contact__number")
        .defer("contact__state")
        .order_by("contact_id", "id")[:limit]
    )


def _plan(rows: list[OutboundMessage], now: datetime) -> tuple[dict, set[int]]:
    """The chats the batch sends ({contact id: (contact, its bucket, its rows)}), and
    those left to one by one."""
    by_chat: dict[int, list[OutboundMessage]] = {}
    for row in rows:
        by_chat.setdefault(row.contact_id, []).append(row)
    left: set[int] = set()
    plan = {}
    for contact_id, run in by_chat.items():
        contact = run[0].contact
        tokens = throttle.pair_tokens(contact.pair_tokens, contact.pair_at, now)
        usual = len(run) <= min(ROWS_PER_CHAT, int(tokens)) and all(
            row.state == OutboundState.QUEUED
            and row.attempts == 0
            and row.not_before <= now < row.give_up_at
            for row in run
        )
        if usual:
            plan[contact_id] = (contact, tokens, run)
        else:
            left.add(contact_id)
    return plan, left


def _claim(rows: list[OutboundMessage], now: datetime) -> int:
    """Mark never-tried `rows` sending before their calls; how many were."""
    claimed = OutboundMessage.objects.filter(
        pk__in=[row.pk for row in rows], state=OutboundState.QUEUED
    ).update(state=OutboundState.SENDING, attempts=1, sending_since=now)
    for row in rows:
        row.state, row.attempts, row.sending_since = OutboundState.SENDING, 1, now
    return claimed


def _unclaim(rows: list[OutboundMessage], claimed_at: datetime) -> None:
    """Give back rows we claimed and never tried, so that whoever sends them next need not
    wait for the lease, as for an attempt that may have reached Meta."""
    OutboundMessage.objects.filter(
        pk__in=[row.pk for row in rows], state=OutboundState.SENDING, sending_since=claimed_at
    ).update(state=OutboundState.QUEUED, attempts=0, sending_since=None)
