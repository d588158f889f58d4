"""Plan releases, take entries in their window, draw, and give the seats in the draw's
order. Every function takes `now`; seats are only ever taken through `booking.actions.book`,
so the lottery keeps every booking rule, cap and counter the first-come path keeps.

Crash safety: the draw's order follows from the seed, so it is never stored; each entry's
outcome, its booking and its message commit in one transaction, and allocation resumes at
the first undecided ticket. A lease on the release keeps a second worker from interleaving.
"""

import logging
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q

from antrean.booking import actions
from antrean.booking.errors import (
    AlreadyEntered,
    BookingError,
    FullyBooked,
    NikAlreadyEntered,
    NotYetReleased,
    OfficeUnavailable,
    ServiceNotBookable,
)
from antrean.booking.models import Channel
from antrean.booking.phone import normalize_phone
from antrean.booking.rules import (
    ELDERLY_FROM_AGE,
    SMALL_CHILD_UNDER_AGE,
    Person,
    PriorityReason,
    Quota,
    Schedule,
    age_on,
    check_applicants,
    choose_quota,
)
from antrean.lib.crypto import lookup_hash
from antrean.offices.models import Office, ReleaseMode, ServiceType
from antrean.offices.schedules import schedule_for
from antrean.release import draw, notify
from antrean.release.models import Entry, Outcome, Release
from antrean.whatsapp.models import Delivery, InboundMessage, InboundState

log = logging.getLogger(__name__)

LOTTERY_ACTOR = "system:lottery"
LEASE = timedelta(minutes=10)
LOSERS_PER_TRANSACTION = 200


# --- Planning ----------------------------------------------------------------------------
def plan(office: Office, now: datetime) -> Release | None:
    """Plan a lottery office's next monthly release when none is waiting; its seed's hash
    is public from now on. A window already past is never planned: the month after is."""
    if office.release_mode != ReleaseMode.LOTTERY or not office.is_active:
        return None
    if Release.objects.filter(office=office, allocated_at__isnull=True).exists():
        return None
    schedule = schedule_for(office, now)
    latest = Release.objects.filter(office=office).order_by("-last_day").first()
    first, last = draw.next_month(latest.last_day if latest else schedule.today(now))
    for _ in range(2):
        opens, closes = draw.monthly_window(
            first,
            is_working_day=schedule.is_open,
            at=office.release_time,
            minutes=office.release_window_minutes,
            zone=schedule.timezone,
        )
        if opens > now:
            break
        first, last = draw.next_month(first)
    else:
        return None
    seed = draw.new_seed()
    try:
        with transaction.atomic():
            return Release.objects.create(
                office=office,
                first_day=first,
                last_day=last,
                opens_at=opens,
                closes_at=closes,
                seed=seed,
                seed_hash=draw.seed_hash(seed),
                created_at=now,
            )
    except IntegrityError:
        return None  # another worker planned it a moment ago


# --- Entering ----------------------------------------------------------------------------
def open_release(office: Office, at: datetime) -> Release | None:
    """The release whose window was open at `at` and is not drawn yet, if any."""
    release = Release.objects.filter(
        office=office, opens_at__lte=at, closes_at__gt=at, drawn_at__isnull=True
    ).first()
    if release is not None:
        release.office = office  # not fetched again by `enter`
    return release


def priority_of(birth_date: date, visit_day: date) -> PriorityReason | None:
    """The priority the birth date alone shows (60 or older, under 5) - given without
    asking, because the lottery serves the priority quota to those groups first."""
    age = age_on(birth_date, visit_day)
    if age >= ELDERLY_FROM_AGE:
        return PriorityReason.ELDERLY
    if age < SMALL_CHILD_UNDER_AGE:
        return PriorityReason.SMALL_CHILD
    return None


