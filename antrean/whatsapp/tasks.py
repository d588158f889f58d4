"""Background work of the WhatsApp channel, run by `antrean worker`.

The database is the record of what is left to do; these tasks are nudges. A task lost
with a killed worker is found again by `sweep`, which runs every minute and when a
worker starts.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from antrean.whatsapp import inbound, ingest, outbox
from antrean.whatsapp.models import (
    Contact,
    Delivery,
    InboundMessage,
    InboundState,
    OutboundMessage,
)

log = logging.getLogger(__name__)

STRAGGLER_AGE = timedelta(seconds=20)  # a message its task should have taken by now


@db_task(retries=20, retry_delay=15)
def ingest_task() -> None:
    ingest.drain()


@db_task(retries=20, retry_delay=15)
def process_contact_task(contact_id: int) -> None:
    inbound.process_contact(contact_id)


@db_task()
def deliver_task(contact_id: int) -> None:
    outbox.deliver(contact_id)


def deliver_later(contact_id: int, seconds: float) -> None:
    deliver_task.schedule(args=(contact_id,), delay=max(0.0, seconds))


# No lock: sweeping twice at once only hands out the same nudges twice, and a lock left
# behind by a killed worker would stop the sweeps for good.
@db_periodic_task(crontab(minute="*"))
def sweep_task() -> None:
    sweep(timezone.now())


def sweep(now: datetime, *, startup: bool = False) -> tuple[int, int]:
    """Hand every chat with waiting work to a worker again: (to process, to deliver)."""
    age = timedelta(0) if startup else STRAGGLER_AGE
    if Delivery.objects.filter(received_at__lte=now - age).exists():
        ingest_task()  # webhook bodies whose nudge was lost
    waiting = (
        InboundMessage.objects.filter(state=InboundState.RECEIVED, received_at__lte=now - age)
        .values_list("contact_id", flat=True)
        .distinct()
    )
    to_process = sorted(set(waiting))
    for contact_id in to_process:
        process_contact_task(contact_id)
    lease = timedelta(seconds=settings.WHATSAPP_SEND_LEASE)
    interrupted = (
        Q(state="sending") if startup else Q(state="sending", sending_since__lte=now - lease)
    )
    due = set(
        OutboundMessage.objects.filter(
            Q(state__in=["queued", "retry"], not_before__lte=now - age) | interrupted
        ).values_list("contact_id", flat=True)
    )
    leases = dict(Contact.objects.filter(pk__in=due).values_list("pk", "deliver_lease_until"))
    to_deliver = sorted(pk for pk, until in leases.items() if until is None or until < now)
    for contact_id in to_deliver:
        deliver_task(contact_id)
    if startup:
        # Chats still leased by a worker that died: deliver them when its lease runs out.
        for contact_id, until in leases.items():
            if until is not None and until >= now:
                deliver_later(contact_id, (until - now).total_seconds() + 0.5)
    if to_process or to_deliver:
        log.info("sweep: %d chat(s) to process, %d to deliver", len(to_process), len(to_deliver))
    return len(to_process), len(to_deliver)
