"""Persist a webhook's updates before we answer 200, so nothing acknowledged is lost.

The webhook stores the signed body as it came (`store`: one insert, so a rush is
acknowledged at the rate of inserts, not of the work behind them), on SQLite in a file of
its own (antrean/whatsapp/inbox.py). A worker then drains the deliveries in batches
(`drain`): a batch is ingested in one transaction of the main database and deleted.
Messages become `InboundMessage` rows whose unique wamid turns Meta's re-deliveries (even
two arriving at the same moment) into no-ops; statuses update the outbox row they
concern, never moving it backwards; everything else is logged. So a batch ingested twice
(its drain died after the ingest, before the delete) adds nothing the second time, and
the inbox file and the main one need no transaction in common. A delivery that cannot be
read is logged and dropped rather than blocking the rest.
"""

import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    transaction,
)
from django.db.models import Q
from django.utils import timezone

from antrean.lib.bulk import insert_rows
from antrean.lib.group_commit import GroupCommit
from antrean.lib.memo import remembered
from antrean.offices.models import WhatsAppNumber
from antrean.whatsapp import inbox, payloads
from antrean.whatsapp.models import (
    WA_STATUS_RANK,
    Contact,
    Delivery,
    InboundMessage,
    OutboundMessage,
    OutboundState,
)
from antrean.whatsapp.redact import redact

log = logging.getLogger(__name__)

BATCH = 200  # deliveries ingested in one transaction


@dataclass
class Ingested:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    ignored: int = 0
    contacts: set[int] = field(default_factory=set)  # chats with new messages to process

    def add(self, other: "Ingested") -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.statuses += other.statuses
        self.ignored += other.ignored
        self.contacts |= other.contacts


def store(body: str, now: datetime) -> None:
    """Keep a webhook body durably (called by the webhook before it answers 200), in one
    transaction with those of the webhooks arriving meanwhile (antrean/lib/group_commit.py)."""
    _stored_together((body, now))


def _write_deliveries(deliveries: list[tuple[str, datetime]]) -> None:
    using = inbox.alias()
    with transaction.atomic(using=using):
        _insert_deliveries(connections[using], deliveries)
        transaction.on_commit(_nudger.poke, using=using)


def _insert_deliveries(connection, deliveries: list[tuple[str, datetime]]) -> None:
    """The rows `Delivery.objects.bulk_create` would write, by one plain INSERT.

    The ORM compiled the same INSERT for every webhook: half the insert's CPU, and the
    webhook is the one place whose cost per request decides how fast we acknowledge
    (bench/README.md). The values still pass through the fields (the timestamp's
    conversion, the body's encryption), so the row is the ORM's, byte for byte. One
    statement with a row of values per delivery, not `executemany`: psycopg runs that in
    pipeline mode, several round trips to the server even for one row (a webhook's CPU on
    PostgreSQL, measured in process: 2.2-2.6 ms before, 2.0-2.1 after)."""
    received, body = Delivery._meta.get_field("received_at"), Delivery._meta.get_field("body")
    rows = [
        (received.get_db_prep_save(now, connection), body.get_db_prep_save(text, connection))
        for text, now in deliveries
    ]
    quote = connection.ops.quote_name
    table, columns = (
        quote(Delivery._meta.db_table),
        f"{quote(received.column)}, {quote(body.column)}",
    )
    values = ", ".join(["(%s, %s)"] * len(rows))
    with connection.cursor() as cursor:  # names from the model, values as parameters
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {values}",  # noqa: S608
            [value for row in rows for value in row],
        )


_stored_together = GroupCommit(_write_deliveries)


def drain() -> Ingested:
    """Ingest every stored delivery, a batch at a time; the tally of all."""
    if inbox.alias() == DEFAULT_DB_ALIAS:
        return _drain_in_place()
    return _drain_inbox()