@actions._retrying  # the same retry on a locked SQLite file or a deadlock as bookings
def enter(
    *,
    release: Release,
    service: ServiceType,
    phone: str,
    name: str,
    birth_date: date,
    now: datetime,
    channel: str,
    visit_date: date | None = None,
    applicants: int = 1,
    nik: str | None = None,
    address: str | None = None,
    priority: PriorityReason | None = None,
    lang: str = "id",
    family: Sequence[Person] = (),
    sent_at: datetime | None = None,
    schedule: Schedule | None = None,
) -> Entry:
    """Enter the lottery of an open window: checked like a booking, one entry per phone
    and per NIK, numbered in the order entries come.

    The window is judged by `sent_at`, when the person wrote (WhatsApp's timestamp; the
    web's is `now`): a message from the window that reaches us after the close still
    counts until the draw starts, and the draw waits for those (`due`). `schedule`: the
    office's at `now`, when the caller has it already."""
    at = min(sent_at or now, now)
    office = release.office
    booking_checks = schedule or schedule_for(office, now)
    people = actions.checked_people(
        [Person(name, birth_date, nik), *family], booking_checks.today(now)
    )
    if family:
        applicants = len(people)
    check_applicants(applicants)
    if not office.is_active:
        raise OfficeUnavailable()
    if not service.bookable_remotely:
        raise ServiceNotBookable(service=service.name(lang))
    if visit_date is not None and not release.first_day <= visit_date <= release.last_day:
        visit_date = None
    day = visit_date or release.first_day
    if priority is not None:
        choose_quota(Quota(service.quota), priority=priority, birth=birth_date, visit_day=day)
    else:
        priority = priority_of(birth_date, day)
    phone = normalize_phone(phone)
    nik_hash = lookup_hash(people[0].nik) if people[0].nik else None
    held = [lookup_hash(person.nik) if person.nik else None for person in people]
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if not (locked.opens_at <= at < locked.closes_at) or locked.drawn_at is not None:
            zone = booking_checks.timezone
            raise NotYetReleased(
                why="before" if at < locked.opens_at else "drawing",
                day=day,
                first_day=locked.first_day,
                last_day=locked.last_day,
                opens_at=locked.opens_at.astimezone(zone),
                closes_at=locked.closes_at.astimezone(zone),
                suggestion=None,
            )
        _refuse_second_entry(locked, phone, nik_hash)
        actions._make_way_for(phone=phone, nik_hashes=held, now=now)  # one live booking
        Release.objects.filter(pk=locked.pk).update(entries=F("entries") + 1)
        ticket = Release.objects.values_list("entries", flat=True).get(pk=locked.pk)
        entry = Entry(
            release=locked,
            ticket=ticket,
            phone=phone,
            nik_hash=nik_hash,
            service=service,
            applicants=applicants,
            priority=priority or "",
            visit_date=visit_date,
            channel=channel,
            lang=lang,
            name=people[0].name,
            birth_date=birth_date,
            details={
                "nik": people[0].nik,
                "address": " ".join(address.split()) if address else None,
                "family": [
                    {"name": p.name, "birth_date": p.birth_date.isoformat(), "nik": p.nik}
                    for p in people[1:]
                ],
            },
            created_at=now,
        )
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
        except IntegrityError:
            _refuse_second_entry(locked, phone, nik_hash)
            raise
    return entry


def _refuse_second_entry(release: Release, phone: str, nik_hash: str | None) -> None:
    earlier = Entry.objects.filter(release=release, phone=phone).values_list("ticket", flat=True)
    if ticket := earlier.first():
        raise AlreadyEntered(ticket=ticket, closes_at=_local(release, release.closes_at))
    if nik_hash and Entry.objects.filter(release=release, nik_hash=nik_hash).exists():
        raise NikAlreadyEntered(closes_at=_local(release, release.closes_at))


def _local(release: Release, moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(release.office.timezone))


# --- Drawing and allocating --------------------------------------------------------------
def due(now: datetime) -> list[int]:
    """Releases whose window has closed and whose seats are not all given yet."""
    return list(
        Release.objects.filter(closes_at__lte=now, allocated_at__isnull=True)
        .order_by("closes_at")
        .values_list("pk", flat=True)
    )


def draw_release(release_pk: int, now: datetime) -> bool:
    """Close the entries and reveal the seed (the order follows from it).

    Not while messages written in the window are still waiting to be processed (the
    backlog of a rush): they are entries too, and the next pass draws once they are in.
    Nor while webhooks that came before the close are still to be ingested: which office
    they are for is not known until then. Messages that reach the webhook after the draw
    started are told it is running."""
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release_pk)
        if release.drawn_at is not None or now < release.closes_at:
            return False
        if Delivery.objects.filter(received_at__lt=release.closes_at).exists():
            log.info("release %s: the draw waits for webhooks received in its window", release_pk)
            return False
        waiting = InboundMessage.objects.filter(
            contact__number__office_id=release.office_id,
            state=InboundState.RECEIVED,
            sent_at__lt=release.closes_at,
        )
        if waiting.exists():
            log.info("release %s: the draw waits for messages written in its window", release_pk)
            return False
        Release.objects.filter(pk=release_pk).update(drawn_at=now)
    return True


@dataclass
class Tally:
    won: int = 0
    lost: int = 0
    refused: int = 0


