"""The one layer that writes booking state.

Views, the webhook, commands and tasks call these functions and translate what they
return or raise (`BookingError`s); nothing else writes a booking, a seat counter or a
queue number. Each function is one transaction, keyword-only, and takes `now`.

Seats are taken by one conditional UPDATE per counter (`taken + n <= capacity`), never by
reading a count and writing it back, and the counters' check constraints refuse anything
beyond capacity. Locks are taken in one order - the booking row, then day counters, then
hour counters - and a transaction that still meets a deadlock or a locked SQLite file is
run again from the start (see `_retrying`).
"""

import logging
import random
import time as _time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import wraps
from zoneinfo import ZoneInfo

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest, Least

from antrean.booking import availability, identity, payments, waitlist
from antrean.booking.codes import new_code, normalize_code, queue_label
from antrean.booking.errors import (
    AlreadyBooked,
    BookingError,
    BookingNotFound,
    Busy,
    ConfirmationLapsed,
    DayFull,
    FullyBooked,
    HourFull,
    NikAlreadyBooked,
    NikRepeated,
    NotLate,
    NotVisitDay,
    OfficeUnavailable,
    SameSlot,
    ServiceNotBookable,
    WrongStatus,
)
from antrean.booking.lifecycle import LIVE, TRANSITIONS, Status, frees_seats
from antrean.booking.models import (
    Applicant,
    Booking,
    BookingEvent,
    DayLoad,
    QueueCounter,
    SlotLoad,
)
from antrean.booking.nik import check_nik
from antrean.booking.phone import normalize_phone
from antrean.booking.rules import (
    Person,
    PriorityReason,
    Quota,
    Schedule,
    check_applicants,
    check_birth_date,
    check_reschedule,
    choose_quota,
    clean_name,
    confirm_deadline,
)
from antrean.lib.crypto import lookup_hash
from antrean.lib.db import deadlocked
from antrean.offices.models import Office, ServiceType
from antrean.offices.schedules import schedule_for

log = logging.getLogger(__name__)

PRIORITY_PREFIX = "P"
LAPSE_ACTOR = "system:lapse"  # a pending code passed its confirmation deadline
LATE_ACTOR = "system:late"  # a confirmed code passed its arrival deadline
# A lapse found while its owner acts on the booking: the answer tells them, so the
# lifecycle jobs do not tell them again.
TOLD = {"told": True}
_ATTEMPTS = 6
_CODE_ATTEMPTS = 8


@dataclass(frozen=True)
class Booked:
    booking: Booking
    moved_from: date | None = None  # the asked day, when it was full and we moved on


class _NoHourWithRoom(Exception):
    pass


def _transient(exc: OperationalError) -> bool:
    """A deadlock, or a SQLite file locked past its busy timeout: worth a second try."""
    message = str(exc).lower()
    return deadlocked(exc) or any(word in message for word in ("locked", "busy"))


def _retrying(fn):
    """Run a whole write transaction again after a deadlock or a locked SQLite file.

    Inside a caller's transaction we cannot restart anything, so errors pass through.
    """

    @wraps(fn)
    def wrapper(*args, **kwargs):
        if connection.in_atomic_block:
            return fn(*args, **kwargs)
        for attempt in range(_ATTEMPTS):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not _transient(exc):
                    raise
                log.warning("%s: transient database conflict, attempt %d", fn.__name__, attempt)
                if attempt == _ATTEMPTS - 1:
                    raise Busy() from exc
                _time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 (jitter)
        raise AssertionError("unreachable")

    return wrapper