def _drain_in_place() -> Ingested:
    """Deliveries in the main database (PostgreSQL): each batch locked, ingested and
    deleted in one transaction. Other drains skip the locked rows and take the next; a
    drain that dies is rolled back, and its rows are free at once."""
    total = Ingested()
    while True:
        with transaction.atomic():
            batch = list(
                Delivery.objects.select_for_update(skip_locked=True).order_by("id")[:BATCH]
            )
            if not batch:
                return total
            result = _ingest_batch(batch)
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).delete()
        _log(batch, result)
        total.add(result)


# The inbox file's drain holds nothing in the inbox while it ingests (that would stop the
# webhook), so nothing there says a batch is taken. Within a process one drain runs at a
# time, and a drain asked for while another runs leaves the work to it: the running one
# looks again before it stops. A second worker process on the same machine may ingest a
# batch a drain there is ingesting too, which adds nothing (see the module's docstring);
# SQLite's single writer makes such a second worker worth little anyway.
_drain_state = threading.Lock()
_draining = False
_drain_again = False


def _drain_inbox() -> Ingested:
    """Deliveries in the inbox file (SQLite): a batch read, ingested in one transaction of
    the main database, then deleted. A drain that dies between the two leaves the batch to
    the next drain, which ingests it again: every update in it is already there."""
    global _draining, _drain_again
    with _drain_state:
        if _draining:
            _drain_again = True
            return Ingested()
        _draining, _drain_again = True, False
    total = Ingested()
    try:
        while True:
            batch = _next_batch()
            if not batch:
                with _drain_state:
                    if not _drain_again:
                        return total
                    _drain_again = False
                continue
            read = _read_all(batch)  # before the transaction: it holds SQLite's writer
            with transaction.atomic():
                result = _ingest_batch(batch, read)
            Delivery.objects.filter(pk__in=[d.pk for d in batch]).delete()
            _log(batch, result)
            total.add(result)
    finally:
        with _drain_state:
            _draining = False


def _next_batch() -> list[Delivery]:
    return list(Delivery.objects.order_by("id")[:BATCH])


def _read_all(batch: list[Delivery]) -> tuple[Ingested, list]:
    """The deliveries' events, those that can be read: (the unreadable counted, [(delivery,
    events)])."""
    result, readable = Ingested(), []
    for delivery in batch:
        events = _read(delivery, result)
        if events is not None:
            readable.append((delivery, events))
    return result, readable


def _ingest_batch(batch: list[Delivery], read: tuple[Ingested, list] | None = None) -> Ingested:
    """Ingest the deliveries (read by `_read_all`, or here), inside the caller's
    transaction of the main database.

    The batch goes in together (`_ingest_together`: a few statements for all of it); if
    anything in it fails, that is undone and each delivery goes in on its own
    (`_ingest_delivery`), so a bad one is dropped without holding up the rest. Both ways
    leave the same rows (a test compares them)."""
    result, readable = read or _read_all(batch)
    held = _HeldLog()
    try:
        with held, transaction.atomic():
            together = _ingest_together([events for _, events in readable])
    except (OperationalError, InterfaceError):
        raise  # the database is away: the batch waits for its next try, which logs again
    except Exception as error:  # sorted out delivery by delivery just below
        log.info("ingest: batch of %d taken one by one (%s)", len(batch), type(error).__name__)
        together = None
    else:
        held.write()
    if together is None:
        for delivery, events in readable:
            _ingest_delivery(delivery, events, result)
    else:
        result.add(together)
    contacts = set(result.contacts)
    if contacts:
        transaction.on_commit(partial(_enqueue_processing, contacts), robust=True)
    return result


class _HeldLog(logging.Filter):
    """Holds back what this thread logs here while a batch is tried together, and writes
    it when the batch stands. When the batch is undone and taken delivery by delivery,
    that way logs the same lines (an unknown number, an update ignored) again: held
    lines are dropped then, so each is written once. Other threads' lines pass."""

    def __init__(self):
        super().__init__()
        self.thread, self.records = threading.get_ident(), []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self.thread:
            return True
        self.records.append(record)
        return False

    def __enter__(self) -> "_HeldLog":
        log.addFilter(self)
        return self

    def __exit__(self, *exc) -> None:
        log.removeFilter(self)

    def write(self) -> None:
        for record in self.records:
            log.handle(record)
        self.records = []


