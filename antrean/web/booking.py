"""Booking on the web: office and service, the WhatsApp number (proved by a one-time code),
the applicants, day and hour, then the proof.

A draft lives in the session until the booking is made. The booking itself is one call to
`booking.actions.book`, under the same rules and quotas as WhatsApp; the web's number is
verified, so the booking is confirmed at once and the chat is told.
"""

from datetime import date, datetime, timedelta
from itertools import groupby

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from antrean.booking import actions
from antrean.booking.errors import BookingError, InvalidPhone
from antrean.booking.phone import normalize_phone
from antrean.content import text
from antrean.content.dates import zone_name
from antrean.conversation import notices
from antrean.offices.models import Office, ServiceType
from antrean.offices.schedules import schedule_for
from antrean.web import i18n, limits, otp, proof
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
from antrean.web.forms import (
    applicant_count,
    parse_date,
    parse_hour,
    read_applicants,
    with_errors,
)

DRAFT = "web_draft"
VERIFIED_FOR = timedelta(minutes=30)
STEPS = ("where", "phone", "details", "proof")


def _draft(request) -> dict:
    return request.session.get(DRAFT, {})


def _save(request, **values) -> None:
    request.session[DRAFT] = {**_draft(request), **values}


def _chosen(request) -> tuple[Office | None, ServiceType | None]:
    draft = _draft(request)
    office = Office.objects.filter(pk=draft.get("office"), is_active=True).first()
    service = ServiceType.objects.filter(
        code=draft.get("service") or "", bookable_remotely=True
    ).first()
    return office, service


def _verified_phone(request, moment: datetime) -> str | None:
    draft = _draft(request)
    at = draft.get("verified_at")
    if not at or not draft.get("phone"):
        return None
    if moment - datetime.fromisoformat(at) > VERIFIED_FOR:
        return None
    return draft["phone"]


def _page(request, template: str, step: str, context: dict, status: int = 200):
    steps = [{"key": key, "on": key == step} for key in STEPS]
    return render(request, template, {"steps": steps, **context}, status=status)


# --- 1. Where ----------------------------------------------------------------------------
def _office_groups():
    offices = Office.objects.filter(is_active=True).order_by("province", "name")
    return [
        (province, [(office, zone_name(office.timezone)) for office in group])
        for province, group in groupby(offices, key=lambda office: office.province)
    ]


