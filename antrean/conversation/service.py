"""Run the dialog for one inbound WhatsApp message and apply its effect.

Called by the WhatsApp channel inside the transaction that claims the message, so the
booking change, the new conversation state and the replies commit together or not at all.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from antrean.booking import actions
from antrean.booking.errors import BookingError, BookingNotFound
from antrean.booking.models import Booking, Channel
from antrean.booking.queries import live_booking
from antrean.booking.rules import is_child
from antrean.conversation import dialog
from antrean.offices.models import MessageFormat, Office, ServiceType
from antrean.offices.schedules import schedule_for
from antrean.whatsapp.models import Contact, InboundMessage, StoredMedia
from antrean.whatsapp.payloads import message_from_raw

# A LAW message does not say which application it is for; officers change it at the desk
# if needed. (The guided booking asks.)
DEFAULT_SERVICE = "baru"


def respond(contact: Contact, inbound: InboundMessage, now: datetime) -> tuple[dict, list]:
    """(new conversation state, replies) for `inbound`; applies any booking effect."""
    office = contact.number.office
    info = office_info(office, now)
    step = dialog.handle(
        contact.state or {}, incoming_for(inbound), now=now, office=info, lang=contact.lang
    )
    replies = list(step.replies)
    if step.effect is not None:
        outcome = _apply(step.effect, contact, now)
        replies += dialog.after(step.effect, outcome, office=info, lang=contact.lang)
    return step.state, replies


def office_info(office: Office, now: datetime) -> dialog.OfficeInfo:
    schedule = schedule_for(office, now)
    registration = None
    if office.registration_opens_at and office.registration_closes_at:
        registration = (office.registration_opens_at, office.registration_closes_at)
    example = schedule.first_bookable_day(now, after=schedule.today(now))
    return dialog.OfficeInfo(
        name=office.name,
        zone=office.timezone,
        address=office.address,
        batam=office.message_format == MessageFormat.BATAM,
        example_day=example or schedule.first_bookable_day(now),
        registration=registration,
    )


def incoming_for(inbound: InboundMessage) -> dialog.Incoming:
    message = message_from_raw(inbound.payload)
    media = StoredMedia.objects.filter(inbound=inbound).first()
    return dialog.Incoming(
        kind=message.kind,
        text=message.text,
        reply_id=message.reply_id,
        media_ref=str(media.pk) if media else "",
        media_failed=message.kind in ("image", "document") and media is None,
    )


def view(booking: Booking, moved_from=None) -> dialog.BookingView:
    zone = ZoneInfo(booking.office.timezone)
    slot = booking.slot_at.astimezone(zone)
    return dialog.BookingView(
        code=booking.code,
        name=booking.name,
        birth_date=booking.birth_date,
        visit_date=booking.visit_date,
        slot_start=slot.time(),
        status=booking.status,
        queue_number=booking.queue_number,
        confirm_by=booking.confirm_by.astimezone(zone) if booking.confirm_by else None,
        arrive_by=slot - timedelta(minutes=booking.office.arrival_lead_minutes),
        child=is_child(booking.birth_date, booking.visit_date),
        old_passport=booking.service.needs_old_passport,
        address=booking.address,
        moved_from=moved_from,
    )


def _apply(effect, contact: Contact, now: datetime):
    """Apply `effect` through the booking write layer: a BookingView, or the refusal."""
    actor = f"whatsapp:{contact.wa_id}"
    try:
        if isinstance(effect, dialog.Book):
            booked = actions.book(
                office=contact.number.office,
                service=ServiceType.objects.get(code=DEFAULT_SERVICE),
                phone=contact.wa_id,
                name=effect.name,
                birth_date=effect.birth_date,
                visit_date=effect.visit_date,
                address=effect.address,
                channel=Channel.WHATSAPP,
                actor=actor,
                lang=contact.lang,
                now=now,
            )
            if effect.document_ref:
                StoredMedia.objects.filter(pk=effect.document_ref).update(booking=booked.booking)
            return view(booked.booking, booked.moved_from)
        if isinstance(effect, dialog.Confirm):
            return view(
                actions.confirm(code=effect.code, now=now, actor=actor, phone=contact.wa_id)
            )
        code = effect.code
        if code is None:
            live = live_booking(contact.wa_id)
            if live is None:
                raise BookingNotFound()
            code = live.code
        return view(actions.cancel(code=code, now=now, actor=actor, phone=contact.wa_id))
    except BookingError as refusal:
        return refusal
