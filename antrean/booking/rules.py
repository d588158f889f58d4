"""The booking rules: which days and hours can be booked, and which applicant data is
acceptable. Plain Python with no Django; whatever depends on the time takes `now`, an aware
datetime, and reads the office's own zone from its `Schedule`.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cached_property
from zoneinfo import ZoneInfo

from antrean.booking.errors import (
    ArrivalTooLate,
    BeyondHorizon,
    DayClosed,
    HourNotOffered,
    InvalidApplicants,
    InvalidBirthDate,
    InvalidName,
    NoSlotsLeftToday,
    NotVisitDay,
    NotYetReleased,
    OutsideRegistrationHours,
    PriorityNotEligible,
    RescheduleLimit,
    RescheduleTooLate,
    VisitDateInPast,
)


class Quota(StrEnum):
    """The daily quotas an office keeps apart (M-Paspor splits its slots the same way)."""

    REGULAR = "regular"
    PERCEPATAN = "percepatan"  # same-day service
    PRIORITY = "priority"  # elderly, disabled, small children, pregnant


class PriorityReason(StrEnum):
    ELDERLY = "elderly"  # 60 or older, checked against the birth date
    SMALL_CHILD = "small_child"  # under 5, checked against the birth date
    DISABILITY = "disability"  # declared; checked by the officer at arrival
    PREGNANT = "pregnant"  # declared; checked by the officer at arrival


MAX_APPLICANTS = 5
MAX_AGE_YEARS = 120
ADULT_FROM_AGE = 17  # below this, the child requirements apply and both parents attend
ELDERLY_FROM_AGE = 60
SMALL_CHILD_UNDER_AGE = 5
NAME_MAX_LENGTH = 100
_NAME_PUNCTUATION = set(" .,'-`’")


@dataclass(frozen=True)
class Closure:
    """A day an office does not serve: a national holiday, collective leave or its own."""

    day: date
    name_id: str
    name_en: str = ""

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_id


@dataclass(frozen=True)
class ReleaseWindow:
    """When the quota of `first_day`..`last_day` is released: requests in the window
    enter a lottery drawn at `closes_at`; what is left is first-come afterwards."""

    first_day: date
    last_day: date
    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def stage(self, now: datetime) -> str:
        """ "before" the window, "open" in it, "drawing" after it until the seats are given."""
        if now < self.opens_at:
            return "before"
        return "open" if now < self.closes_at else "drawing"


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When one office serves: its zone, working days, hours, closures and horizon."""

    timezone: ZoneInfo
    working_days: frozenset[int]  # ISO weekdays, Monday = 1
    opens: time
    closes: time
    horizon_days: int
    arrival_lead: timedelta = timedelta(minutes=30)
    slot_length: timedelta = timedelta(hours=1)
    closures: Mapping[date, Closure] = field(default_factory=dict)
    registration: tuple[time, time] | None = None  # e.g. Batam: 07.30-10.00
    # Offices that release quota by lottery (antrean.release): days from `held_from` on
    # wait for their release; days up to `released_to` were released, even past the
    # horizon. `next_release` is the window that releases `held_from`.
    held_from: date | None = None
    released_to: date | None = None
    next_release: ReleaseWindow | None = None

    # --- clock -------------------------------------------------------------------------
    def local(self, now: datetime) -> datetime:
        _require_aware(now)
        return now.astimezone(self.timezone)

    def today(self, now: datetime) -> date:
        return self.local(now).date()

    def last_day(self, now: datetime) -> date:
        last = self.today(now) + timedelta(days=self.horizon_days)
        if self.released_to is not None:
            last = max(last, self.released_to)
        if self.held_from is not None:
            last = min(last, self.held_from - timedelta(days=1))
        return last

    # --- hours ---------------------------------------------------------------------------
    @cached_property
    def slots(self) -> tuple[time, ...]:
        """Every hourly slot of a working day, in order; a slot ends by closing time."""
        starts = []
        cursor = datetime.combine(date(2000, 1, 3), self.opens)
        end = datetime.combine(date(2000, 1, 3), self.closes)
        while cursor + self.slot_length <= end:
            starts.append(cursor.time())
            cursor += self.slot_length
        return tuple(starts)

    def slot_at(self, day: date, start: time) -> datetime:
        return datetime.combine(day, start, tzinfo=self.timezone)

    def arrival_deadline(self, day: date, start: time) -> datetime:
        """The last moment to arrive; later, the booking code is void ("hangus")."""
        return self.slot_at(day, start) - self.arrival_lead

    def open_starts(self, day: date, now: datetime) -> list[time]:
        """The slots of `day` that can still be booked: open, and not past arrival time."""
        if not self.is_open(day):
            return []
        if day > self.today(now) + timedelta(days=2 + self.arrival_lead.days):
            # Every deadline of that day falls on a later local date than today's, a
            # clock change or two notwithstanding: all are ahead. Most days asked are such
            # days, and the deadlines cost a zoned datetime each (a batch's bookings
            # asked for them hundreds of times).
            return list(self.slots)
        return [s for s in self.slots if now < self.arrival_deadline(day, s)]

    # --- days ----------------------------------------------------------------------------
    def is_open(self, day: date) -> bool:
        return day.isoweekday() in self.working_days and day not in self.closures

    def is_bookable(self, day: date, now: datetime) -> bool:
        return self.today(now) <= day <= self.last_day(now) and bool(self.open_starts(day, now))

    def bookable_days(self, now: datetime, *, after: date | None = None) -> Iterator[date]:
        """Bookable days in order, from today (or the day after `after`) to the horizon."""
        day = self.today(now)
        if after is not None and after >= day:
            day = after + timedelta(days=1)
        last = self.last_day(now)
        while day <= last:
            if self.is_bookable(day, now):
                yield day
            day += timedelta(days=1)

    def first_bookable_day(self, now: datetime, *, after: date | None = None) -> date | None:
        return next(self.bookable_days(now, after=after), None)

    def last_bookable_day(self, now: datetime) -> date | None:
        day, today = self.last_day(now), self.today(now)
        while day >= today:
            if self.is_bookable(day, now):
                return day
            day -= timedelta(days=1)
        return None

    def check_day(self, day: date, now: datetime) -> None:
        """Raise the precise reason `day` cannot be booked, with a day that can."""
        today = self.today(now)
        if day < today:
            raise VisitDateInPast(day=day, today=today, suggestion=self.first_bookable_day(now))
        last = self.last_day(now)
        if self.held_from is not None and day >= self.held_from:
            window = self.next_release
            raise NotYetReleased(
                why=window.stage(now) if window else "unplanned",
                day=day,
                first_day=window.first_day if window else self.held_from,
                last_day=window.last_day if window else None,
                opens_at=window.opens_at if window else None,
                closes_at=window.closes_at if window else None,
                suggestion=self.last_bookable_day(now),
            )
        if day > last:
            raise BeyondHorizon(
                day=day,
                last_day=last,
                horizon_days=self.horizon_days,
                suggestion=self.last_bookable_day(now),
            )
        if not self.is_open(day):
            raise DayClosed(
                day=day,
                closure=self.closures.get(day),
                working_days=tuple(sorted(self.working_days)),
                suggestion=self.first_bookable_day(now, after=day) or self.first_bookable_day(now),
            )
        if not self.open_starts(day, now):
            raise NoSlotsLeftToday(day=day, suggestion=self.first_bookable_day(now, after=day))

    def check_hour(self, day: date, hour: time, now: datetime) -> None:
        starts = self.open_starts(day, now)
        if hour not in starts:
            raise HourNotOffered(day=day, hour=hour, hours=starts)

    # --- registration hours (offices such as Batam take requests only at set times) ------
    def check_registration(self, now: datetime) -> None:
        if self.registration is None:
            return
        opens, closes = self.registration
        local = self.local(now)
        if self.is_open(local.date()) and opens <= local.time() < closes:
            return
        raise OutsideRegistrationHours(
            opens=opens, closes=closes, next_opening=self.next_registration_opening(now)
        )

    def next_registration_opening(self, now: datetime) -> datetime | None:
        if self.registration is None:
            return None
        opens = self.registration[0]
        local = self.local(now)
        day = local.date()
        for _ in range(366):
            if self.is_open(day) and (day > local.date() or local.time() < opens):
                return datetime.combine(day, opens, tzinfo=self.timezone)
            day += timedelta(days=1)
        return None

    # --- arrival ---------------------------------------------------------------------------
    def check_arrival(self, day: date, start: time, now: datetime) -> None:
        if self.today(now) != day:
            raise NotVisitDay(visit_date=day)
        deadline = self.arrival_deadline(day, start)
        if now > deadline:
            raise ArrivalTooLate(deadline=deadline)


