"""Everything that happens because time passes, as plain functions of `now`.

`run(now)` is the whole minute: first the booking changes that deadlines cause (each
through the booking write layer, each freeing seats to the waitlist), then the messages
that changes and the clock call for. Every message goes through `once`: its ledger row
and its outbox row commit together, and the ledger's unique index refuses a second, so
running any job twice - or on two workers at once - sends nothing twice.

Each office's own time zone decides its reminder hours and its end of day.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from antrean.booking import actions, office_actions, payments, waitlist
from antrean.booking.lifecycle import Stage, Status
from antrean.booking.models import Booking, BookingEvent, Payment
from antrean.conversation import alerts
from antrean.jobs.models import Notice
from antrean.offices.models import Office

log = logging.getLogger(__name__)

EVE_AT, EVE_UNTIL = time(17, 0), time(21, 0)  # the day before: evening, not at night
MORNING_AT = time(6, 0)  # the day itself, until the arrival deadline
DAYTIME = (time(8, 0), time(20, 0))  # when a passport reminder may go
PAY_WARNING = timedelta(minutes=30)  # before a bill lapses
LOOKBACK = timedelta(days=1)  # an event older than this is no news any more
_BATCH = 500


@dataclass
class Tally:
    changed: int = 0
    told: int = 0


def run(now: datetime) -> Tally:
    tally = Tally()
    tally.changed += actions.lapse_unconfirmed(now=now)
    tally.changed += actions.expire_late(now=now)
    tally.changed += payments.lapse_unpaid(now=now)
    tally.changed += waitlist.end_waitlists(now=now)
    tally.changed += office_actions.close_days(now=now)
    tally.told += tell_events(now)
    tally.told += remind(now)
    tally.told += warn_unpaid(now)
    tally.told += remind_pickup(now)
    return tally


def once(booking: Booking, key: str, now: datetime, send: Callable[[], bool]) -> bool:
    """Send one message about `booking` unless the ledger already holds `key` for it."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                notice = Notice.objects.create(booking=booking, key=key, at=now)
        except IntegrityError:
            return False
        if not send():
            notice.sent = False
            notice.save(update_fields=["sent"])
    return True


def _told(key) -> Exists:
    """The notice `key` was sent for the row's booking."""
    return Exists(Notice.objects.filter(booking=OuterRef("booking_id"), key=key))


# --- What happened ---------------------------------------------------------------------------
# The events that the applicant hears about from us, not from an answer to their message.
TOLD_EVENTS = ("lapsed", "late", "unpaid", "no_show", "waitlist_ended", "offered", "served")


def tell_events(now: datetime) -> int:
    events = (
        BookingEvent.objects.filter(action__in=TOLD_EVENTS, at__gte=now - LOOKBACK, at__lte=now)
        .exclude(detail__has_key="told")  # its owner heard it in the answer to their message
        .exclude(_told(OuterRef("action")))
        .select_related("booking__office", "booking__service")
        .order_by("at", "id")[:_BATCH]
    )
    return sum(once(e.booking, e.action, now, lambda e=e: _tell(e, now)) for e in events)


def _tell(event: BookingEvent, now: datetime) -> bool:
    booking = event.booking
    if event.action == "offered":
        if booking.status != Status.PENDING:
            return False  # claimed or passed on already: no offer to make
        return alerts.offered(booking, now=now)
    if event.action == "served":
        from antrean.conversation import survey

        return survey.invite(booking, now=now)
    why = event.action
    if why == "no_show" and event.actor == office_actions.END_OF_DAY_ACTOR:
        why = "day_closed"
    offered = why == "lapsed" and booking.events.filter(action="offered").exists()
    return alerts.ended(booking, why, now=now, offered=offered)


# --- Reminders -------------------------------------------------------------------------------
def remind(now: datetime) -> int:
    """The evening before and the morning of the visit, in each office's own zone."""
    told = 0
    for office in Office.objects.all():
        local = now.astimezone(ZoneInfo(office.timezone))
        today = local.date()
        if EVE_AT <= local.time() < EVE_UNTIL:
            tomorrow = today + timedelta(days=1)
            since = datetime.combine(today, EVE_AT, tzinfo=local.tzinfo)
            told += _remind(office, tomorrow, "eve", now, created_before=since)
        if local.time() >= MORNING_AT:
            midnight = datetime.combine(today, time(0), tzinfo=local.tzinfo)
            told += _remind(office, today, "morning", now, created_before=midnight)
    return told


def _remind(office: Office, day: date, which: str, now: datetime, *, created_before) -> int:
    key = f"{which}:{day.isoformat()}"
    lead = timedelta(minutes=office.arrival_lead_minutes)
    bookings = (
        Booking.objects.filter(
            # A pending code past its deadline is lapsing, not worth a reminder.
            Q(status=Status.CONFIRMED) | Q(status=Status.PENDING, confirm_by__gt=now),
            office=office,
            visit_date=day,
            created_at__lt=created_before,
            slot_at__gt=now + lead,  # it is still possible to come in time
        )
        .exclude(Exists(Notice.objects.filter(booking=OuterRef("pk"), key=key)))
        .select_related("office", "service")
        .order_by("slot_at", "id")[:_BATCH]
    )
    return sum(once(b, key, now, lambda b=b: alerts.reminder(b, which, now=now)) for b in bookings)


def warn_unpaid(now: datetime) -> int:
    """Half an hour before an unpaid bill lapses."""
    payments_due = (
        Payment.objects.filter(
            paid_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + PAY_WARNING,
            booking__status=Status.CONFIRMED,
        )
        .exclude(_told("payment_due"))
        .select_related("booking__office", "booking__service")[:_BATCH]
    )
    return sum(
        once(p.booking, "payment_due", now, lambda p=p: alerts.payment_due(p.booking, p, now=now))
        for p in payments_due
    )


def remind_pickup(now: datetime) -> int:
    """A passport ready for some days and not collected: once, in the daytime."""
    told = 0
    for office in Office.objects.all():
        local = now.astimezone(ZoneInfo(office.timezone)).time()
        if not DAYTIME[0] <= local < DAYTIME[1]:
            continue
        waited = now - timedelta(days=office.pickup_reminder_days)
        ready = (
            Booking.objects.filter(
                office=office,
                stage=Stage.READY,
                stage_at__lte=waited,
                stage_at__gt=waited - timedelta(days=7),  # never a reminder weeks late
            )
            .exclude(Exists(Notice.objects.filter(booking=OuterRef("pk"), key="pickup")))
            .select_related("office", "service")[:_BATCH]
        )
        told += sum(once(b, "pickup", now, lambda b=b: alerts.pickup(b, now=now)) for b in ready)
    return told
