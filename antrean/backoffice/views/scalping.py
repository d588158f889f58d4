"""Signs of scalping in the office's bookings and lottery entries, with their evidence."""

from django.db import transaction
from django.views.decorators.http import require_GET

from antrean.backoffice import audit, scalping_data
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can
from antrean.backoffice.views.common import now, page


@staff_only(Can.SEE_STATISTICS)
@require_GET
def scalping_page(request):
    moment = now()
    limits = scalping_data.configured()
    flags = scalping_data.flags(request.office, now=moment, limits=limits)
    with transaction.atomic():
        # Phones and booking codes are on this page: who looked is on record.
        audit.record(request, "viewed", now=moment, target="pola mencurigakan", flags=len(flags))
    return page(
        request,
        "backoffice/scalping.html",
        {
            "flags": flags,
            "limits": limits,
            "days": limits.window.days,
            "since": moment - limits.window,
            "burst_minutes": int(limits.burst_span.total_seconds() // 60),
            "new_hours": int(limits.new_for.total_seconds() // 3600),
        },
    )
