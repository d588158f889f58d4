"""Background work of the WhatsApp channel, run by `antrean worker`.

The database is the record of what is left to do; these tasks are nudges. A task lost
with a killed worker is found again by the sweep: at once when a worker starts, and every
minute through the catch-ups, which wait their turn in the queue (see `sweep_task`).
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from antrean.lib import queue
from antrean.whatsapp import inbound, inbound_batch, ingest, outbox, outbox_batch
from antrean.whatsapp.models import (
    Contact,
    Delivery,
    InboundMessage,
    InboundState,
    OutboundMessage,
)

log = logging.getLogger(__name__)

STRAGGLER_AGE = timedelta(seconds=20)  # a message its task should have taken by now


@db_task(retries=20, retry_delay=15, priority=queue.INGEST)
def ingest_task() -> None:
    ingest.drain()


@db_task(retries=20, retry_delay=15, priority=queue.PROCESS)
def process_contact_task(contact_id: int) -> None:
    inbound.process_contact(contact_id)


@db_task(retries=20, retry_delay=15, priority=queue.PROCESS)
def process_contacts_task(contact_ids: list[int]) -> None:
    inbound_batch.process_contacts(contact_ids)


def nudge_processing(contact_ids) -> None:
    """Hand these chats to the workers, many to a task: a task answers their next
    messages together (`inbound_batch`)."""
    _hand_over(contact_ids, inbound_batch.BATCH, process_contact_task, process_contacts_task)


def _hand_over(contact_ids, size: int, one, many) -> None:
    """Queue `many` for each `size` of the chats, `one` for a chunk of a single chat."""
    ids = sorted(set(contact_ids))
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        if len(chunk) == 1:
            one(chunk[0])
        else:
            many(chunk)


# Retried, as the others: a locked or restarted database would otherwise leave the chat to
# the next catch-up, a minute or more away. A second run is only a second nudge.
@db_task(retries=20, retry_delay=15, priority=queue.DELIVER)
def deliver_task(contact_id: int) -> None:
    outbox.deliver(contact_id)


@db_task(retries=20, retry_delay=15, priority=queue.DELIVER)
def deliver_contacts_task(contact_ids: list[int]) -> None:
    outbox_batch.deliver_contacts(contact_ids)


def nudge_delivery(contact_ids) -> None:
    """Hand these chats' replies to the workers, many to a task: a task sends them
    together (`outbox_batch`)."""
    _hand_over(contact_ids, outbox_batch.BATCH, deliver_task, deliver_contacts_task)


def deliver_later(contact_id: int, seconds: float) -> None:
    deliver_task.schedule(args=(contact_id,), delay=max(0.0, seconds))


# No lock: sweeping twice at once only hands out the same nudges twice, and a lock left
# behind by a killed worker would stop the sweeps for good.
@db_periodic_task(crontab(minute="*"), priority=queue.PERIODIC)
def sweep_task() -> None:
    """Queue this minute's catch-ups, each behind the nudges of its kind queued so far.

    In a backlog (a rush of 20,000) most waiting chats still have their first nudge in
    the queue; nudging them all again every minute would add tens of thousands of idle
    tasks. Within a priority the queue is first-in-first-out, so a catch-up runs once
    every nudge queued before it was taken: what is still waiting then, and was already
    waiting STRAGGLER_AGE before the catch-up was queued, lost its nudge (or is being
    worked on that moment, which costs one idle nudge).
    """
    now = timezone.now()
    _nudge_ingest(now - STRAGGLER_AGE)
    catch_up_processing_task(now)
    catch_up_delivery_task(now)


@db_task(priority=queue.PROCESS)
def catch_up_processing_task(asked_at: datetime) -> None:
    _report(_nudge_processing(asked_at - STRAGGLER_AGE), 0)


@db_task(priority=queue.DELIVER)
def catch_up_delivery_task(asked_at: datetime) -> None:
    _report(0, _nudge_delivery(asked_at - STRAGGLER_AGE, timezone.now()))


def sweep(now: datetime, *, startup: bool = False) -> tuple[int, int]:
    """Hand every chat with waiting work to a worker again, at once: (to process, to
    deliver). A starting worker runs it (`startup`: whatever is waiting, however fresh,
    and sends interrupted by a dead worker); tests run it as the catch-ups would."""
    cutoff = now if startup else now - STRAGGLER_AGE
    _nudge_ingest(cutoff)
    to_process = _nudge_processing(cutoff)
    to_deliver = _nudge_delivery(cutoff, now, startup=startup)
    _report(to_process, to_deliver)
    return to_process, to_deliver


def _nudge_ingest(cutoff: datetime) -> None:
    if Delivery.objects.filter(received_at__lte=cutoff).exists():
        ingest_task()  # webhook bodies whose nudge was lost


def _nudge_processing(cutoff: datetime) -> int:
    """Nudge each chat with a message stored by `cutoff` still unprocessed; how many.

    A message's `received_at` is when it was ingested, and its nudge was queued when that
    committed: before a catch-up queued at `cutoff` plus STRAGGLER_AGE.
    """
    waiting = InboundMessage.objects.filter(state=InboundState.RECEIVED, received_at__lte=cutoff)
    to_process = set(waiting.values_list("contact_id", flat=True).distinct())
    nudge_processing(to_process)
    return len(to_process)


def _nudge_delivery(cutoff: datetime, now: datetime, *, startup: bool = False) -> int:
    """Nudge each chat with a reply due by `cutoff`, or interrupted while sending, that no
    worker holds; how many chats."""
    lease = timedelta(seconds=settings.WHATSAPP_SEND_LEASE)
    interrupted = (
        Q(state="sending") if startup else Q(state="sending", sending_since__lte=now - lease)
    )
    due = set(
        OutboundMessage.objects.filter(
            Q(state__in=["queued", "retry"], not_before__lte=cutoff) | interrupted
        ).values_list("contact_id", flat=True)
    )
    leases = dict(Contact.objects.filter(pk__in=due).values_list("pk", "deliver_lease_until"))
    to_deliver = sorted(pk for pk, until in leases.items() if until is None or until < now)
    nudge_delivery(to_deliver)
    if startup:
        # Chats still leased by a worker that died: deliver them when its lease runs out.
        for contact_id, until in leases.items():
            if until is not None and until >= now:
                deliver_later(contact_id, (until - now).total_seconds() + 0.5)
    return len(to_deliver)


def _report(to_process: int, to_deliver: int) -> None:
    if to_process or to_deliver:
        log.info("sweep: %d chat(s) to process, %d to deliver", to_process, to_deliver)