def hold_offices(office_ids) -> None:
    """Serialize the chats' bookings of these offices until the caller's transaction ends
    (PostgreSQL; SQLite writes one at a time anyway and sends no FOR UPDATE).

    A booking takes its day's seat counter and holds it to the end of its transaction. The
    worker answers many chats in one transaction (whatsapp/inbound_batch.py), whose
    bookings take their days in the order the chats ask: two such transactions of one
    office could each hold a day the other wants, a deadlock PostgreSQL settles after a
    second by undoing one (measured: a third of the batches, the end-to-end rate halved).
    The worker's transactions take their offices first, in one order, so they wait for
    each other instead. The web's bookings, one day each, need not.
    """
    if connection.vendor != "postgresql":
        return
    list(
        Office.objects.select_for_update()
        .filter(pk__in=sorted(set(office_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Booking -----------------------------------------------------------------------------
@_retrying
def book(
    *,
    office: Office,
    service: ServiceType,
    phone: str,
    name: str,
    birth_date: date,
    now: datetime,
    channel: str,
    actor: str,
    visit_date: date | None = None,
    hour: time | None = None,
    applicants: int = 1,
    nik: str | None = None,
    address: str | None = None,
    priority: PriorityReason | None = None,
    lang: str = "id",
    move_if_full: bool = True,
    family: Sequence[Person] = (),
    confirmed: bool = False,
    schedule: Schedule | None = None,
) -> Booked:
    """Take seats and issue a pending booking code.

    `visit_date=None` asks for the earliest day with room. When the asked day is full
    (and no hour was asked for), the next open day with room is booked instead and
    `moved_from` says so; with `move_if_full=False` the refusal names that day instead.

    `family` are the people booked for besides the booker (places 2-5; `applicants`
    follows from it). `confirmed=True` issues the queue number at once, for a channel
    that has already verified the WhatsApp number (the web's one-time code).
    `schedule` replaces the office's own: the lottery books the days its release holds.
    """
    if hour is not None and visit_date is None:
        raise TypeError("an hour can only be asked for on a given visit date")
    checked = check_request(
        office=office,
        service=service,
        phone=phone,
        name=name,
        birth_date=birth_date,
        now=now,
        visit_date=visit_date,
        hour=hour,
        applicants=applicants,
        nik=nik,
        priority=priority,
        lang=lang,
        family=family,
        schedule=schedule,
    )
    with transaction.atomic():
        _make_way_for(phone=checked.phone, nik_hashes=checked.held, now=now)
        day, start, moved_from = place(
            office,
            checked.schedule,
            checked.quota,
            checked.applicants,
            visit_date,
            hour,
            now,
            move_if_full,
        )
        booking = new_booking(
            checked, office, service, day, start, visit_date, address, channel, lang, now
        )
        _insert(booking)
        created_event(booking, actor, now, moved_from).save()
        _add_people(booking, checked.people)
        if confirmed:
            _confirm(booking, actor=actor, now=now)
    return Booked(booking=booking, moved_from=moved_from)


@dataclass(frozen=True)
class Checked:
    """A booking request checked before anything is written (`check_request`)."""

    phone: str
    schedule: Schedule
    people: list[Person]
    applicants: int
    quota: Quota
    held: list[str | None]  # the people's NIK hashes, by place

    @property
    def nik_hash(self) -> str | None:
        return self.held[0]


def check_request(
    *,
    office: Office,
    service: ServiceType,
    phone: str,
    name: str,
    birth_date: date,
    now: datetime,
    visit_date: date | None = None,
    hour: time | None = None,
    applicants: int = 1,
    nik: str | None = None,
    priority: PriorityReason | None = None,
    lang: str = "id",
    family: Sequence[Person] = (),
    schedule: Schedule | None = None,
) -> Checked:
    """What `book` checks before its transaction; raises the first refusal."""
    if not office.is_active:
        raise OfficeUnavailable()
    if not service.bookable_remotely:
        raise ServiceNotBookable(service=service.name(lang))
    phone = normalize_phone(phone)
    schedule = schedule or schedule_for(office, now)
    people = checked_people([Person(name, birth_date, nik), *family], schedule.today(now))
    if family:
        applicants = len(people)
    check_applicants(applicants)
    schedule.check_registration(now)
    if visit_date is not None:
        schedule.check_day(visit_date, now)
        if hour is not None:
            schedule.check_hour(visit_date, hour, now)
    quota = choose_quota(
        Quota(service.quota),
        priority=priority,
        birth=birth_date,
        visit_day=visit_date or schedule.today(now),
    )
    return Checked(
        phone=phone,
        schedule=schedule,
        people=people,
        applicants=applicants,
        quota=quota,
        held=[lookup_hash(person.nik) if person.nik else None for person in people],
    )


def new_booking(
    checked: Checked,
    office: Office,
    service: ServiceType,
    day: date,
    start: time,
    visit_date: date | None,
    address: str | None,
    channel: str,
    lang: str,
    now: datetime,
) -> Booking:
    """The pending booking of a checked request placed on `day` at `start`, not saved and
    without its code."""
    schedule, booker = checked.schedule, checked.people[0]
    return Booking(
        office=office,
        service=service,
        quota=checked.quota,
        phone=checked.phone,
        name=booker.name,
        birth_date=booker.birth_date,
        nik=booker.nik,
        nik_hash=checked.nik_hash,
        address=" ".join(address.split()) if address else None,
        applicants=checked.applicants,
        requested_date=visit_date,
        visit_date=day,
        slot_at=schedule.slot_at(day, start),
        status=Status.PENDING,
        channel=channel,
        lang=lang,
        confirm_by=confirm_deadline(
            now, office.confirm_minutes, schedule.arrival_deadline(day, start)
        ),
        created_at=now,
        updated_at=now,
    )


def created_event(booking: Booking, actor: str, now: datetime, moved_from) -> BookingEvent:
    detail = {"moved_from": moved_from.isoformat() if moved_from else None}
    return _event(booking, "created", "", Status.PENDING, actor, now, detail)


def checked_people(people: list[Person], today: date) -> list[Person]:
    """Each person's data checked (an error names their place), NIKs told apart."""
    checked: list[Person] = []
    places: dict[str, int] = {}
    for place, person in enumerate(people, start=1):
        try:
            name = clean_name(person.name)
            check_birth_date(person.birth_date, today)
            nik = check_nik(person.nik, person.birth_date).nik if person.nik else None
        except BookingError as error:
            if len(people) > 1:
                error.details["applicant"] = place
            raise
        if nik is not None:
            if nik in places:
                raise NikRepeated(applicant=place, same_as=places[nik])
            places[nik] = place
        checked.append(Person(name, person.birth_date, nik))
    return checked


def people_rows(booking: Booking, people: list[Person]) -> list[Applicant]:
    rows = []
    for place, person in enumerate(people, start=1):
        nik_hash = lookup_hash(person.nik) if person.nik else None
        rows.append(
            Applicant(
                booking=booking,
                position=place,
                name=person.name,
                birth_date=person.birth_date,
                nik=person.nik,
                nik_hash=nik_hash,
                held_nik=nik_hash,
            )
        )
    return rows


def _add_people(booking: Booking, people: list[Person]) -> None:
    rows = people_rows(booking, people)
    try:
        with transaction.atomic():
            Applicant.objects.bulk_create(rows)
    except IntegrityError:
        # Another booking took one of these NIKs after `_make_way_for` looked.
        _refuse_second_live_booking(
            phone=booking.phone, nik_hashes=[row.nik_hash for row in rows if row.nik_hash]
        )
        raise


def place(office, schedule, quota, applicants, visit_date, hour, now, move_if_full, seats=None):
    """Take seats on the asked day, or the next open day with room; (day, start, moved).

    `seats` takes them (`take`) and passes over days known full (`not_known_full`): by
    default the counters' conditional updates; a batch's `together.Ledger` in memory."""
    take = seats.take if seats is not None else _take_seats
    not_known_full = seats.not_known_full if seats is not None else _not_known_full
    first = first_day(schedule, visit_date, now)
    if first is None:
        raise FullyBooked(from_day=schedule.today(now), last_day=schedule.last_day(now))
    start = take(office, schedule, first, quota, applicants, now, hour)
    if start is not None:
        return first, start, None
    if hour is not None:
        room = availability.rooms(office, schedule, [first], quota, now)[first]
        if room.seats < applicants:  # it is the day's quota that is gone, not just this hour
            raise DayFull(
                day=first,
                next_day=availability.first_day_with_room(
                    office, schedule, quota, applicants, now, after=first
                ),
            )
        raise HourFull(day=first, hour=hour)
    if visit_date is not None and not move_if_full:
        raise DayFull(
            day=first,
            next_day=availability.first_day_with_room(
                office, schedule, quota, applicants, now, after=first
            ),
        )
    later = list(schedule.bookable_days(now, after=first))
    for day in not_known_full(office, quota, applicants, later):
        start = take(office, schedule, day, quota, applicants, now, None)
        if start is not None:
            return day, start, visit_date
    raise FullyBooked(from_day=first, last_day=schedule.last_day(now))


def first_day(schedule: Schedule, visit_date: date | None, now: datetime) -> date | None:
    """The day `place` tries first: the asked one, or else the first bookable."""
    return visit_date or schedule.first_bookable_day(now)


def _not_known_full(office: Office, quota: Quota, seats: int, days: list[date]) -> list[date]:
    """`days` but those whose counter already says they cannot hold `seats`, in one read.

    Trying a full day costs a savepoint, a refused update and a look for the counter, four
    statements; in a rush for the earliest days, most days before the first with room are
    full, and a moved booking tried each of them. The days left are still decided by the
    conditional update, so a day filled since this read is passed over as before. On
    PostgreSQL a day that a cancellation freed after this read is passed over, as if the
    cancellation had come a moment later.
    """
    full = set(
        DayLoad.objects.filter(
            office=office, quota=quota, day__in=days, taken__gt=F("capacity") - seats
        ).values_list("day", flat=True)
    )
    return [day for day in days if day not in full]


def _take_seats(office, schedule: Schedule, day, quota, seats, now, hour) -> time | None:
    """Take `seats` from the day's quota and the earliest hour with room (or `hour`)."""
    starts = hours_to_try(schedule, day, now, hour)
    if not starts:
        return None
    try:
        with transaction.atomic():  # a savepoint: give the day's seats back if no hour fits
            if not _claim_day(office, day, quota, seats):
                return None
            loads = _slot_loads(office, schedule, day)
            for start in starts:
                load = loads[start]
                if load.capacity - load.taken < seats:
                    continue  # known full; the conditional update below is what decides
                claimed = SlotLoad.objects.filter(
                    pk=load.pk, taken__lte=F("capacity") - seats
                ).update(taken=F("taken") + seats)
                if claimed:
                    return start
            raise _NoHourWithRoom
    except _NoHourWithRoom:
        return None


def hours_to_try(schedule: Schedule, day: date, now: datetime, hour: time | None) -> list[time]:
    """The asked hour, or else the day's hours still open, earliest first."""
    return [hour] if hour is not None else schedule.open_starts(day, now)


def _claim_day(office: Office, day: date, quota: Quota, seats: int) -> bool:
    counter = DayLoad.objects.filter(office=office, day=day, quota=quota)
    if counter.filter(taken__lte=F("capacity") - seats).update(taken=F("taken") + seats):
        return True
    if counter.exists():
        return False
    DayLoad.objects.bulk_create(
        [DayLoad(office=office, day=day, quota=quota, capacity=office.daily_capacity(quota))],
        ignore_conflicts=True,
    )
    return bool(counter.filter(taken__lte=F("capacity") - seats).update(taken=F("taken") + seats))


def _slot_loads(office: Office, schedule: Schedule, day: date) -> dict[time, SlotLoad]:
    """The day's hour counters, creating the ones not yet used."""
    loads = {load.start: load for load in SlotLoad.objects.filter(office=office, day=day)}
    missing = [start for start in schedule.slots if start not in loads]
    if missing:
        SlotLoad.objects.bulk_create(
            [
                SlotLoad(office=office, day=day, start=start, capacity=office.capacity_per_hour)
                for start in missing
            ],
            ignore_conflicts=True,
        )
        loads = {load.start: load for load in SlotLoad.objects.filter(office=office, day=day)}
    return loads


def _release(booking: Booking) -> None:
    """Give a booking's seats back. A capacity lowered since it was taken shrinks back too."""
    office = booking.office
    seats = booking.applicants
    DayLoad.objects.filter(office=office, day=booking.visit_date, quota=booking.quota).update(
        taken=F("taken") - seats,
        capacity=Least(
            F("capacity"),
            Greatest(F("taken") - seats, Value(office.daily_capacity(Quota(booking.quota)))),
        ),
    )
    SlotLoad.objects.filter(
        office=office, day=booking.visit_date, start=local_start(booking)
    ).update(
        taken=F("taken") - seats,
        capacity=Least(
            F("capacity"), Greatest(F("taken") - seats, Value(office.capacity_per_hour))
        ),
    )


def _insert(booking: Booking) -> None:
    """Save a new booking under a fresh code; translate a lost race into its reason."""
    for _ in range(_CODE_ATTEMPTS):
        booking.code = new_code()
        try:
            with transaction.atomic():
                booking.save(force_insert=True)
            return
        except IntegrityError:
            if Booking.objects.filter(code=booking.code).exists():
                continue  # 1 in 10^12: draw another code
            _refuse_second_live_booking(phone=booking.phone, nik_hashes=[booking.nik_hash])
            raise
    raise RuntimeError("could not draw an unused booking code")


def _make_way_for(*, phone: str, nik_hashes: list[str | None], now: datetime) -> None:
    """Refuse a person who already holds a live booking - after expiring their own pending
    code that passed its deadline, which must not block them (the periodic job may not
    have reached it yet)."""
    person = Q(phone=phone)
    if known := [nik_hash for nik_hash in nik_hashes if nik_hash]:
        person |= Q(nik_hash__in=known) | Q(people__held_nik__in=known)
    found = Booking.objects.filter(person, status__in=list(LIVE)).values_list("pk", flat=True)
    for pk in sorted(set(found)):
        booking = _locked(pk)  # and read again: it may have changed since the query above
        if booking.status == Status.PENDING and booking.confirm_by <= now:
            _move(booking, Status.EXPIRED, actor=LAPSE_ACTOR, now=now, action="lapsed")
        elif booking.status in LIVE:
            _refuse_second_live_booking(phone=phone, nik_hashes=nik_hashes)


def _refuse_second_live_booking(*, phone: str, nik_hashes: list[str | None]) -> None:
    """Raise why the person may not book again. `nik_hashes` follow the places (1-5)."""
    existing = (
        Booking.objects.select_related("office")
        .filter(phone=phone, status__in=list(LIVE))
        .order_by()
        .first()
    )
    if existing is not None:
        raise AlreadyBooked(
            code=existing.code,
            office=existing.office.name,
            visit_date=existing.visit_date,
            slot_start=local_start(existing),
            status=existing.status,
        )
    known = [nik_hash for nik_hash in nik_hashes if nik_hash]
    held = set(Applicant.objects.filter(held_nik__in=known).values_list("held_nik", flat=True))
    held |= set(
        Booking.objects.filter(nik_hash__in=known, status__in=list(LIVE)).values_list(
            "nik_hash", flat=True
        )
    )
    for place, nik_hash in enumerate(nik_hashes, start=1):
        if nik_hash in held:
            raise NikAlreadyBooked(**({"applicant": place} if len(nik_hashes) > 1 else {}))
    if held:
        raise NikAlreadyBooked()


# --- Changing a booking ------------------------------------------------------------------
@_retrying
def confirm(*, code: str, now: datetime, actor: str, phone: str | None = None) -> Booking:
    """Confirm a pending code and give it its queue number. Confirming twice is harmless."""
    with transaction.atomic():
        booking = _find_locked(code, phone)
        if booking.status == Status.CONFIRMED:
            return booking
        if booking.status == Status.PENDING and booking.confirm_by <= now:
            _move(booking, Status.EXPIRED, actor=LAPSE_ACTOR, now=now, action="lapsed", detail=TOLD)
        elif booking.status == Status.EXPIRED and booking.queue_number is None:
            pass  # lapsed earlier, unconfirmed
        else:
            _require(booking, Status.CONFIRMED, "confirm")
            _confirm(booking, actor=actor, now=now)
            return booking
    raise ConfirmationLapsed(code=booking.code)


@_retrying
def cancel(
    *, code: str, now: datetime, actor: str, phone: str | None = None, reason: str = ""
) -> Booking:
    """Cancel a booking and free its seats at once. Cancelling twice is harmless."""
    with transaction.atomic():
        booking = _find_locked(code, phone)
        if booking.status == Status.CANCELLED:
            return booking
        _require(booking, Status.CANCELLED, "cancel")
        _move(
            booking,
            Status.CANCELLED,
            actor=actor,
            now=now,
            action="cancelled",
            detail={"reason": reason[:200]} if reason else None,
        )
    return booking


@_retrying
def reschedule(
    *,
    code: str,
    visit_date: date,
    now: datetime,
    actor: str,
    phone: str | None = None,
    hour: time | None = None,
) -> Booking:
    """Move a live booking to another day (and hour), freeing the old seats atomically."""
    lapsed = False
    with transaction.atomic():
        booking = _find_locked(code, phone)
        office = booking.office
        if booking.status == Status.PENDING and booking.confirm_by <= now:
            _move(booking, Status.EXPIRED, actor=LAPSE_ACTOR, now=now, action="lapsed", detail=TOLD)
            lapsed = True
        else:
            if booking.status not in (Status.PENDING, Status.CONFIRMED):
                raise WrongStatus(code=booking.code, status=booking.status, action="reschedule")
            if not office.is_active:
                raise OfficeUnavailable()
            schedule = schedule_for(office, now)
            check_reschedule(
                done=booking.reschedules,
                limit=office.max_reschedules,
                visit_date=booking.visit_date,
                cutoff_days=office.reschedule_cutoff_days,
                today=schedule.today(now),
            )
            schedule.check_day(visit_date, now)
            if hour is not None:
                schedule.check_hour(visit_date, hour, now)
            old_day, old_start = booking.visit_date, local_start(booking)
            if visit_date == old_day and hour in (None, old_start):
                raise SameSlot(day=old_day, hour=old_start)
            _release(booking)  # first, so that a change of hour within a day can reuse it
            start = _take_seats(
                office, schedule, visit_date, Quota(booking.quota), booking.applicants, now, hour
            )
            if start is None:
                if hour is not None:
                    raise HourFull(day=visit_date, hour=hour)
                raise DayFull(
                    day=visit_date,
                    next_day=availability.first_day_with_room(
                        office,
                        schedule,
                        Quota(booking.quota),
                        booking.applicants,
                        now,
                        after=visit_date,
                    ),
                )
            # The old seats go to the old day's waitlist only now that ours are taken,
            # so that a change of hour within a day can reuse them.
            waitlist.offer_freed(office, old_day, Quota(booking.quota), now)
            booking.visit_date = visit_date
            booking.requested_date = visit_date
            booking.slot_at = schedule.slot_at(visit_date, start)
            booking.reschedules += 1
            booking.updated_at = now
            fields = ["visit_date", "requested_date", "slot_at", "reschedules", "updated_at"]
            if booking.status == Status.PENDING:
                # A code must be confirmed before its (new) arrival deadline.
                booking.confirm_by = min(
                    booking.confirm_by, schedule.arrival_deadline(visit_date, start)
                )
                fields.append("confirm_by")
            if booking.status == Status.CONFIRMED:
                booking.queue_number = _next_queue_number(booking)
                fields.append("queue_number")
            booking.save(update_fields=fields)
            _record(
                booking,
                "rescheduled",
                booking.status,
                booking.status,
                actor,
                now,
                {
                    "from_date": old_day.isoformat(),
                    "from_start": old_start.isoformat("minutes"),
                    "to_date": visit_date.isoformat(),
                    "to_start": start.isoformat("minutes"),
                },
            )
    if lapsed:
        raise ConfirmationLapsed(code=booking.code)
    return booking


@_retrying
def check_in(
    *,
    code: str,
    now: datetime,
    actor: str,
    office: Office | None = None,
    override: str = "",
    presented_niks: Sequence[str] = (),
    identity_checked: bool = False,
) -> Booking:
    """Record the applicant's arrival, on the day and at least 30 minutes early.

    A booking is not transferable: whoever comes must be the people booked. The officer
    confirms that name and birth date match the e-KTP or family card (KK)
    (`identity_checked`, else `IdentityNotChecked`), and every NIK recorded at booking -
    the booker's and each family member's - must be among `presented_niks`, the NIKs read
    from the documents shown (in place order, blank where none is asked). A recorded NIK
    nobody presented, or a presented NIK that is no one's in the booking, raises
    `IdentityMismatch` naming the place (1 = the booker). People booked without a NIK
    (WhatsApp LAW bookings) are checked by name and birth date alone. See
    `antrean.booking.identity`.

    With `override` (a supervisor's reason) a late applicant is let in all the same, even
    after the deadline voided the code, once the same identity check has passed. The seat
    a voided code gave back is not taken again: the hour may have been given away
    meanwhile, and the applicant is here.
    """
    with transaction.atomic():
        booking = _find_locked(code, None)
        if office is not None and booking.office_id != office.pk:
            raise BookingNotFound()
        identity.check_identity(
            booking=booking, presented_niks=presented_niks, identity_checked=identity_checked
        )
        if booking.status == Status.CHECKED_IN:
            return booking
        schedule = schedule_for(booking.office, now)
        booking.arrived_at = now
        if not override:
            _require(booking, Status.CHECKED_IN, "check_in")
            schedule.check_arrival(booking.visit_date, local_start(booking), now)
            _move(
                booking,
                Status.CHECKED_IN,
                actor=actor,
                now=now,
                action="checked_in",
                fields=["arrived_at"],
            )
            return booking
        if schedule.today(now) != booking.visit_date:
            raise NotVisitDay(visit_date=booking.visit_date)
        if late_arrival(booking, now, schedule) is None:
            raise NotLate(code=booking.code, status=booking.status)
        old = Status(booking.status)
        booking.status, booking.updated_at = Status.CHECKED_IN, now
        booking.save(update_fields=["status", "arrived_at", "updated_at"])
        _record(
            booking,
            "checked_in_late",
            old,
            Status.CHECKED_IN,
            actor,
            now,
            {"override": override[:200]},
        )
    return booking


def late_arrival(booking: Booking, now: datetime, schedule: Schedule | None = None):
    """The arrival deadline a confirmed applicant, here on their day, has passed; None
    when they are not late. A code the deadline job voided still counts as confirmed:
    only confirmed codes carry a queue number."""
    schedule = schedule or schedule_for(booking.office, now)
    was_confirmed = booking.status == Status.CONFIRMED or (
        booking.status == Status.EXPIRED and booking.queue_number is not None
    )
    if not was_confirmed or schedule.today(now) != booking.visit_date:
        return None
    deadline = schedule.arrival_deadline(booking.visit_date, local_start(booking))
    return deadline if now > deadline else None


# --- Jobs --------------------------------------------------------------------------------
def lapse_unconfirmed(*, now: datetime, limit: int = 1000) -> int:
    """Expire pending codes past their confirmation deadline; their seats return."""
    pks = list(
        Booking.objects.filter(status=Status.PENDING, confirm_by__lte=now)
        .order_by("confirm_by")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(_expire_one(pk, now, "lapsed", Status.PENDING) for pk in pks)


def expire_late(*, now: datetime, limit: int = 1000) -> int:
    """Void confirmed codes whose holder has not checked in by the arrival deadline."""
    done = 0
    leads = Office.objects.values_list("arrival_lead_minutes", flat=True).distinct()
    for lead in sorted(set(leads)):
        pks = list(
            Booking.objects.filter(
                status=Status.CONFIRMED,
                office__arrival_lead_minutes=lead,
                slot_at__lt=now + timedelta(minutes=lead),
            ).values_list("pk", flat=True)[:limit]
        )
        done += sum(_expire_one(pk, now, "late", Status.CONFIRMED) for pk in pks)
    return done


@_retrying
def _expire_one(pk: int, now: datetime, action: str, expected: Status) -> bool:
    with transaction.atomic():
        booking = _locked(pk)
        if booking.status != expected:
            return False  # somebody confirmed, cancelled or checked in meanwhile
        if action == "lapsed" and booking.confirm_by > now:
            return False
        if action == "late":
            lead = timedelta(minutes=booking.office.arrival_lead_minutes)
            if now <= booking.slot_at - lead:
                return False
        actor = LAPSE_ACTOR if action == "lapsed" else LATE_ACTOR
        _move(booking, Status.EXPIRED, actor=actor, now=now, action=action)
    return True


@_retrying
def sync_capacities(*, office: Office, now: datetime) -> None:
    """Apply an office's capacities to the days already being booked.

    Raising a capacity opens seats at once. Lowering one never cancels anybody: an hour
    that already holds more keeps its bookings, and its capacity shrinks as they leave.
    """
    today = now.astimezone(ZoneInfo(office.timezone)).date()
    with transaction.atomic():
        for quota in Quota:
            DayLoad.objects.filter(office=office, day__gte=today, quota=quota).update(
                capacity=Greatest(F("taken"), Value(office.daily_capacity(quota)))
            )
        SlotLoad.objects.filter(office=office, day__gte=today).update(
            capacity=Greatest(F("taken"), Value(office.capacity_per_hour))
        )
        waiting = (
            Booking.objects.filter(office=office, status=Status.WAITLISTED, visit_date__gte=today)
            .values_list("visit_date", "quota")
            .distinct()
        )
        for day, quota in sorted(set(waiting)):  # seats a raise opened go to those waiting
            waitlist.offer_freed(office, day, Quota(quota), now)


# --- Helpers -----------------------------------------------------------------------------
def local_start(booking: Booking) -> time:
    return booking.slot_at.astimezone(ZoneInfo(booking.office.timezone)).time()


def _locking():
    # Lock the booking row only: locking the joined office row too would make every
    # change queue behind (and deadlock with) inserts that check the office foreign key.
    return Booking.objects.select_for_update(of=("self",)).select_related("office", "service")


def _locked(pk: int) -> Booking:
    return _locking().get(pk=pk)


def _find_locked(code: str, phone: str | None) -> Booking:
    """The booking for `code`, locked. With `phone`, only its owner may find it, and a
    stranger's code looks exactly like a code that does not exist."""
    normalized = normalize_code(code)
    if normalized is None:
        raise BookingNotFound()
    try:
        booking = _locking().get(code=normalized)
    except Booking.DoesNotExist:
        raise BookingNotFound() from None
    if phone is not None and booking.phone != normalize_phone(phone):
        raise BookingNotFound()
    return booking


def _require(booking: Booking, target: Status, action: str) -> None:
    if target not in TRANSITIONS[Status(booking.status)]:
        raise WrongStatus(code=booking.code, status=booking.status, action=action)


def _move(
    booking: Booking,
    target: Status,
    *,
    actor: str,
    now: datetime,
    action: str,
    detail: dict | None = None,
    fields: list[str] | tuple = (),
) -> None:
    """Change a locked booking's status, giving its seats back when the move frees them."""
    old = Status(booking.status)
    if target not in TRANSITIONS[old]:
        raise WrongStatus(code=booking.code, status=old, action=action)
    booking.status = target
    booking.updated_at = now
    booking.save(update_fields=["status", "updated_at", *fields])
    if old in LIVE and target not in LIVE:
        Applicant.objects.filter(booking=booking).update(held_nik=None)
    elif old not in LIVE and target in LIVE:  # a waitlisted applicant offered a seat
        Applicant.objects.filter(booking=booking).update(held_nik=F("nik_hash"))
    _record(booking, action, old, target, actor, now, detail)
    if frees_seats(old, target):
        _release(booking)
        waitlist.offer_freed(booking.office, booking.visit_date, Quota(booking.quota), now)


def _confirm(booking: Booking, *, actor: str, now: datetime) -> None:
    """Confirm a locked pending booking: it gets its queue number, and its billing code
    where the office takes the fee before the visit."""
    booking.queue_number = _next_queue_number(booking)
    _move(
        booking, Status.CONFIRMED, actor=actor, now=now, action="confirmed", fields=["queue_number"]
    )
    payments.bill(booking, now=now)


def _next_queue_number(booking: Booking) -> str:
    prefix = PRIORITY_PREFIX if booking.quota == Quota.PRIORITY else booking.service.queue_prefix
    counter = QueueCounter.objects.filter(
        office=booking.office, day=booking.visit_date, prefix=prefix
    )
    if not counter.update(last=F("last") + 1):
        QueueCounter.objects.bulk_create(
            [QueueCounter(office=booking.office, day=booking.visit_date, prefix=prefix)],
            ignore_conflicts=True,
        )
        counter.update(last=F("last") + 1)
    # Our update holds the counter's row lock until commit, so this reads our own number.
    return queue_label(prefix, counter.values_list("last", flat=True).get())


def _record(booking, action, old, new, actor, now, detail=None) -> None:
    _event(booking, action, old, new, actor, now, detail).save()


def _event(booking, action, old, new, actor, now, detail=None) -> BookingEvent:
    return BookingEvent(
        booking=booking,
        at=now,
        action=action,
        from_status=str(old or ""),
        to_status=str(new),
        actor=actor[:80],
        detail={k: v for k, v in (detail or {}).items() if v is not None},
    )
