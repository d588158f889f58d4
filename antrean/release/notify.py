"""The lottery's messages: the entry's number, then each entrant's result, queued in the
transaction that decides it (so each is sent exactly once). More than 24 hours after the
person last wrote, the `lottery_result` template goes instead."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse

from antrean.booking.actions import local_start
from antrean.booking.errors import BookingError
from antrean.booking.explain import explain
from antrean.booking.models import Booking
from antrean.content.dates import format_date, format_datetime, format_time, zone_name
from antrean.conversation import alerts
from antrean.conversation.notices import _contact
from antrean.conversation.service import office_info
from antrean.conversation.speak import Speaker
from antrean.release.models import Entry, Release
from antrean.whatsapp import outbox
from antrean.whatsapp.messages import Text
from antrean.whatsapp.templates import template

log = logging.getLogger(__name__)


def audit_url(release: Release) -> str:
    return settings.PUBLIC_URL + reverse("release:detail", args=[release.pk])


def won(entry: Entry, release: Release, booking: Booking, *, now: datetime) -> bool:
    zone = ZoneInfo(release.office.timezone)

    def body(say: Speaker) -> str:
        facts = {
            "ticket": entry.ticket,
            "rank": entry.rank,
            "entries": release.entries,
            "code": booking.code,
            "visit_date": format_date(booking.visit_date, say.lang),
            "slot": f"{format_time(local_start(booking), say.lang)} {zone_name(str(zone))}",
            "queue_number": booking.queue_number or "-",
        }
        if booking.status == "pending":
            confirm_by = format_datetime(booking.confirm_by.astimezone(zone), say.lang)
            return say("release.won", confirm_by=confirm_by, **facts)
        return say("release.won_confirmed", **facts)

    pending = booking.status == "pending"
    fallback = template(
        "lottery_result",
        entry.name,
        str(entry.ticket),
        booking.code,
        replies=(f"confirm:{booking.code}", f"cancel:{booking.code}") if pending else (),
    )
    buttons = ("confirm", "cancel") if pending else ()
    return alerts._send(booking, body, fallback, now=now, buttons=buttons)


def lost(entry: Entry, release: Release, *, now: datetime, cache: dict | None = None) -> bool:
    return _tell(
        entry,
        release,
        lambda say: say(
            "release.lost",
            ticket=entry.ticket,
            rank=entry.rank,
            entries=release.entries,
            audit_url=audit_url(release),
        ),
        now=now,
        cache=cache,
    )


def refused(entry: Entry, release: Release, refusal: BookingError, *, now: datetime) -> bool:
    office = release.office
    return _tell(
        entry,
        release,
        lambda say: say(
            "release.refused",
            ticket=entry.ticket,
            rank=entry.rank,
            entries=release.entries,
            why=explain(refusal, say.lang, office=office.name, zone=office.timezone),
        ),
        now=now,
    )


def _tell(entry: Entry, release: Release, body, *, now: datetime, cache=None) -> bool:
    """`cache` keeps the office's facts between the thousands of results of one draw."""
    office = release.office
    contact = _contact(office, entry.phone, "", entry.lang)
    if contact is None:
        log.warning("office %s has no WhatsApp number: lottery result not sent", office.pk)
        return False
    cache = {} if cache is None else cache
    if "info" not in cache:
        cache["info"] = office_info(office, now)
    say = Speaker(cache["info"], contact.lang)
    fallback = template("lottery_result", entry.name, str(entry.ticket), "-")
    outbox.enqueue(contact, [Text(body(say))], now=now, template=fallback)
    return True
