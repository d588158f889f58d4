"""What the public booking and manage pages share."""

import ipaddress
from datetime import date, datetime
from functools import wraps

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from antrean.booking import availability
from antrean.booking.errors import BookingError
from antrean.booking.explain import explain
from antrean.booking.models import Booking
from antrean.booking.rules import Quota, choose_quota
from antrean.content.dates import format_date, format_time
from antrean.offices.models import Office, ServiceType
from antrean.offices.schedules import schedule_for
from antrean.web import i18n
from antrean.web.limits import Exceeded

MINE = "web_bookings"  # the codes this browser booked or proved it may manage
DAYS_SHOWN = 14


def now() -> datetime:
    return timezone.now()


def client_address(request) -> str:
    """The client's IP address (rate limits, sign-in lockouts, the audit log), or
    "unknown"."""
    if settings.WEB_TRUST_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        # The last address is the one our proxy saw; those before it are whatever the
        # client wrote, and would let anyone pick a fresh address per request.
        last = forwarded.split(",")[-1].strip()
        if _is_ip(last):
            return last
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_ip(remote) else "unknown"


def client_ip(request) -> str | None:
    """`client_address`, or None when there is none (for columns of IP addresses)."""
    address = client_address(request)
    return None if address == "unknown" else address


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def refusal(request, error: BookingError, office: Office | None = None) -> str:
    lang = i18n.language(request)
    if office is None:
        return explain(error, lang)
    return explain(error, lang, office=office.name, zone=office.timezone)


def too_many(request, exceeded: Exceeded):
    minutes = max(1, round(exceeded.retry_after / 60))
    response = render(request, "web/limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(exceeded.retry_after)
    return response


def remember(request, code: str) -> None:
    mine = [c for c in request.session.get(MINE, []) if c != code][-9:]
    request.session[MINE] = [*mine, code]


def may_see(request, code: str) -> bool:
    return code in request.session.get(MINE, [])


def quota_of(service: ServiceType) -> Quota:
    # The web offers no priority quota (its reasons are checked at the office counter), and
    # without one neither the birth date nor the day matters.
    return choose_quota(Quota(service.quota), priority=None, birth=date.min, visit_day=date.min)


def offered_days(office: Office, service: ServiceType, moment: datetime):
    schedule = schedule_for(office, moment)
    return availability.upcoming(office, schedule, quota_of(service), moment, limit=DAYS_SHOWN)


def hours_on(office: Office, service: ServiceType, day: date, moment: datetime):
    """(start, seats left) for the bookable hours of `day`; empty when it is not offered."""
    schedule = schedule_for(office, moment)
    if day not in set(schedule.bookable_days(moment)):
        return []
    return list(availability.rooms(office, schedule, [day], quota_of(service), moment)[day].hours)


def day_choices(office, service, moment, lang: str, seats: int) -> list[dict]:
    """The days to offer, each with its seats left and whether `seats` still fit."""
    return [
        {
            "value": room.day.isoformat(),
            "label": format_date(room.day, lang),
            "seats": room.seats,
            "enough": room.seats >= seats and bool(room.hours_with_room(seats)),
        }
        for room in offered_days(office, service, moment)
    ]


def hour_choices(office, service, day: date | None, moment, seats: int, lang: str) -> list[dict]:
    if day is None:
        return []
    return [
        {
            "value": start.isoformat("minutes"),
            "label": format_time(start, lang),
            "left": left,
            "enough": left >= seats,
        }
        for start, left in hours_on(office, service, day, moment)
    ]


def ask_for_nik(code: str):
    """Where a browser goes that may not see `code` (yet): the lookup, the code filled in.
    The same for a code that does not exist, so this tells nobody anything."""
    return redirect(reverse("web:lookup") + "?" + urlencode({"kode": code[:12]}))


def booking_for(request, code: str) -> Booking | None:
    """The booking, if this browser may see it."""
    if not may_see(request, code):
        return None
    return (
        Booking.objects.select_related("office", "service")
        .prefetch_related("people")
        .filter(code=code)
        .first()
    )


def own_booking(view):
    """For views of one booking: the booking instead of its code, or the lookup for a
    browser that may not open it."""

    @wraps(view)
    def wrapper(request, code: str):
        booking = booking_for(request, code)
        if booking is None:
            return ask_for_nik(code)
        return view(request, booking)

    return wrapper