def allocate(release_pk: int, now: datetime) -> Tally | None:
    """Give the release's seats in the draw's order; None when another worker holds it."""
    if (
        not Release.objects.filter(pk=release_pk)
        .filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now),
            drawn_at__isnull=False,
            allocated_at__isnull=True,
        )
        .update(lease_until=now + LEASE)
    ):
        return None
    release = Release.objects.select_related("office").get(pk=release_pk)
    started = _time.monotonic()
    office = release.office
    base = schedule_for(office, now)
    # The lottery gives the seats of its own days, and no others.
    schedule = replace(
        base,
        held_from=release.last_day + timedelta(days=1),
        next_release=None,
        released_to=release.last_day,
    )
    order = draw.order(release.seed, release.entries)
    full: list[tuple[str, date, int]] = []  # (quota, from day, party) known to find no room
    tally, losers, cache = Tally(), [], {}
    for chunk_start in range(0, len(order), 500):
        chunk = order[chunk_start : chunk_start + 500]
        entries = {
            e.ticket: e
            for e in Entry.objects.filter(
                release=release, ticket__in=chunk, outcome=Outcome.WAITING
            ).select_related("service")
        }
        for rank, ticket in enumerate(chunk, start=chunk_start + 1):
            entry = entries.get(ticket)
            if entry is None:
                continue  # decided before a restart
            entry.rank = rank
            result = _decide(entry, release, schedule, full, now)
            if result == Outcome.LOST:
                losers.append(entry)
                if len(losers) >= LOSERS_PER_TRANSACTION:
                    tally.lost += _lose(losers, release, now, cache)
                    losers = []
            elif result == Outcome.WON:
                tally.won += 1
            elif result == Outcome.REFUSED:
                tally.refused += 1
        elapsed = timedelta(seconds=_time.monotonic() - started)
        Release.objects.filter(pk=release_pk).update(lease_until=now + elapsed + LEASE)
    tally.lost += _lose(losers, release, now, cache)
    with transaction.atomic():
        if not Entry.objects.filter(release=release, outcome=Outcome.WAITING).exists():
            Release.objects.filter(pk=release_pk).update(allocated_at=now, lease_until=None)
    return tally


def _attempts(entry: Entry) -> list[tuple[str, PriorityReason | None]]:
    """The quotas an entry may take, in order: its priority quota first, then its own."""
    own = Quota(entry.service.quota)
    if entry.priority:
        return [(Quota.PRIORITY, PriorityReason(entry.priority)), (own, None)]
    return [(own, None)]


def _decide(entry: Entry, release: Release, schedule, full, now: datetime) -> str:
    wanted = entry.visit_date or release.first_day
    first = schedule.first_bookable_day(now, after=wanted - timedelta(days=1))
    if first is None:
        return Outcome.LOST
    for quota, priority in _attempts(entry):
        if any(q == quota and d <= first and n <= entry.applicants for q, d, n in full):
            continue
        try:
            return _win(entry, release, schedule, first, priority, now)
        except FullyBooked:
            full.append((quota, first, entry.applicants))
        except _Decided:
            return ""
        except BookingError as refusal:
            return _refuse(entry, release, refusal, now)
    return Outcome.LOST


class _Decided(Exception):
    """Another worker decided this entry meanwhile: undo our booking."""


@actions._retrying
def _win(entry, release, schedule, day, priority, now) -> str:
    details = entry.details or {}
    family = [
        Person(p["name"], date.fromisoformat(p["birth_date"]), p.get("nik"))
        for p in details.get("family", [])
    ]
    with transaction.atomic():
        booked = actions.book(
            office=release.office,
            service=entry.service,
            phone=entry.phone,
            name=entry.name,
            birth_date=entry.birth_date,
            now=now,
            channel=entry.channel,
            actor=LOTTERY_ACTOR,
            visit_date=day,
            applicants=entry.applicants,
            nik=details.get("nik"),
            address=details.get("address"),
            priority=priority,
            lang=entry.lang,
            family=family,
            # A web entrant proved the number with a one-time code, as a web booking does.
            confirmed=entry.channel == Channel.WEB,
            schedule=schedule,
        )
        if not Entry.objects.filter(pk=entry.pk, outcome=Outcome.WAITING).update(
            outcome=Outcome.WON, booking=booked.booking, rank=entry.rank, decided_at=now
        ):
            raise _Decided
        notify.won(entry, release, booked.booking, now=now)
    return Outcome.WON


def _refuse(entry: Entry, release: Release, refusal: BookingError, now: datetime) -> str:
    with transaction.atomic():
        if Entry.objects.filter(pk=entry.pk, outcome=Outcome.WAITING).update(
            outcome=Outcome.REFUSED, reason=refusal.reason, rank=entry.rank, decided_at=now
        ):
            notify.refused(entry, release, refusal, now=now)
            return Outcome.REFUSED
    return ""


def _lose(entries: list[Entry], release: Release, now: datetime, cache: dict) -> int:
    lost = 0
    with transaction.atomic():
        for entry in entries:
            if Entry.objects.filter(pk=entry.pk, outcome=Outcome.WAITING).update(
                outcome=Outcome.LOST, rank=entry.rank, decided_at=now
            ):
                notify.lost(entry, release, now=now, cache=cache)
                lost += 1
    return lost