# --- The applicant ---------------------------------------------------------------------------
def age_on(birth: date, day: date) -> int:
    years = day.year - birth.year
    if (day.month, day.day) < (birth.month, birth.day):
        years -= 1
    return years


def is_child(birth: date, day: date) -> bool:
    return age_on(birth, day) < ADULT_FROM_AGE


def check_birth_date(birth: date, today: date) -> None:
    if birth > today:
        raise InvalidBirthDate(why="future", birth_date=birth)
    if birth == today:
        raise InvalidBirthDate(why="today", birth_date=birth)
    if age_on(birth, today) > MAX_AGE_YEARS:
        raise InvalidBirthDate(why="too_old", birth_date=birth, maximum=MAX_AGE_YEARS)


def clean_name(raw: str) -> str:
    """The name as the applicant wrote it, with stray spaces removed."""
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidName(why="empty")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidName(why="too_long", maximum=NAME_MAX_LENGTH)
    if not any(ch.isalpha() for ch in name) or any(
        not (ch.isalpha() or ch in _NAME_PUNCTUATION) for ch in name
    ):
        raise InvalidName(why="characters")
    return name


@dataclass(frozen=True)
class Person:
    """Someone a booking is for, as given: checked by `actions.book`."""

    name: str
    birth_date: date
    nik: str | None = None


