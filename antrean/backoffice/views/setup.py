"""Settings of one office: capacities and hours, closures, counters, its own wording."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.forms import CapacityForm, ClosureForm, CounterForm, TextForm
from antrean.backoffice.roles import Can
from antrean.backoffice.views.common import now, page, today
from antrean.booking import actions
from antrean.offices.models import Closure, Counter, OfficeText

FORMS = {"capacity": CapacityForm, "closure": ClosureForm, "counter": CounterForm, "text": TextForm}


@staff_only(Can.CHANGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request):
    office = request.office
    bound = {}
    if request.method == "POST":
        which = request.POST.get("form", "")
        if which == "delete_closure":
            return _delete_closure(request)
        if which == "delete_text":
            return _delete_text(request)
        if which in FORMS:
            form = _form(which, request, data=request.POST)
            if form.is_valid():
                _save(request, which, form)
                return redirect("backoffice:settings")
            bound[which] = form
            messages.error(request, "Perubahan belum disimpan: perbaiki isian yang ditandai.")
    context = {name: bound.get(name) or _form(name, request) for name in FORMS} | {
        "closures": Closure.objects.filter(office=office, day__gte=today(office)),
        "counters": Counter.objects.filter(office=office).prefetch_related("services"),
        "texts": OfficeText.objects.filter(office=office),
    }
    status = 400 if bound else 200
    return page(request, "backoffice/settings.html", context, status=status)


def _form(name: str, request, data=None):
    office = request.office
    if name == "capacity":
        return CapacityForm(data, instance=office, prefix="capacity")
    if name == "text" and data is not None:
        existing = OfficeText.objects.filter(office=office, key=data.get("text-key")).first()
        return TextForm(data, instance=existing, office=office, prefix="text")
    return FORMS[name](data, office=office, prefix=name)


def _save(request, which: str, form) -> None:
    moment = now()
    with transaction.atomic():
        saved = form.save()
        if which == "capacity":
            actions.sync_capacities(office=request.office, now=moment)
            changed = {name: str(form.cleaned_data[name]) for name in form.changed_data}
            audit.record(request, "settings", now=moment, target="kapasitas dan jam", **changed)
            messages.success(request, "Kapasitas dan jam layanan disimpan; berlaku mulai sekarang.")
        elif which == "closure":
            audit.record(request, "closure_added", now=moment, target=str(saved.day))
            messages.success(request, f"Hari tutup {saved.day:%d-%m-%Y} disimpan.")
        elif which == "counter":
            audit.record(request, "counter_saved", now=moment, target=f"loket {saved.number}")
            messages.success(request, f"Loket {saved.number} disimpan.")
        else:
            audit.record(request, "text_saved", now=moment, target=saved.key)
            messages.success(request, f"Teks “{saved.key}” disimpan untuk kantor ini.")


def _delete_closure(request):
    closure = Closure.objects.filter(office=request.office, pk=request.POST.get("pk")).first()
    if closure is not None:
        with transaction.atomic():
            closure.delete()
            audit.record(request, "closure_removed", now=now(), target=str(closure.day))
        messages.success(request, f"Hari tutup {closure.day:%d-%m-%Y} dihapus.")
    return redirect("backoffice:settings")


def _delete_text(request):
    own = OfficeText.objects.filter(office=request.office, pk=request.POST.get("pk")).first()
    if own is not None:
        with transaction.atomic():
            own.delete()
            audit.record(request, "text_removed", now=now(), target=own.key)
        messages.success(request, f"Teks “{own.key}” kembali ke teks bawaan.")
    return redirect("backoffice:settings")
