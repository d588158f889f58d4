import logging
from itertools import groupby

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from antrean.booking import availability
from antrean.booking.rules import Quota
from antrean.content.dates import zone_name
from antrean.offices.models import Office
from antrean.offices.schedules import schedule_for

log = logging.getLogger(__name__)


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.exception("health check: database unreachable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@require_GET
def home(request):
    now = timezone.now()
    offices = (
        Office.objects.filter(is_active=True)
        .prefetch_related("numbers")
        .order_by("province", "name")
    )
    cards = []
    for office in offices:
        schedule = schedule_for(office, now)
        cards.append(
            {
                "office": office,
                "zone": zone_name(office.timezone),
                "days": availability.upcoming(office, schedule, Quota.REGULAR, now, limit=5),
            }
        )
    provinces = [
        (province, list(items))
        for province, items in groupby(cards, key=lambda card: card["office"].province)
    ]
    return render(
        request,
        "web/home.html",
        {"provinces": provinces, "simulator": settings.WHATSAPP_SIMULATOR},
    )
