"""Staff accounts: a supervisor manages their own office's; headquarters everyone's."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.forms import StaffForm
from antrean.backoffice.models import Staff
from antrean.backoffice.roles import GRANTABLE, Can, Role, can
from antrean.backoffice.views.common import now, page
from antrean.offices.models import Office


def _offices(request):
    if can(request.staff.role, Can.ALL_OFFICES):
        return Office.objects.order_by("name")
    return Office.objects.filter(pk=request.office.pk)


def _form(request, data=None):
    return StaffForm(
        data,
        roles={r.value for r in GRANTABLE[Role(request.staff.role)]},
        offices=_offices(request),
        initial={"office": request.office, "role": Role.OFFICER.value},
    )


@staff_only(Can.MANAGE_STAFF)
@require_http_methods(["GET", "POST"])
def staff_page(request):
    form = _form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            _create(request, form.cleaned_data)
            return redirect("backoffice:staff")
        messages.error(request, "Akun belum dibuat: perbaiki isian yang ditandai.")
    people = Staff.objects.select_related("user", "office").order_by("user__username")
    if not can(request.staff.role, Can.ALL_OFFICES):
        people = people.filter(office=request.office)
    return page(
        request,
        "backoffice/staff.html",
        {"form": form, "people": people},
        status=400 if form.is_bound else 200,
    )


def _create(request, data) -> None:
    role = Role(data["role"])
    office = None if role == Role.HQ else (data["office"] or request.office)
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=data["username"], password=data["password"], first_name=data["full_name"]
        )
        Staff.objects.create(user=user, role=role, office=office)
        audit.record(request, "staff_created", now=now(), target=user.username, role=role.value)
    messages.success(
        request, f"Akun {user.username} dibuat. Sampaikan kata sandi awal secara langsung."
    )


@staff_only(Can.MANAGE_STAFF)
@require_POST
def staff_active(request, pk: int):
    people = Staff.objects.select_related("user")
    if not can(request.staff.role, Can.ALL_OFFICES):
        people = people.filter(office=request.office)
    person = people.filter(pk=pk).first()
    if person is None:
        messages.error(request, "Akun tersebut tidak ada di kantor ini.")
        return redirect("backoffice:staff")
    if person.user_id == request.user.pk:
        messages.error(request, "Akun Anda sendiri tidak dapat dinonaktifkan dari sini.")
        return redirect("backoffice:staff")
    if Role(person.role) not in GRANTABLE[Role(request.staff.role)]:
        messages.error(request, "Peran Anda tidak dapat mengubah akun dengan peran ini.")
        return redirect("backoffice:staff")
    active = request.POST.get("active") == "1"
    with transaction.atomic():
        person.user.is_active = active
        person.user.save(update_fields=["is_active"])
        audit.record(
            request,
            "staff_activated" if active else "staff_deactivated",
            now=now(),
            target=person.user.username,
        )
    state = "diaktifkan" if active else "dinonaktifkan; sesi yang terbuka ikut berakhir"
    messages.success(request, f"Akun {person.user.username} {state}.")
    return redirect("backoffice:staff")
