"""The one place tickets are written."""

from datetime import datetime

from django.db import transaction

from antrean.feedback.models import Ticket
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
