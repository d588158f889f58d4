"""Check-in: find the booking by its code (typed, scanned, or read by the camera), compare
the person with their documents, let them in, and give them their queue ticket."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can, can
from antrean.backoffice.views.common import actor, local, now, officer_text, page
from antrean.booking import actions, queries
from antrean.booking.errors import ArrivalTooLate, BookingError
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking

NOT_FOUND = (
    "Kode {code} tidak ditemukan di kantor ini. Periksa kembali: 8 huruf dan angka, tanpa "
    "huruf O dan I maupun angka 0 dan 1. Bila pemohon memesan di kantor lain, arahkan ke sana."
)


@staff_only(Can.CHECK_IN)
@require_http_methods(["GET", "POST"])
def check_in(request):
    typed = (request.POST.get("code") or request.GET.get("code") or "").strip()
    if not typed:
        return page(request, "backoffice/check_in.html", {})
    booking = queries.in_office(request.office.pk, typed)
    if booking is None:
        messages.error(request, NOT_FOUND.format(code=typed.upper()[:20]))
        return page(request, "backoffice/check_in.html", {"typed": typed}, status=404)
    if request.method == "POST":
        return _let_in(request, booking)
    with transaction.atomic():
        audit.record(request, "viewed", now=now(), booking_code=booking.code, page="check_in")
    return _show(request, booking)


def _show(request, booking: Booking, *, late: str = "", status: int = 200):
    late = late or _late_note(request, booking)
    return page(
        request,
        "backoffice/check_in.html",
        {
            "booking": booking,
            "slot": local(booking.office, booking.slot_at),
            "late": late,
            "may_override": can(request.staff.role, Can.OVERRIDE_LATE),
            "ready": booking.status == Status.CONFIRMED and not late,
        },
        status=status,
    )


def _late_note(request, booking: Booking) -> str:
    """Why a confirmed applicant who came today is past the arrival deadline, or ""."""
    deadline = actions.late_arrival(booking, now())
    if deadline is None:
        return ""
    return officer_text(ArrivalTooLate(deadline=deadline), request.office)


def _let_in(request, booking: Booking):
    reason = request.POST.get("override", "").strip()
    if reason and not can(request.staff.role, Can.OVERRIDE_LATE):
        messages.error(request, "Hanya supervisor yang dapat menerima pemohon yang terlambat.")
        return _show(request, booking, status=403)
    if "override" in request.POST and not reason:
        messages.error(request, "Tulis alasan menerima pemohon yang terlambat, lalu simpan lagi.")
        return _show(request, booking, late="x", status=400)
    moment = now()
    try:
        with transaction.atomic():
            booking = actions.check_in(
                code=booking.code,
                now=moment,
                actor=actor(request),
                office=request.office,
                override=reason,
            )
            audit.record(
                request,
                "checked_in_late" if reason else "checked_in",
                now=moment,
                booking_code=booking.code,
                reason=reason[:200],
            )
    except BookingError as error:
        said = officer_text(error, request.office)
        messages.error(request, said)
        return _show(
            request, booking, late=said if isinstance(error, ArrivalTooLate) else "", status=409
        )
    return redirect("backoffice:queue_ticket", code=booking.code)


@staff_only(Can.CHECK_IN)
@require_http_methods(["GET"])
def queue_ticket(request, code: str):
    booking = queries.in_office(request.office.pk, code)
    if booking is None or booking.status != Status.CHECKED_IN:
        messages.error(request, "Tiket antrean hanya tersedia untuk pemohon yang sudah check-in.")
        return redirect("backoffice:check_in")
    return page(
        request,
        "backoffice/queue_ticket.html",
        {"booking": booking, "slot": local(booking.office, booking.slot_at)},
    )