def _log(batch: list[Delivery], result: Ingested) -> None:
    log.info(
        "ingest: %d deliveries: %d stored, %d duplicate, %d status, %d ignored",
        len(batch),
        result.stored,
        result.duplicates,
        result.statuses,
        result.ignored,
    )


def _read(delivery: Delivery, result: Ingested) -> list | None:
    """The delivery's events, or None (logged and counted) when it cannot be read."""
    try:
        envelope = json.loads(delivery.body)
    except (ValueError, RecursionError):  # the webhook checked it; only a bad row gets here
        log.error("delivery %s: body is not JSON, dropped", delivery.pk)
        result.ignored += 1
        return None
    if log.isEnabledFor(logging.DEBUG):  # the body as Meta sent it, but nobody in it
        log.debug("delivery %s: %s", delivery.pk, json.dumps(redact(envelope)))
    try:
        return payloads.parse(envelope)
    except Exception as error:  # a signed body the parser cannot follow: the same each try
        _drop(delivery, "read", error, result)
        return None


def _ingest_delivery(delivery: Delivery, events: list, result: Ingested) -> None:
    try:
        one = ingest(events)  # its own savepoint in the batch
    except (OperationalError, InterfaceError):
        raise  # the database is away: the whole batch waits for the next try
    except DatabaseError as error:
        # A value the database refuses (an id longer than any Meta sends): retrying would
        # refuse it forever and hold up everything behind it.
        log.error("delivery %s: not stored (%s), dropped", delivery.pk, type(error).__name__)
        result.ignored += 1
        return
    except Exception as error:
        # Anything else in a signed body that cannot be stored fails the same way on every
        # try: a lone surrogate ("\ud800" in JSON: no encoding takes it, so neither the
        # database driver nor the encryption does), a value nested deeper than the JSON
        # encoder goes. Dropped like the above; its savepoint undid whatever of it was
        # written.
        _drop(delivery, "ingested", error, result)
        return
    result.add(one)


def _drop(delivery: Delivery, undone: str, error: Exception, result: Ingested) -> None:
    """Log a delivery that fails the same way on every try, with the traceback (never the
    body), and count it as ignored: retrying would hold up everything behind it."""
    log.error(
        "delivery %s: not %s (%s), dropped\n%s",
        delivery.pk,
        undone,
        type(error).__name__,
        "".join(traceback.format_tb(error.__traceback__)),
    )
    result.ignored += 1


def _ingest_together(deliveries: list[list]) -> Ingested:
    """Store the events of many deliveries with a few statements in all: what `ingest`
    does for each delivery in turn, in bulk (one read of the chats and of the wamids
    already stored, one insert of the new chats and one of the new messages). Raises on
    anything a delivery of its own would have dropped, or on another drain inserting the
    same chat or message at the same moment (PostgreSQL); the caller then goes delivery
    by delivery."""
    result = Ingested()
    messages = []
    for events in deliveries:
        for event in events:
            if isinstance(event, payloads.Message):
                messages.append(event)
            elif isinstance(event, payloads.Status):
                _apply_status(event, result)
            else:
                result.ignored += 1
                log.info("whatsapp update ignored: %s: %s", event.field, event.summary)
    if messages:
        _store_together(messages, result)
    return result


