"""Who is asking, for which office: every back-office view goes through `staff_only`.

An officer or supervisor works in their own office only; headquarters chooses one (kept
in the session). Everything a view reads or changes is then filtered by `request.office`,
so another office's booking looks exactly like one that does not exist.
"""

from functools import wraps
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils import timezone, translation

from antrean.backoffice.models import Staff
from antrean.backoffice.roles import Can, Role, can
from antrean.offices.models import Office

OFFICE_KEY = "backoffice_office"


def staff_only(what: Can):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), "backoffice:login")
            staff = staff_of(request.user)
            if staff is None or not request.user.is_active:
                return refuse(request, "Akun ini belum terdaftar sebagai petugas kantor.")
            request.staff = staff
            request.office = office_for(request, staff)
            if request.office is None:
                return refuse(request, "Belum ada kantor yang dapat dipilih.")
            timezone.activate(ZoneInfo(request.office.timezone))  # pages show office time
            translation.activate("id")  # officers work in Indonesian, whatever the browser says
            if not can(staff.role, what):
                return refuse(request, "Peran Anda tidak mencakup halaman atau tindakan ini.")
            return view(request, *args, **kwargs)

        wrapper.needs = what  # the access tests read it
        return wrapper

    return decorate


def staff_of(user) -> Staff | None:
    return Staff.objects.select_related("office").filter(user=user).first()


def office_for(request, staff: Staff) -> Office | None:
    if staff.role != Role.HQ:
        return staff.office
    chosen = request.session.get(OFFICE_KEY)
    office = Office.objects.filter(pk=chosen).first() if chosen else None
    return office or Office.objects.order_by("name").first()


def refuse(request, why: str):
    return render(request, "backoffice/refused.html", {"why": why}, status=403)
