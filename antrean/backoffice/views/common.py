"""What every back-office page shares: the menu, the office's clock, officer wording."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from antrean.backoffice.roles import Can, can
from antrean.booking.errors import BookingError
from antrean.booking.explain import explain
from antrean.offices.models import Office

MENU = [
    ("today", "Hari ini", Can.SEE_DAY),
    ("check_in", "Check-in", Can.CHECK_IN),
    ("counters", "Loket", Can.WORK_COUNTER),
    ("feedback", "Masukan", Can.ANSWER_FEEDBACK),
    ("statistics", "Statistik", Can.SEE_STATISTICS),
    ("scalping", "Pola mencurigakan", Can.SEE_STATISTICS),
    ("settings", "Pengaturan", Can.CHANGE_SETTINGS),
    ("staff", "Petugas", Can.MANAGE_STAFF),
    ("audit", "Log audit", Can.SEE_AUDIT),
]


def page(request, template: str, context: dict | None = None, *, status: int = 200):
    here = request.resolver_match.url_name if request.resolver_match else ""
    role = request.staff.role
    nav = [
        {"url": reverse(f"backoffice:{name}"), "label": label, "on": here.startswith(name)}
        for name, label, needs in MENU
        if can(role, needs)
    ]
    offices = Office.objects.order_by("name") if can(role, Can.ALL_OFFICES) else None
    return render(
        request, template, {"nav": nav, "offices": offices, **(context or {})}, status=status
    )


def now() -> datetime:
    return timezone.now()


def local(office: Office, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(office.timezone))


def today(office: Office, moment: datetime | None = None) -> date:
    return local(office, moment or now()).date()


def officer_text(error: BookingError, office: Office) -> str:
    return explain(error, "id", office=office.name, zone=office.timezone)


def refused(request, error: BookingError) -> None:
    messages.error(request, officer_text(error, request.office))


def actor(request) -> str:
    return f"officer:{request.user.get_username()}"