def check_applicants(count: int) -> None:
    if not 1 <= count <= MAX_APPLICANTS:
        raise InvalidApplicants(count=count, maximum=MAX_APPLICANTS)


def choose_quota(
    service_quota: Quota, *, priority: PriorityReason | None, birth: date, visit_day: date
) -> Quota:
    """Which daily quota a booking draws on."""
    if service_quota == Quota.PERCEPATAN:
        return Quota.PERCEPATAN
    if priority is None:
        return Quota.REGULAR
    age = age_on(birth, visit_day)
    if priority == PriorityReason.ELDERLY and age < ELDERLY_FROM_AGE:
        raise PriorityNotEligible(why="elderly", minimum_age=ELDERLY_FROM_AGE)
    if priority == PriorityReason.SMALL_CHILD and age >= SMALL_CHILD_UNDER_AGE:
        raise PriorityNotEligible(why="small_child", maximum_age=SMALL_CHILD_UNDER_AGE)
    return Quota.PRIORITY


def confirm_deadline(created: datetime, minutes: int, arrival_deadline: datetime) -> datetime:
    """A pending code lapses after `minutes`, and never later than the arrival deadline."""
    return min(created + timedelta(minutes=minutes), arrival_deadline)


def check_reschedule(
    *, done: int, limit: int, visit_date: date, cutoff_days: int, today: date
) -> None:
    if done >= limit:
        raise RescheduleLimit(limit=limit)
    last_day = visit_date - timedelta(days=cutoff_days)
    if today > last_day:
        raise RescheduleTooLate(last_day=last_day, visit_date=visit_date)