def _store_together(events: list[payloads.Message], result: Ingested) -> None:
    ours = []  # (our number's pk, event), in the order they came
    for event in events:
        number = _our_number(event, result)
        if number is not None:
            ours.append((number.pk, event))
    if not ours:
        return
    # As `_store`: a message's chat is made (with its time and name) before the message
    # is known to be new.
    chats = _chats(ours)
    stored = set(
        InboundMessage.objects.filter(wamid__in={e.wamid for _, e in ours}).values_list(
            "wamid", flat=True
        )
    )
    new = []  # each wamid once
    for number, event in ours:
        if event.wamid in stored:
            result.duplicates += 1  # Meta delivered this message before
        else:
            stored.add(event.wamid)
            new.append((chats[number, event.wa_id], event))
    if not new:
        return
    now = timezone.now()
    insert_rows([_message(chat.pk, event, now) for chat, event in new])
    result.stored += len(new)
    result.contacts.update(chat.pk for chat, _ in new)
    # What the messages change, as `_store` would one by one: the chat's last message
    # time (the latest), and its profile name (the last one given). A chat made above
    # already has its first message's.
    latest, names = {}, {}
    for chat, event in new:
        if chat.pk not in latest or latest[chat.pk] < event.sent_at:
            latest[chat.pk] = event.sent_at
        if event.profile_name:
            names[chat.pk] = event.profile_name[:100]
    by_pk = {chat.pk: chat for chat, _ in new}
    for pk, at in latest.items():
        if by_pk[pk].last_inbound_at is None or by_pk[pk].last_inbound_at < at:
            # Checked again in the UPDATE: a drain beside may have written a later one.
            Contact.objects.filter(_older_than(at), pk=pk).update(last_inbound_at=at)
    for pk, name in names.items():
        if name != by_pk[pk].profile_name:
            Contact.objects.filter(pk=pk).update(profile_name=name)


def _chats(ours: list) -> dict[tuple[int, str], Contact]:
    """The chats the messages are for, by (number, wa_id), those not there yet created
    with their first message's time and name."""
    keys = {(number, event.wa_id) for number, event in ours}
    chats = {
        (chat.number_id, chat.wa_id): chat
        for chat in Contact.objects.filter(
            number_id__in={number for number, _ in keys}, wa_id__in={wa_id for _, wa_id in keys}
        ).only("pk", "number_id", "wa_id", "last_inbound_at", "profile_name")
        if (chat.number_id, chat.wa_id) in keys
    }
    first = {}
    for number, event in ours:
        if (number, event.wa_id) not in chats:
            first.setdefault((number, event.wa_id), event)
    created = Contact.objects.bulk_create(
        Contact(
            number_id=number,
            wa_id=wa_id,
            last_inbound_at=event.sent_at,
            profile_name=event.profile_name[:100],
        )
        for (number, wa_id), event in first.items()
    )
    chats.update(((chat.number_id, chat.wa_id), chat) for chat in created)
    return chats


def ingest(events: list) -> Ingested:
    """Store one delivery's events, all or none (a savepoint inside the drain's batch)."""
    result = Ingested()
    with transaction.atomic():
        for event in events:
            if isinstance(event, payloads.Message):
                _store(event, result)
            elif isinstance(event, payloads.Status):
                _apply_status(event, result)
            else:
                result.ignored += 1
                log.info("whatsapp update ignored: %s: %s", event.field, event.summary)
    return result


def _store(event: payloads.Message, result: Ingested) -> None:
    number = _our_number(event, result)
    if number is None:
        return
    contact, created = Contact.objects.get_or_create(
        number=number,
        wa_id=event.wa_id,
        defaults={"last_inbound_at": event.sent_at, "profile_name": event.profile_name[:100]},
    )
    try:
        with transaction.atomic():
            _message(contact.pk, event, timezone.now()).save(force_insert=True)
    except IntegrityError:
        result.duplicates += 1  # Meta delivered this message before
        return
    result.stored += 1
    result.contacts.add(contact.pk)
    if created:
        return  # created with this message's time and name
    Contact.objects.filter(_older_than(event.sent_at), pk=contact.pk).update(
        last_inbound_at=event.sent_at
    )
    if event.profile_name and event.profile_name[:100] != contact.profile_name:
        Contact.objects.filter(pk=contact.pk).update(profile_name=event.profile_name[:100])


def _message(contact_id: int, event: payloads.Message, now: datetime) -> InboundMessage:
    """The row a message is stored as (the one way and the batch's)."""
    return InboundMessage(
        contact_id=contact_id,
        wamid=event.wamid,
        kind=event.kind,
        sent_at=event.sent_at,
        received_at=now,
        payload=event.raw,
    )


def _older_than(at: datetime) -> Q:
    """A chat whose last message is older than `at` (or that has none)."""
    return Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=at)


