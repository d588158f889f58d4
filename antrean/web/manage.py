"""Managing a booking on the web: find it by code and NIK, then cancel, move or print it.

Finding is one query for an applicant with both the code and the NIK's hash, so a wrong
code and a wrong NIK cost the same and get the same answer: nobody can learn from us
whether a code exists. Lookups are rate-limited per address and per code.
"""

from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from antrean.booking import actions
from antrean.booking.codes import normalize_code
from antrean.booking.errors import BookingError
from antrean.booking.lifecycle import Status
from antrean.booking.models import Applicant
from antrean.booking.nik import normalize_nik
from antrean.content import text
from antrean.content.dates import zone_name
from antrean.conversation import notices
from antrean.lib.crypto import lookup_hash
from antrean.web import i18n, limits, proof
from antrean.web.common import (
    client_address,
    day_choices,
    hour_choices,
    now,
    own_booking,
    refusal,
    remember,
    too_many,
)
from antrean.web.forms import parse_date, parse_hour

NO_CODE = "--------"  # never a code: a malformed code still costs one query


def find(code: str, nik: str):
    """The booking with this code and an applicant with this NIK, or None."""
    normalized = normalize_code(code) or NO_CODE
    applicant = (
        Applicant.objects.select_related("booking")
        .filter(booking__code=normalized, nik_hash=lookup_hash(normalize_nik(nik)))
        .first()
    )
    return applicant.booking if applicant else None


@require_http_methods(["GET", "POST"])
def lookup(request):
    lang = i18n.language(request)
    error, code = "", request.GET.get("kode", "")[:12]
    note = text("web.manage.nik_again", lang) if code else ""
    if request.method == "POST":
        code = request.POST.get("code", "").strip()
        moment = now()
        try:
            limits.take(limits.LOOKUP_PER_ADDRESS, client_address(request), moment)
            limits.take(limits.LOOKUP_PER_CODE, normalize_code(code) or "-", moment)
        except limits.Exceeded as exceeded:
            return too_many(request, exceeded)
        booking = find(code, request.POST.get("nik", ""))
        if booking is not None:
            remember(request, booking.code)
            return redirect("web:manage", code=booking.code)
        error = text("web.manage.not_found", lang)
    return render(
        request,
        "web/manage_lookup.html",
        {"error": error, "code": code, "note": note if not error else ""},
        status=400 if error else 200,
    )


@require_GET
@own_booking
def manage(request, booking):
    return _manage_page(request, booking, parse_date(request.GET.get("day", "")))


def _manage_page(request, booking, day, error="", status=200):
    lang, moment = i18n.language(request), now()
    shown = proof.build(booking, lang)
    changeable = booking.status in (Status.PENDING, Status.CONFIRMED)
    days, hours = [], []
    if changeable:
        office, service, seats = booking.office, booking.service, booking.applicants
        days = day_choices(office, service, moment, lang, seats)
        hours = hour_choices(office, service, day, moment, seats, lang)
    return render(
        request,
        "web/manage.html",
        {
            "booking": booking,
            "proof": shown,
            "when": proof.when(shown, lang),
            "qr": proof.qr_svg(booking.code),
            "changeable": changeable,
            "days": days,
            "day": day.isoformat() if day else "",
            "hours": hours,
            "count": booking.applicants,
            "zone": zone_name(booking.office.timezone),
            "error": error,
            "done": request.GET.get("done", ""),
        },
        status=status,
    )


@require_POST
@own_booking
def cancel(request, booking):
    lang, moment = i18n.language(request), now()
    if request.POST.get("sure") != "yes":
        error = text("web.manage.cancel_unconfirmed", lang)
        return _manage_page(request, booking, None, error, 400)
    try:
        with transaction.atomic():
            cancelled = actions.cancel(
                code=booking.code, now=moment, actor=f"web:{booking.phone}", reason="web"
            )
            notices.web_booking(cancelled, "cancelled", now=moment)
    except BookingError as refused:
        return _manage_page(request, booking, None, refusal(request, refused, booking.office), 400)
    return _done(booking, "cancelled")


@require_POST
@own_booking
def reschedule(request, booking):
    lang, moment = i18n.language(request), now()
    day = parse_date(request.POST.get("day", ""))
    hour = parse_hour(request.POST.get("hour", ""))
    if day is None or hour is None:
        key = "web.form.day_missing" if day is None else "web.form.hour_missing"
        return _manage_page(request, booking, day, text(key, lang), 400)
    try:
        with transaction.atomic():
            moved = actions.reschedule(
                code=booking.code,
                visit_date=day,
                hour=hour,
                now=moment,
                actor=f"web:{booking.phone}",
            )
            notices.web_booking(moved, "rescheduled", now=moment)
    except BookingError as refused:
        return _manage_page(request, booking, day, refusal(request, refused, booking.office), 400)
    return _done(booking, "rescheduled")


def _done(booking, what: str):
    """Back to the booking's page, which says what was done (and a reload does not redo it)."""
    return redirect(reverse("web:manage", args=[booking.code]) + f"?done={what}")
