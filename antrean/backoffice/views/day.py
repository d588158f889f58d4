"""Today's queue per hour, search, and one booking's page with its stages and history."""

from collections import Counter as Tally

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can
from antrean.backoffice.views.common import actor, local, now, page, refused, today
from antrean.booking import office_actions, payments, queries
from antrean.booking.codes import normalize_code
from antrean.booking.errors import BookingError
from antrean.booking.lifecycle import HOLDS_SEATS, STAGES, Stage, Status
from antrean.booking.models import Booking, Payment
from antrean.content import text
from antrean.content.money import rupiah
from antrean.conversation import notices

SEARCH_LIMIT = 50


@staff_only(Can.SEE_DAY)
@require_GET
def today_page(request):
    office, moment = request.office, now()
    day = today(office, moment)
    bookings = list(
        Booking.objects.filter(office=office, visit_date=day).select_related("service", "counter")
    )
    query = request.GET.get("q", "").strip()
    found = _search(office, query, day) if query else None
    context = {
        "day": day,
        "hours": _hours(office, bookings),
        "totals": _totals(bookings),
        "query": query,
        "found": found,
    }
    if request.headers.get("HX-Request") and request.GET.get("part") == "table":
        return page(request, "backoffice/_today_table.html", context)
    return page(request, "backoffice/today.html", context)


def _search(office, query: str, day):
    if normalize_code(query):  # a code: that booking, whatever its day
        booking = queries.in_office(office.pk, query)
        return [booking] if booking else []
    found = Booking.objects.filter(office=office, visit_date=day, name__icontains=query)
    return list(found.select_related("service").order_by("slot_at")[:SEARCH_LIMIT])


def _hours(office, bookings):
    rows = {}
    for booking in bookings:
        hour = local(office, booking.slot_at).strftime("%H.%M")
        row = rows.setdefault(hour, Tally())
        if booking.status in HOLDS_SEATS:
            row["booked"] += 1
        if booking.arrived_at is not None:
            row["arrived"] += 1
        row[booking.status] += 1
    return [{"hour": hour, **tally} for hour, tally in sorted(rows.items())]


def _totals(bookings):
    tally = Tally(b.status for b in bookings)
    return {
        "booked": sum(n for status, n in tally.items() if status in HOLDS_SEATS),
        "arrived": sum(1 for b in bookings if b.arrived_at is not None),
        "waiting": sum(1 for b in bookings if b.status == Status.CHECKED_IN and not b.called_at),
        "served": tally[Status.SERVED],
        "no_show": tally[Status.NO_SHOW],
    }


def in_office(request, code: str) -> Booking:
    booking = queries.in_office(request.office.pk, code)
    if booking is None:
        raise Http404("no such booking in this office")
    return booking


@staff_only(Can.SEE_DAY)
@require_GET
def booking_page(request, code: str):
    booking = in_office(request, code)
    with transaction.atomic():
        # Personal data is on this page: who looked is on record.
        audit.record(request, "viewed", now=now(), booking_code=booking.code)
    stages = [{"value": s.value, "label": text(f"stage_name.{s.value}", "id")} for s in STAGES]
    return page(
        request,
        "backoffice/booking.html",
        {
            "booking": booking,
            "stages": stages,
            "stage_label": text(f"stage_name.{booking.stage}", "id") if booking.stage else "",
            "events": booking.events.all(),
            "slot": local(booking.office, booking.slot_at),
            **_bill(booking),
        },
    )


def _bill(booking: Booking) -> dict:
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        return {"payment": None}
    return {
        "payment": payment,
        "amount": rupiah(payment.amount),
        "payable": payment.paid_at is None and booking.status in payments.PAYABLE,
    }


@staff_only(Can.SET_STAGE)
@require_POST
def mark_paid(request, code: str):
    """An officer saw the bank's receipt: the bill is paid (the same `pay` as the bank's)."""
    booking = in_office(request, code)
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        messages.error(request, "Pemesanan ini tidak memiliki kode billing PNBP.")
        return redirect("backoffice:booking", code=booking.code)
    reference = " ".join(request.POST.get("reference", "").split())
    if not reference or len(reference) > 64:
        messages.error(
            request,
            "Isi nomor bukti bayar (NTPN atau nomor transaksi bank), paling banyak 64 karakter.",
        )
        return redirect("backoffice:booking", code=booking.code)
    moment, who = now(), actor(request)
    try:
        with transaction.atomic():
            paid = payments.pay(
                billing_code=payment.billing_code, now=moment, actor=who, reference=reference
            )
            # Ours, not an earlier payment `pay` handed back (the bank's, a colleague's).
            fresh = payment.paid_at is None and (paid.paid_at, paid.paid_by) == (moment, who[:80])
            if fresh:
                audit.record(
                    request,
                    "mark_paid",
                    now=moment,
                    booking_code=booking.code,
                    billing_code=paid.billing_code,
                    reference=reference,
                )
    except BookingError as error:
        refused(request, error)
    else:
        if fresh:
            messages.success(request, f"Tagihan {paid.billing_code} ditandai lunas.")
        else:
            messages.info(
                request,
                f"Tagihan {paid.billing_code} sudah lunas sebelumnya; tidak ada yang diubah.",
            )
    return redirect("backoffice:booking", code=booking.code)


@staff_only(Can.SET_STAGE)
@require_POST
def set_stage(request, code: str):
    booking = in_office(request, code)
    try:
        stage = Stage(request.POST.get("stage", ""))
    except ValueError:
        messages.error(request, "Pilih salah satu tahap permohonan dari daftar.")
        return redirect("backoffice:booking", code=booking.code)
    moment = now()
    try:
        with transaction.atomic():
            office_actions.set_stage(
                code=booking.code,
                office=request.office,
                stage=stage,
                now=moment,
                actor=actor(request),
                then=lambda b: notices.stage_changed(b, now=moment),
            )
            audit.record(
                request, "set_stage", now=moment, booking_code=booking.code, stage=stage.value
            )
    except BookingError as error:
        refused(request, error)
    else:
        label = text(f"stage_name.{stage.value}", "id")
        messages.success(
            request, f"Tahap {booking.code} menjadi “{label}”; pemohon diberi tahu lewat WhatsApp."
        )
    return redirect("backoffice:booking", code=booking.code)