@require_http_methods(["GET", "POST"])
def where(request):
    lang = i18n.language(request)
    errors = {}
    chosen_office, chosen_service = _chosen(request)
    office_code = request.GET.get("kantor") or (chosen_office.code if chosen_office else "")
    service_code = chosen_service.code if chosen_service else ""
    if request.method == "POST":
        office_code = request.POST.get("office", "")
        service_code = request.POST.get("service", "")
        office = Office.objects.filter(code=office_code, is_active=True).first()
        service = ServiceType.objects.filter(code=service_code, bookable_remotely=True).first()
        if office is None:
            errors["office"] = text("web.form.office_missing", lang)
        if service is None:
            errors["service"] = text("web.form.service_missing", lang)
        if not errors:
            _save(request, office=office.pk, service=service.code)
            if _verified_phone(request, now()):
                return redirect("web:details")
            return redirect("web:phone")
    services = ServiceType.objects.filter(bookable_remotely=True).order_by("pk")
    return _page(
        request,
        "web/book_where.html",
        "where",
        {
            "groups": _office_groups(),
            "services": [(s, s.name(lang)) for s in services],
            "office_code": office_code,
            "service_code": service_code,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# --- 2. The WhatsApp number --------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def phone(request):
    lang = i18n.language(request)
    office, service = _chosen(request)
    if office is None or service is None:
        return redirect("web:where")
    typed = _draft(request).get("phone", "")
    error = ""
    if request.method == "POST":
        typed = request.POST.get("phone", "").strip()
        moment = now()
        try:
            number = normalize_phone(typed)
            otp.check_resend(number, moment)
            limits.take(limits.SEND_CODE_PER_ADDRESS, client_address(request), moment)
            limits.take(limits.SEND_CODE_PER_PHONE, number, moment)
            with transaction.atomic():
                issued = otp.issue(number, moment)
                notices.one_time_code(office, number, lang, issued.code, now=moment)
        except InvalidPhone as refused:
            error = refusal(request, refused, office)
        except limits.Exceeded as exceeded:
            return too_many(request, exceeded)
        except otp.CodeRefused as refused:
            error = text(f"web.code.{refused.reason}", lang, **refused.details)
        else:
            _save(request, phone=number, verified_at=None)
            return redirect("web:verify")
    return _page(
        request,
        "web/book_phone.html",
        "phone",
        {"office": office, "typed": typed, "error": error},
        status=400 if error else 200,
    )


@require_http_methods(["GET", "POST"])
def verify(request):
    lang = i18n.language(request)
    number = _draft(request).get("phone")
    office, _ = _chosen(request)
    if not number or office is None:
        return redirect("web:phone")
    error = ""
    if request.method == "POST":
        moment = now()
        try:
            otp.verify(number, request.POST.get("code", ""), moment)
        except otp.CodeRefused as refused:
            error = text(f"web.code.{refused.reason}", lang, **refused.details)
        else:
            _save(request, verified_at=moment.isoformat())
            return redirect("web:details")
    return _page(
        request,
        "web/book_verify.html",
        "phone",
        {"office": office, "phone": number, "error": error},
        status=400 if error else 200,
    )


# --- 3. Who, which day and hour ------------------------------------------------------------
def _first_day_with_room(days) -> date | None:
    for day in days:
        if day["enough"]:
            return date.fromisoformat(day["value"])
    return None


@require_http_methods(["GET", "POST"])
def details(request):
    lang = i18n.language(request)
    moment = now()
    office, service = _chosen(request)
    if office is None or service is None:
        return redirect("web:where")
    number = _verified_phone(request, moment)
    if number is None:
        return redirect("web:phone")
    data = request.POST if request.method == "POST" else request.GET
    count = applicant_count(data.get("jumlah"))
    days = day_choices(office, service, moment, lang, count)
    day = parse_date(data.get("day", "")) or _first_day_with_room(days)
    hour = parse_hour(data.get("hour", ""))
    schedule = schedule_for(office, moment)
    typed, people, errors = read_applicants(data, count, schedule.today(moment), lang)
    problem = ""
    if request.method == "POST" and data.get("action") == "book":
        if day is None:
            errors["day"] = text("web.form.day_missing", lang)
        if hour is None:
            errors["hour"] = text("web.form.hour_missing", lang)
        if not errors:
            try:
                booked = _book(request, office, service, number, people, day, hour, moment, lang)
            except limits.Exceeded as exceeded:
                return too_many(request, exceeded)
            except BookingError as refused:
                place = refused.details.get("applicant")
                if place:
                    errors[f"p{place}_nik"] = refusal(request, refused, office)
                else:
                    problem = refusal(request, refused, office)
            else:
                remember(request, booked.code)
                request.session.pop(DRAFT, None)
                return redirect("web:proof", code=booked.code)
    else:
        errors = {}  # a first look, or a change of day or count: nothing was submitted yet
        try:  # say at once when the office takes no bookings at this hour
            schedule.check_registration(moment)
        except BookingError as closed:
            problem = refusal(request, closed, office)
    return _page(
        request,
        "web/book_details.html",
        "details",
        {
            "office": office,
            "service": service.name(lang),
            "phone": number,
            "count": count,
            "counts": range(1, 6),
            "applicants": with_errors(typed, errors),
            "days": days,
            "day": day.isoformat() if day else "",
            "hours": hour_choices(office, service, day, moment, count, lang),
            "hour": hour.isoformat("minutes") if hour else "",
            "zone": zone_name(office.timezone),
            "errors": errors,
            "problem": problem,
        },
        status=400 if request.method == "POST" and (errors or problem) else 200,
    )


def _book(request, office, service, number, people, day, hour, moment, lang):
    limits.take(limits.BOOK_PER_ADDRESS, client_address(request), moment)
    booker, *family = people
    with transaction.atomic():
        booking = actions.book(
            office=office,
            service=service,
            phone=number,
            name=booker.name,
            birth_date=booker.birth_date,
            nik=booker.nik,
            family=family,
            now=moment,
            channel="web",
            actor=f"web:{number}",
            visit_date=day,
            hour=hour,
            lang=lang,
            move_if_full=False,
            confirmed=True,
        ).booking
        notices.web_booking(booking, "booked", now=moment)
    return booking


@require_GET
def hours(request):
    """The hour choices alone, for htmx: refreshed when the day changes and every while."""
    office, service = _chosen(request)
    moment = now()
    if office is None or service is None or _verified_phone(request, moment) is None:
        return HttpResponse(status=204)
    count = applicant_count(request.GET.get("jumlah"))
    day = parse_date(request.GET.get("day", ""))
    return render(
        request,
        "web/_hours.html",
        {
            "hours": hour_choices(office, service, day, moment, count, i18n.language(request)),
            "hour": request.GET.get("hour", ""),
            "zone": zone_name(office.timezone),
            "count": count,
        },
    )


# --- 4. The proof ------------------------------------------------------------------------
@require_GET
@own_booking
def proof_page(request, booking):
    lang = i18n.language(request)
    shown = proof.build(booking, lang)
    return render(
        request,
        "web/proof.html",
        {
            "proof": shown,
            "when": proof.when(shown, lang),
            "qr": proof.qr_svg(booking.code),
            "booking": booking,
            "steps": [{"key": key, "on": key == "proof"} for key in STEPS],
        },
    )


@require_GET
@own_booking
def proof_pdf(request, booking):
    lang = i18n.language(request)
    response = HttpResponse(proof.pdf(proof.build(booking, lang), lang), "application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bukti-{booking.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
