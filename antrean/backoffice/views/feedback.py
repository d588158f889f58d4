"""The feedback inbox: tickets from the SIGAP menu, answered over WhatsApp."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from antrean.backoffice import audit
from antrean.backoffice.access import staff_only
from antrean.backoffice.roles import Can
from antrean.backoffice.views.common import now, page
from antrean.conversation import notices
from antrean.feedback import actions
from antrean.feedback.models import Ticket

PAGE = 100


@staff_only(Can.ANSWER_FEEDBACK)
@require_GET
def inbox(request):
    state = request.GET.get("state", Ticket.State.OPEN)
    tickets = Ticket.objects.filter(office=request.office)
    if state in Ticket.State.values:
        tickets = tickets.filter(state=state)
    counts = dict(
        Ticket.objects.filter(office=request.office)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    states = [(value, label, counts.get(value, 0)) for value, label in Ticket.State.choices]
    return page(
        request,
        "backoffice/inbox.html",
        {"tickets": tickets[:PAGE], "state": state, "states": states},
    )


def _ticket(request, pk: int) -> Ticket:
    return get_object_or_404(Ticket, pk=pk, office=request.office)


@staff_only(Can.ANSWER_FEEDBACK)
@require_GET
def ticket_page(request, pk: int):
    ticket = _ticket(request, pk)
    with transaction.atomic():
        audit.record(request, "viewed", now=now(), target=ticket.number)
    return page(
        request, "backoffice/ticket.html", {"ticket": ticket, "replies": ticket.replies.all()}
    )


@staff_only(Can.ANSWER_FEEDBACK)
@require_POST
def ticket_action(request, pk: int):
    ticket = _ticket(request, pk)
    moment = now()
    with transaction.atomic():
        if "reply" in request.POST:
            try:
                actions.reply(
                    ticket=ticket,
                    text=request.POST["reply"],
                    by=request.user.get_username(),
                    now=moment,
                    send=lambda t, text: notices.ticket_reply(t, text, now=moment),
                )
            except actions.EmptyReply:
                messages.error(
                    request, "Balasan masih kosong. Tulis jawaban untuk pemohon, lalu kirim."
                )
                return redirect("backoffice:ticket", pk=ticket.pk)
            audit.record(request, "replied", now=moment, target=ticket.number)
            messages.success(request, f"Balasan untuk {ticket.number} dikirim lewat WhatsApp.")
        elif request.POST.get("state") in Ticket.State.values:
            actions.set_state(ticket=ticket, state=request.POST["state"])
            audit.record(
                request, "ticket_state", now=moment, target=ticket.number, state=ticket.state
            )
            messages.success(request, f"Tiket {ticket.number} kini “{ticket.get_state_display()}”.")
        else:
            messages.error(request, "Pilih tindakan: kirim balasan, tutup, atau buka kembali.")
    return redirect("backoffice:ticket", pk=ticket.pk)
