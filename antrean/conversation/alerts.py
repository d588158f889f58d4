"""The messages the lifecycle jobs send because time passed: reminders before a visit,
a booking that ended on its own (lapsed, late, unpaid, no-show, a waitlist day over), a
seat offered from the waitlist, a bill about to lapse, a passport still waiting.

Each is queued inside the caller's transaction, in the applicant's language, as the
office words it; more than 24 hours after the person last wrote, its approved template
goes instead, with the same buttons as quick replies. Each returns False when the
office has no WhatsApp number to send from.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from antrean.booking.actions import local_start
from antrean.booking.models import Booking, Payment
from antrean.content import text
from antrean.content.dates import format_date, format_datetime, format_time, zone_name
from antrean.content.money import thousands
from antrean.conversation.notices import _contact
from antrean.conversation.service import office_info
from antrean.conversation.speak import Speaker
from antrean.whatsapp import outbox
from antrean.whatsapp.messages import Button, Buttons, Template, Text
from antrean.whatsapp.templates import template

log = logging.getLogger(__name__)

# Why a booking ended, by the event that ended it.
ENDINGS = ("lapsed", "late", "unpaid", "no_show", "day_closed", "waitlist_ended")


def reminder(booking: Booking, which: str, *, now: datetime) -> bool:
    """`which`: "eve" (the day before) or "morning" (the day itself). Hadir confirms (a
    pending code too), Batal cancels."""
    facts = _facts(booking, booking.lang)
    pending = booking.status == "pending"
    fallback = template(
        "reminder",
        booking.name,
        facts["visit_date_id"],
        facts["slot_id"],
        booking.office.name,
        booking.queue_number or "-",
        facts["arrive_by_id"],
        replies=(f"confirm:{booking.code}", f"cancel:{booking.code}"),
    )

    def body(say: Speaker) -> str:
        note = ""
        if pending and booking.confirm_by:
            confirm_by = format_datetime(_local(booking, booking.confirm_by), say.lang)
            note = "\n\n" + say("notice.reminder_unconfirmed", confirm_by=confirm_by)
        return say(f"notice.reminder_{which}", **_facts(booking, say.lang)) + note

    return _send(booking, body, fallback, now=now, buttons=("attend", "cancel"))


def ended(booking: Booking, why: str, *, now: datetime, offered: bool = False) -> bool:
    """The booking ended without the applicant doing anything: why, and how to book again."""
    key = "offer_lapsed" if offered and why == "lapsed" else why
    reason_id = text(f"notice.ended_reason.{key}", "id")
    fallback = template("booking_ended", booking.code, booking.office.name, reason_id)

    def body(say: Speaker) -> str:
        return say(f"notice.ended.{key}", **_facts(booking, say.lang))

    return _send(booking, body, fallback, now=now)


def offered(booking: Booking, *, now: datetime) -> bool:
    """A seat from the waitlist, to be confirmed by `confirm_by` or passed on."""
    facts = _facts(booking, "id")
    fallback = template(
        "waitlist_offer",
        booking.name,
        facts["visit_date_id"],
        facts["slot_id"],
        booking.office.name,
        facts["confirm_by_id"],
        replies=(f"confirm:{booking.code}", f"cancel:{booking.code}"),
    )

    def body(say: Speaker) -> str:
        return say("notice.offered", **_facts(booking, say.lang))

    return _send(booking, body, fallback, now=now, buttons=("confirm", "cancel"))


def payment_due(booking: Booking, payment: Payment, *, now: datetime) -> bool:
    """The bill is about to lapse, and the booking with it."""
    due_id = format_datetime(_local(booking, payment.due_at), "id")
    amount = thousands(payment.amount)
    fallback = template("payment", booking.code, amount, payment.billing_code, due_id)

    def body(say: Speaker) -> str:
        due = format_datetime(_local(booking, payment.due_at), say.lang)
        return say(
            "notice.payment_due",
            code=booking.code,
            amount=amount,
            billing_code=payment.billing_code,
            due=due,
        )

    return _send(booking, body, fallback, now=now)


def pickup(booking: Booking, *, now: datetime) -> bool:
    """The passport has waited for its owner for a while."""
    fallback = template("passport_ready", booking.name, booking.office.name)
    ready = _local(booking, booking.stage_at).date()

    def body(say: Speaker) -> str:
        return say(
            "notice.pickup",
            name=booking.name,
            code=booking.code,
            ready=format_date(ready, say.lang),
        )

    return _send(booking, body, fallback, now=now)


# --- Helpers -----------------------------------------------------------------------------
def _send(booking: Booking, body, fallback: Template, *, now, buttons=()) -> bool:
    office = booking.office
    contact = _contact(office, booking.phone, "", booking.lang)
    if contact is None:
        log.warning("office %s has no WhatsApp number: lifecycle notice not sent", office.pk)
        return False
    say = Speaker(office_info(office, now), contact.lang)
    said = body(say)
    if buttons:
        message = Buttons(
            said,
            tuple(
                Button(f"{_ACTIONS[name]}:{booking.code}", say(f"chat.button_{name}"))
                for name in buttons
            ),
        )
    else:
        message = Text(said)
    outbox.enqueue(contact, [message], now=now, template=fallback)
    return True


# Both "Hadir" and "Konfirmasi" confirm: confirming is harmless when already confirmed.
_ACTIONS = {"attend": "confirm", "confirm": "confirm", "cancel": "cancel"}


def _local(booking: Booking, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(booking.office.timezone))


def _facts(booking: Booking, lang: str) -> dict:
    zone = zone_name(booking.office.timezone)
    start = local_start(booking)
    arrive_by = (
        _local(booking, booking.slot_at) - timedelta(minutes=booking.office.arrival_lead_minutes)
    ).time()
    facts = {
        "code": booking.code,
        "name": booking.name,
        "queue": booking.queue_number or "-",
        "applicants": booking.applicants,
    }
    for suffix, language in (("", lang), ("_id", "id")):
        facts[f"visit_date{suffix}"] = format_date(booking.visit_date, language)
        facts[f"slot{suffix}"] = f"{format_time(start, language)} {zone}"
        facts[f"arrive_by{suffix}"] = f"{format_time(arrive_by, language)} {zone}"
        facts[f"confirm_by{suffix}"] = (
            format_datetime(_local(booking, booking.confirm_by), language)
            if booking.confirm_by
            else "-"
        )
    return facts
