"""The one place tickets are written."""

from datetime import datetime

from django.db import transaction

from antrean.feedback.models import Ticket, TicketReply
from antrean.offices.models import Office


@transaction.atomic
def file_ticket(
    *, office: Office, phone: str, kind: str, text: str, now: datetime, whatsapp_number: str = ""
) -> Ticket:
    ticket = Ticket.objects.create(
        office=office,
        phone=phone,
        kind=kind,
        text=text.strip(),
        created_at=now,
        whatsapp_number=whatsapp_number,
    )
    # A number people can read out on the phone: month and a running number.
    ticket.number = f"T-{now:%y%m}-{ticket.pk:05d}"
    ticket.save(update_fields=["number"])
    return ticket


REPLY_MAX = 900  # WhatsApp's template parameters and our message body both stay inside this


class EmptyReply(ValueError):
    pass


@transaction.atomic
def reply(*, ticket: Ticket, text: str, by: str, now: datetime, send) -> TicketReply:
    """Record an officer's answer and mark the ticket answered. `send(ticket, text)` writes
    the WhatsApp message in this same transaction: recorded and sent, or neither."""
    text = text.strip()
    if not text:
        raise EmptyReply()
    answer = TicketReply.objects.create(
        ticket=ticket, text=text[:REPLY_MAX], by=by[:150], at=now, sent=send(ticket, text)
    )
    Ticket.objects.filter(pk=ticket.pk).update(state=Ticket.State.ANSWERED)
    ticket.state = Ticket.State.ANSWERED
    return answer


def set_state(*, ticket: Ticket, state: str) -> Ticket:
    if state not in Ticket.State.values:
        raise ValueError(state)
    Ticket.objects.filter(pk=ticket.pk).update(state=state)
    ticket.state = state
    return ticket
