"""Persist a webhook's updates before we answer 200, so nothing acknowledged is lost.

Messages become `InboundMessage` rows whose unique wamid turns Meta's re-deliveries (even
two arriving at the same moment) into no-ops; processing happens later, in a worker.
Statuses update the outbox row they concern, never moving it backwards. Everything else
is logged.
"""

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from antrean.lib.memo import remembered
from antrean.offices.models import WhatsAppNumber
from antrean.whatsapp import payloads
from antrean.whatsapp.models import (
    WA_STATUS_RANK,
    Contact,
    InboundMessage,
    OutboundMessage,
    OutboundState,
)

log = logging.getLogger(__name__)


@dataclass
class Ingested:
    stored: int = 0
    duplicates: int = 0
    statuses: int = 0
    ignored: int = 0
    contacts: set[int] = field(default_factory=set)  # chats with new messages to process


def ingest(events: list) -> Ingested:
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
        contacts = set(result.contacts)
        if contacts:
            # robust: the update is stored; if the queue is down the sweeper hands it out.
            transaction.on_commit(lambda: _enqueue_processing(contacts), robust=True)
    return result


def _store(event: payloads.Message, result: Ingested) -> None:
    number = _number(event.phone_number_id)
    if number is None:
        result.ignored += 1
        log.warning(
            "whatsapp message for unknown phone_number_id %s ignored", event.phone_number_id
        )
        return
    contact, created = Contact.objects.get_or_create(
        number=number,
        wa_id=event.wa_id,
        defaults={"last_inbound_at": event.sent_at, "profile_name": event.profile_name[:100]},
    )
    try:
        with transaction.atomic():
            InboundMessage.objects.create(
                contact=contact,
                wamid=event.wamid,
                kind=event.kind,
                sent_at=event.sent_at,
                received_at=timezone.now(),
                payload=event.raw,
            )
    except IntegrityError:
        result.duplicates += 1  # Meta delivered this message before
        return
    result.stored += 1
    result.contacts.add(contact.pk)
    if created:
        return  # created with this message's time and name
    newer = Q(last_inbound_at__isnull=True) | Q(last_inbound_at__lt=event.sent_at)
    Contact.objects.filter(newer, pk=contact.pk).update(last_inbound_at=event.sent_at)
    if event.profile_name and event.profile_name[:100] != contact.profile_name:
        Contact.objects.filter(pk=contact.pk).update(profile_name=event.profile_name[:100])


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
    if event.opaque.startswith("out:") and event.opaque[4:].isdigit():
        OutboundMessage.objects.filter(
            pk=int(event.opaque[4:]), wamid__isnull=True, wa_status__in=earlier
        ).update(wamid=event.wamid, state=OutboundState.SENT, sent_at=event.at, **changes)


def _enqueue_processing(contact_ids: set[int]) -> None:
    from antrean.whatsapp import tasks

    for contact_id in sorted(contact_ids):
        tasks.process_contact_task(contact_id)