def _our_number(event: payloads.Message, result: Ingested) -> WhatsAppNumber | None:
    """The number the message was sent to, or None (logged, counted) when not one of ours."""
    number = _number(event.phone_number_id)
    if number is None:
        result.ignored += 1
        log.warning(
            "whatsapp message for unknown phone_number_id %s ignored", event.phone_number_id
        )
    return number


def _number(phone_number_id: str) -> WhatsAppNumber | None:
    """Which of our numbers the update is for (reference data: antrean/lib/memo.py)."""
    return remembered(
        ("whatsapp_number", phone_number_id),
        lambda: WhatsAppNumber.objects.filter(phone_number_id=phone_number_id).first(),
    )


def _apply_status(event: payloads.Status, result: Ingested) -> None:
    result.statuses += 1
    if event.status == "failed":
        earlier = [s for s, rank in WA_STATUS_RANK.items() if rank < WA_STATUS_RANK["delivered"]]
        changes = {
            "wa_status": "failed",
            "wa_status_at": event.at,
            "error_code": event.error_code,
            "error_title": event.error_title[:200],
            "error_detail": event.error_detail[:500],
        }
    elif event.status in WA_STATUS_RANK:
        rank = WA_STATUS_RANK[event.status]
        earlier = [s for s, r in WA_STATUS_RANK.items() if r < rank]
        changes = {"wa_status": event.status, "wa_status_at": event.at}
    else:
        log.info("whatsapp status %r ignored", event.status)
        return
    if OutboundMessage.objects.filter(wamid=event.wamid, wa_status__in=earlier).update(**changes):
        return
    # A send whose worker died before recording Meta's id: the status says it went out.
    # Our callback data "out:<id>": ASCII digits ("²" is a digit that int() refuses), and
    # no more than a bigint holds. Or its sender recorded the id just after the update
    # above looked (the status often comes before Meta's answer): that id, then.
    pk = event.opaque.removeprefix("out:")
    if event.opaque.startswith("out:") and pk.isascii() and pk.isdigit() and len(pk) <= 18:
        OutboundMessage.objects.filter(
            Q(wamid__isnull=True) | Q(wamid=event.wamid), pk=int(pk), wa_status__in=earlier
        ).update(wamid=event.wamid, state=OutboundState.SENT, sent_at=event.at, **changes)


# One drain takes every delivery stored so far, so a nudge per webhook would mostly wake
# workers for nothing (hundreds a second in a rush). A web process nudges at most once per
# NUDGE_EVERY, plus once at the end of that period for what came during it; the sweep
# catches anything else. The nudge goes from a thread of its own: the webhook only wakes
# it, so no 200 waits for the queue (SQLite's lock on the queue's file, which the workers
# take for every task; a Redis that stopped answering without closing its connections).
NUDGE_EVERY = 0.05  # seconds


class Nudger:
    """Calls `send` soon after each `poke`, at most once per NUDGE_EVERY, from a daemon
    thread started on the first poke (in each process: a thread does not survive a fork).
    `in_thread=False` sends at once, in the caller's thread (the tests' way)."""

    def __init__(self, send, *, in_thread: bool = True):
        self._send, self.in_thread = send, in_thread
        self._wanted = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        if not self.in_thread:
            self._send_logged()
            return
        self._wanted.set()
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="antrean-ingest-nudge", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            # Cleared before sending: a delivery committed after this line pokes again
            # and gets a nudge of its own; one committed before it is seen by this one.
            self._wanted.clear()
            self._send_logged()
            time.sleep(NUDGE_EVERY)

    def _send_logged(self) -> None:
        try:
            self._send()
        except Exception as error:  # the queue is away: stored is stored, the sweep nudges
            log.warning("ingest: nudge not queued (%s); the sweep will find it", error)


def _send_ingest_nudge() -> None:
    from antrean.whatsapp import tasks

    tasks.ingest_task()


_nudger = Nudger(_send_ingest_nudge)


def _enqueue_processing(contact_ids: set[int]) -> None:
    from antrean.whatsapp import tasks

    tasks.nudge_processing(contact_ids)
