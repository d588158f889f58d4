"""One office's bookings and lottery entries as rows for the scalping rules (`scalping`).

Every query is filtered by the office: another office's bookings, entries and chats are
never read, and a phone the office has not seen counts as new even if another office has.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min

from antrean.backoffice.scalping import Act, Flag, Limits, detect
from antrean.backoffice.templatetags.office import status_name
from antrean.booking.models import Applicant, Booking
from antrean.offices.models import Office
from antrean.release.models import Entry, Outcome
from antrean.whatsapp.models import InboundMessage, OutboundMessage

CHUNK = 500  # phones per IN (...) list: well under SQLite's and PostgreSQL's limits


def configured() -> Limits:
    return Limits(
        window=timedelta(days=settings.SCALPING_WINDOW_DAYS),
        nik_phones=settings.SCALPING_NIK_PHONES,
        block_phones=settings.SCALPING_BLOCK_PHONES,
        block_digits=settings.SCALPING_BLOCK_DIGITS,
        burst_count=settings.SCALPING_BURST_COUNT,
        burst_span=timedelta(minutes=settings.SCALPING_BURST_MINUTES),
        new_for=timedelta(hours=settings.SCALPING_NEW_HOURS),
    )


def flags(office: Office, *, now: datetime, limits: Limits | None = None) -> list[Flag]:
    limits = limits or configured()
    rows = acts(office, since=now - limits.window, until=now)
    seen = first_seen(office, {a.phone for a in rows})
    return detect(rows, first_seen=seen, now=now, limits=limits)


def acts(office: Office, *, since: datetime, until: datetime) -> list[Act]:
    """The office's bookings and lottery entries made between `since` and `until`."""
    made = {"created_at__gte": since, "created_at__lte": until}
    bookings = list(
        Booking.objects.filter(office=office, **made)
        .order_by()
        .values_list("pk", "code", "phone", "created_at", "nik_hash", "status")
    )
    niks: dict[int, set[str]] = {pk: {nik} if nik else set() for pk, _, _, _, nik, _ in bookings}
    family = Applicant.objects.filter(
        booking__office=office,
        booking__created_at__gte=since,
        booking__created_at__lte=until,
        nik_hash__isnull=False,
    ).values_list("booking_id", "nik_hash")
    for pk, nik in family:
        if nik:
            niks.setdefault(pk, set()).add(nik)
    rows = [
        Act(
            ref=code,
            phone=phone,
            at=at,
            niks=frozenset(niks.get(pk, ())),
            code=code,
            status=status_name(status),
        )
        for pk, code, phone, at, _, status in bookings
    ]
    entries = (
        Entry.objects.filter(release__office=office, **made)
        .order_by()
        .values_list(
            "ticket",
            "phone",
            "created_at",
            "nik_hash",
            "outcome",
            "release__first_day",
            "booking__code",
        )
    )
    rows += [
        Act(
            ref=f"undian {first_day:%d-%m-%Y} tiket {ticket}",
            phone=phone,
            at=at,
            niks=frozenset({nik} if nik else ()),
            code=code or "",
            status=_outcome(outcome),
            entry=True,
        )
        for ticket, phone, at, nik, outcome, first_day, code in entries
    ]
    return rows


def first_seen(office: Office, phones: Iterable[str]) -> dict[str, datetime]:
    """When the office first saw each phone: its first message to or from one of the
    office's WhatsApp numbers, its first booking or its first lottery entry there."""
    seen: dict[str, datetime] = {}
    for chunk in _chunks(sorted(set(phones))):
        sources = [
            _earliest(
                InboundMessage.objects.filter(
                    contact__number__office=office, contact__wa_id__in=chunk
                ),
                "contact__wa_id",
                "received_at",
            ),
            _earliest(
                OutboundMessage.objects.filter(
                    contact__number__office=office, contact__wa_id__in=chunk
                ),
                "contact__wa_id",
                "created_at",
            ),
            _earliest(
                Booking.objects.filter(office=office, phone__in=chunk), "phone", "created_at"
            ),
            _earliest(
                Entry.objects.filter(release__office=office, phone__in=chunk), "phone", "created_at"
            ),
        ]
        for query in sources:
            for phone, at in query:
                if at is not None and (phone not in seen or at < seen[phone]):
                    seen[phone] = at
    return seen


def _earliest(rows, phone: str, at: str):
    """(phone, earliest time) per phone."""
    return rows.order_by().values(phone).annotate(first=Min(at)).values_list(phone, "first")


def _outcome(value: str) -> str:
    try:
        return Outcome(value).label
    except ValueError:
        return value


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]
