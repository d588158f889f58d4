"""Check-in: find the booking by its code (typed, scanned, or read by the camera), compare
the person with their documents, let them in, and give them their queue ticket."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can, can
from antrean.backoffice.views.common import actor, local, now, officer_text, page
from antrean.booking import actions, identity, queries
from antrean.booking.errors import (
    ArrivalTooLate,
    BookingError,
    IdentityMismatch,
    IdentityNotChecked,
)
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking
from antrean.booking.rules import MAX_APPLICANTS

NOT_FOUND = (
    "Kode {code} tidak ditemukan di kantor ini. Periksa kembali: 8 huruf dan angka, tanpa "
    "huruf O dan I maupun angka 0 dan 1. Bila pemohon memesan di kantor lain, arahkan ke sana."
)
# The NIK read from each person's e-KTP or KK, one field per place: kept out of error
# reports, never written to a log or the audit log, never shown back.
NIK_FIELDS = tuple(f"nik_{place}" for place in range(1, MAX_APPLICANTS + 1))


@staff_only(Can.CHECK_IN)
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters(*NIK_FIELDS)
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


def _show(request, booking: Booking, *, late: str = "", status: int = 200, wrong: int = 0):
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
            "nik_fields": _nik_fields(booking, wrong),
        },
        status=status,
    )


def _nik_fields(booking: Booking, wrong: int) -> list[dict]:
    """One field per person whose NIK was recorded, named by place (1 = the booker)."""
    names = {1: booking.name} | dict(booking.people.values_list("position", "name"))
    return [
        {"place": place, "name": names.get(place, ""), "wrong": place == wrong}
        for place in sorted(identity.recorded_places(booking))
    ]


def _presented(request, booking: Booking) -> list[str]:
    """The NIKs typed or scanned, in place order ("" where no field is shown)."""
    return [request.POST.get(f"nik_{place}", "") for place in range(1, booking.applicants + 1)]


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
                presented_niks=_presented(request, booking),
                identity_checked=request.POST.get("identity_checked") == "1",
            )
            audit.record(
                request,
                "checked_in_late" if reason else "checked_in",
                now=moment,
                booking_code=booking.code,
                reason=reason[:200],
            )
    except IdentityNotChecked as error:
        messages.error(request, officer_text(error, request.office))
        return _show(request, booking, status=400)
    except IdentityMismatch as error:
        place = error.details["applicant"]
        with transaction.atomic():  # who was refused and which place: never the NIK typed
            audit.record(
                request, "identity_mismatch", now=moment, booking_code=booking.code, place=place
            )
        messages.error(request, officer_text(error, request.office))
        return _show(request, booking, status=409, wrong=place)
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
