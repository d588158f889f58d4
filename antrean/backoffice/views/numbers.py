"""Statistics and the satisfaction index (with a CSV export), and the audit log."""

import csv
from datetime import date, timedelta

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from antrean.backoffice.access import staff_only
from antrean.backoffice.models import AuditEntry
from antrean.backoffice.roles import Can
from antrean.backoffice.statistics import ikm, report
from antrean.backoffice.views.common import page, today
from antrean.feedback.models import ELEMENTS

DEFAULT_DAYS = 30
MAX_DAYS = 366
AUDIT_PAGE = 200


def _range(request, office) -> tuple[date, date, str]:
    last = today(office)
    first = last - timedelta(days=DEFAULT_DAYS - 1)
    problem = ""
    try:
        if request.GET.get("from"):
            first = date.fromisoformat(request.GET["from"])
        if request.GET.get("to"):
            last = date.fromisoformat(request.GET["to"])
    except ValueError:
        problem = "Tanggal tidak terbaca; gunakan pemilih tanggal. Ditampilkan 30 hari terakhir."
        last = today(office)
        first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    if (last - first).days >= MAX_DAYS:
        first = last - timedelta(days=MAX_DAYS - 1)
        problem = "Rentang paling panjang satu tahun; ditampilkan satu tahun terakhir rentang itu."
    return first, last, problem


@staff_only(Can.SEE_STATISTICS)
@require_GET
def statistics_page(request):
    first, last, problem = _range(request, request.office)
    days, desks = report(request.office, first, last)
    months = ikm(request.office, first, last)
    if request.GET.get("format") == "csv":
        return _csv(request.office, first, last, days, desks, months)
    return page(
        request,
        "backoffice/statistics.html",
        {
            "first": first,
            "last": last,
            "problem": problem,
            "days": days,
            "desks": desks,
            "months": months,
            "elements": [name for _, name in ELEMENTS],
        },
    )


def _csv(office, first, last, days, desks, months) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"statistik-{office.code}-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    out = csv.writer(response)
    out.writerow(
        [
            "tanggal",
            "terpesan",
            "diharapkan",
            "datang",
            "selesai",
            "tidak_hadir",
            "tingkat_kehadiran",
        ]
    )
    for d in days:
        rate = "" if d.show_up is None else f"{d.show_up:.3f}"
        out.writerow(
            [d.day.isoformat(), d.booked, d.expected, d.arrived, d.served, d.no_show, rate]
        )
    out.writerow([])
    out.writerow(["loket", "dilayani", "rata_tunggu_menit", "rata_layanan_menit"])
    for desk in desks:
        out.writerow([desk.counter, desk.served, desk.wait or "", desk.service or ""])
    out.writerow([])
    elements = [f"u{n}_{short}" for n, (short, _) in enumerate(ELEMENTS, 1)]
    out.writerow(["bulan", "responden", *elements, "ikm", "mutu_pelayanan", "kinerja"])
    for month in months:
        category = month.category or ("", "")
        means = ["" if mean is None else str(mean) for mean in month.means]
        index = "" if month.index is None else str(month.index)
        out.writerow([f"{month.month:%Y-%m}", month.responses, *means, index, *category])
    return response


@staff_only(Can.SEE_AUDIT)
@require_GET
def audit_page(request):
    entries = AuditEntry.objects.filter(office=request.office)
    code = request.GET.get("code", "").strip().upper()
    if code:
        entries = entries.filter(booking_code=code)
    return page(request, "backoffice/audit.html", {"entries": entries[:AUDIT_PAGE], "code": code})
