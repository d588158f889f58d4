"""The waiting-room screen: public, one per office, numbers and counters only (no names)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from antrean.backoffice.views.common import now, today
from antrean.booking.models import Booking
from antrean.offices.models import Office

RECENT = 8


@require_GET
@never_cache
def board(request, office_code: str):
    office = get_object_or_404(Office, code=office_code)
    context = _calls(office)
    if request.headers.get("HX-Request"):
        return render(request, "backoffice/_board_calls.html", context)
    return render(request, "backoffice/board.html", context)


def _calls(office: Office) -> dict:
    called = list(
        Booking.objects.filter(office=office, visit_date=today(office), called_at__isnull=False)
        .select_related("counter")
        .order_by("-called_at", "-id")
        .only("queue_number", "called_at", "calls", "counter__number")[: RECENT + 1]
    )
    latest = called[0] if called else None
    return {
        "office": office,
        "latest": latest,
        # A recall shows the number again: the key changes with every call.
        "latest_key": f"{latest.queue_number}:{latest.calls}:{latest.called_at.timestamp()}"
        if latest
        else "",
        "recent": called[1:],
        "moment": now(),
    }
