"""Messages we start, not answers: a counter's call, a change of an application's stage,
an officer's reply to a ticket, a web visitor's one-time code, what a web visitor did with
their booking (so that the chat holds it too).

Each is written to the outbox inside the caller's transaction, in the applicant's
language, as the office words it. More than 24 hours after the person last wrote, the
approved template for the purpose goes instead (WhatsApp allows nothing else).
"""

import logging
from datetime import datetime

from django.db.models import F

from antrean.booking.actions import local_start
from antrean.booking.lifecycle import Stage
from antrean.booking.models import Booking
from antrean.content import text
from antrean.content.dates import format_date, format_time, zone_name
from antrean.conversation.service import office_info
from antrean.conversation.speak import Speaker
from antrean.offices.models import Office, WhatsAppNumber
from antrean.whatsapp import outbox
from antrean.whatsapp.messages import BUTTON_TITLE_MAX, Button, Buttons, Text
from antrean.whatsapp.models import Contact
from antrean.whatsapp.templates import template

log = logging.getLogger(__name__)


def called(booking: Booking, *, now: datetime) -> bool:
    counter = booking.counter.number
    return _tell(
        booking.office,
        booking.phone,
        booking.lang,
        "notice.called",
        now=now,
        fallback=template("call", booking.queue_number, str(counter)),
        number=booking.queue_number,
        counter=counter,
    )


def stage_changed(booking: Booking, *, now: datetime) -> bool:
    stage = Stage(booking.stage)
    if stage == Stage.READY:
        fallback = template("passport_ready", booking.name, booking.office.name)
    else:
        fallback = template("status", booking.code, _stage_name(stage, "id"))
    return _tell(
        booking.office,
        booking.phone,
        booking.lang,
        f"stage.{stage.value}",
        now=now,
        fallback=fallback,
        code=booking.code,
        name=booking.name,
    )


def ticket_reply(ticket, reply: str, *, now: datetime) -> bool:
    return _tell(
        ticket.office,
        ticket.phone,
        "",
        "notice.ticket_reply",
        now=now,
        fallback=template("ticket_reply", ticket.number, reply),
        number=ticket.number,
        reply=reply,
        prefer=ticket.whatsapp_number,
    )


def one_time_code(office: Office, phone: str, lang: str, code: str, *, now: datetime) -> bool:
    """The code that proves a web visitor holds this WhatsApp number. Always the
    authentication template: WhatsApp allows one-time codes in nothing else."""
    contact = _contact(office, phone, "", lang)
    if contact is None:
        log.warning("office %s has no WhatsApp number: one-time code not sent", office.pk)
        return False
    outbox.enqueue(contact, [template("one_time_code", code, button=code)], now=now)
    return True


def web_booking(booking: Booking, what: str, *, now: datetime) -> bool:
    """Tell the chat what was done on the web: `booked`, `rescheduled` or `cancelled`."""
    zone = zone_name(booking.office.timezone)
    day = format_date(booking.visit_date, "id")
    slot = f"{format_time(local_start(booking), 'id')} {zone}"
    if what == "cancelled":
        fallback = template("cancelled", booking.code, booking.office.name)
    else:
        fallback = template(
            "booked", booking.code, booking.office.name, day, slot, booking.queue_number or "-"
        )
    lang = booking.lang
    return _tell(
        booking.office,
        booking.phone,
        lang,
        f"notice.web_{what}",
        now=now,
        fallback=fallback,
        code=booking.code,
        queue=booking.queue_number or "-",
        visit_date=format_date(booking.visit_date, lang),
        slot=f"{format_time(local_start(booking), lang)} {zone}",
        applicants=booking.applicants,
    )


def _stage_name(stage: Stage, lang: str) -> str:
    return text(f"stage_name.{stage.value}", lang)


def _tell(
    office: Office,
    phone: str,
    lang: str,
    key: str,
    *,
    now,
    fallback,
    prefer="",
    buttons: tuple[tuple[str, str], ...] = (),
    **params,
):
    """Queue one message to `phone` from the office's number; False when the office has no
    WhatsApp number to send from (the change itself still stands). `buttons`: reply
    buttons under the text, as (id, text key) pairs."""
    contact = _contact(office, phone, prefer, lang)
    if contact is None:
        log.warning("office %s has no WhatsApp number: %s not sent", office.pk, key)
        return False
    speaker = Speaker(office_info(office, now), contact.lang)
    body = speaker(key, **params)
    message = Text(body)
    if buttons:
        message = Buttons(body, tuple(Button(id_, _title(speaker, name)) for id_, name in buttons))
    outbox.enqueue(contact, [message], now=now, template=fallback)
    return True


def _title(speaker: Speaker, key: str) -> str:
    """A button title in the office's words if they fit WhatsApp's limit, else the catalog's."""
    said = speaker(key)
    return said if len(said) <= BUTTON_TITLE_MAX else text(key, speaker.lang)


def _contact(office: Office, phone: str, prefer: str, lang: str) -> Contact | None:
    """The chat the person last used with this office, or a new one from its main number
    (a booking made on the web has no chat yet)."""
    chats = Contact.objects.filter(wa_id=phone, number__office=office).select_related("number")
    if prefer:
        preferred = chats.filter(number__phone_number_id=prefer).first()
        if preferred is not None:
            return preferred
    chat = chats.order_by(F("last_inbound_at").desc(nulls_last=True), "-pk").first()
    if chat is not None:
        return chat
    number = WhatsAppNumber.objects.filter(office=office).order_by("-is_primary", "pk").first()
    if number is None:
        return None
    chat, _ = Contact.objects.get_or_create(
        number=number, wa_id=phone, defaults={"lang": lang or "id"}
    )
    return chat
