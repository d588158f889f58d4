"""The counter: call the next applicant, call again, send elsewhere, finish."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can
from antrean.backoffice.views.common import actor, now, page, refused
from antrean.booking import office_actions
from antrean.booking.errors import BookingError
from antrean.conversation import notices
from antrean.offices.models import Counter, ServiceType

WAITING_SHOWN = 8


@staff_only(Can.WORK_COUNTER)
@require_GET
def counters(request):
    rows = Counter.objects.filter(office=request.office, is_active=True).prefetch_related(
        "services"
    )
    return page(request, "backoffice/counters.html", {"counters": rows})


def _counter(request, number: int) -> Counter:
    return get_object_or_404(Counter, office=request.office, number=number, is_active=True)


@staff_only(Can.WORK_COUNTER)
@require_GET
def counter_page(request, number: int):
    counter = _counter(request, number)
    services = list(counter.services.all())
    queue = office_actions.waiting(request.office, now(), services)
    context = {
        "counter": counter,
        "current": office_actions.serving(counter),
        "waiting": list(queue.select_related("service")[:WAITING_SHOWN]),
        "waiting_count": queue.count(),
        "other_counters": Counter.objects.filter(office=request.office, is_active=True).exclude(
            pk=counter.pk
        ),
        "service_types": ServiceType.objects.all(),
    }
    template = "backoffice/_counter_panel.html" if request.headers.get("HX-Request") else None
    return page(request, template or "backoffice/counter.html", context)


@staff_only(Can.WORK_COUNTER)
@require_POST
def counter_action(request, number: int, action: str):
    counter = _counter(request, number)
    code = request.POST.get("code", "")
    moment = now()
    tell = lambda booking: notices.called(booking, now=moment)  # noqa: E731
    try:
        with transaction.atomic():
            if action == "next":
                booking = office_actions.call_next(
                    counter=counter, now=moment, actor=actor(request), then=tell
                )
                if booking is None:
                    messages.info(request, "Tidak ada pemohon yang menunggu untuk loket ini.")
                    return redirect("backoffice:counter", number=number)
            elif action == "recall":
                booking = office_actions.recall(
                    code=code, office=request.office, now=moment, actor=actor(request), then=tell
                )
            elif action in ("served", "no_show"):
                booking = office_actions.finish(
                    code=code,
                    office=request.office,
                    now=moment,
                    actor=actor(request),
                    served=action == "served",
                )
            elif action == "transfer":
                booking = _transfer(request, code, moment, tell)
                if booking is None:
                    return redirect("backoffice:counter", number=number)
            else:
                messages.error(
                    request, "Tindakan loket tidak dikenal. Gunakan tombol di halaman loket."
                )
                return redirect("backoffice:counter", number=number)
            audit.record(
                request,
                action if action != "next" else "called",
                now=moment,
                booking_code=booking.code,
                target=f"loket {counter.number}",
            )
    except BookingError as error:
        refused(request, error)
    else:
        messages.success(request, _done(action, booking))
    return redirect("backoffice:counter", number=number)


def _transfer(request, code, moment, tell):
    where = request.POST.get("to", "")
    kind, _, value = where.partition(":")
    counter = service = None
    if kind == "counter" and value.isdigit():
        counter = Counter.objects.filter(
            office=request.office, number=int(value), is_active=True
        ).first()
    elif kind == "service":
        service = ServiceType.objects.filter(code=value).first()
    if counter is None and service is None:
        messages.error(request, "Pilih loket atau layanan tujuan pemindahan.")
        return None
    return office_actions.transfer(
        code=code,
        office=request.office,
        now=moment,
        actor=actor(request),
        counter=counter,
        service=service,
        then=tell,
    )


def _done(action: str, booking) -> str:
    number = booking.queue_number
    return {
        "next": f"Nomor {number} dipanggil ke loket {booking.counter and booking.counter.number}.",
        "recall": f"Nomor {number} dipanggil ulang.",
        "served": f"Nomor {number} selesai dilayani.",
        "no_show": f"Nomor {number} dicatat tidak hadir.",
        "transfer": f"Nomor {number} dipindahkan.",
    }[action]
