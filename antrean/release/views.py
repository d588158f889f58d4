"""The lottery's public pages: every release with its seed's hash before the draw, and
after it the seed, the order of the tickets and each ticket's outcome - no personal data -
so anyone can check the draw (docs/release.md shows how)."""

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from antrean.booking.rules import ReleaseWindow
from antrean.release import draw
from antrean.release.models import Entry, Outcome, Release

SHOWN_ROWS = 500  # the page lists this many places; the JSON has them all

METHOD = (
    "order = sorted(range(1, entries + 1), "
    'key=lambda t: hashlib.sha256(f"{seed}:{t}".encode()).hexdigest())'
)


def _stage(release: Release, now) -> str:
    if release.allocated_at is not None:
        return "done"
    if release.drawn_at is not None:
        return "drawing"
    window = ReleaseWindow(release.first_day, release.last_day, release.opens_at, release.closes_at)
    return window.stage(now)


@require_GET
def releases(request):
    now = timezone.now()
    rows = Release.objects.select_related("office").order_by("-opens_at")[:100]
    return render(
        request,
        "release/list.html",
        {"releases": [(release, _stage(release, now)) for release in rows]},
    )


def _found(pk: int) -> Release:
    try:
        return Release.objects.select_related("office").get(pk=pk)
    except Release.DoesNotExist:
        raise Http404 from None


@require_GET
def detail(request, pk: int):
    release, now = _found(pk), timezone.now()
    stage = _stage(release, now)
    context = {"release": release, "stage": stage, "method": METHOD}
    if release.drawn_at is not None:
        outcomes = dict(Entry.objects.filter(release=release).values_list("ticket", "outcome"))
        order = draw.order(release.seed, release.entries)
        context["rows"] = [
            (rank, ticket, outcomes.get(ticket, Outcome.WAITING))
            for rank, ticket in enumerate(order[:SHOWN_ROWS], start=1)
        ]
        context["more"] = max(0, len(order) - SHOWN_ROWS)
        context["tally"] = {
            outcome: sum(1 for value in outcomes.values() if value == outcome)
            for outcome in Outcome.values
        }
        asked = request.GET.get("tiket", "").strip()
        if asked.isdigit() and 1 <= int(asked) <= release.entries:
            ticket = int(asked)
            context["asked"] = (ticket, order.index(ticket) + 1, outcomes.get(ticket))
    return render(request, "release/detail.html", context)


@require_GET
def detail_json(request, pk: int):
    release = _found(pk)
    drawn = release.drawn_at is not None
    body = {
        "office": release.office.code,
        "first_day": release.first_day.isoformat(),
        "last_day": release.last_day.isoformat(),
        "opens_at": release.opens_at.isoformat(),
        "closes_at": release.closes_at.isoformat(),
        "seed_hash": release.seed_hash,
        "method": METHOD,
        "seed": release.seed if drawn else None,
        "entries": release.entries if drawn else None,
        "order": draw.order(release.seed, release.entries) if drawn else None,
        "outcomes": (
            dict(Entry.objects.filter(release=release).values_list("ticket", "outcome"))
            if release.allocated_at is not None
            else None
        ),
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
