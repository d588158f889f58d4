"""Numbers for supervisors: per day, per counter, and the satisfaction index per month,
over a range of days."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from statistics import mean
from zoneinfo import ZoneInfo

from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking, BookingEvent
from antrean.feedback.models import ELEMENTS, SCORE_FIELDS, Survey
from antrean.offices.models import Office

# Came, or were expected to: everyone with a queue number (a confirmed code).
_EXPECTED = {Status.CONFIRMED, Status.CHECKED_IN, Status.SERVED, Status.NO_SHOW, Status.EXPIRED}


@dataclass
class Day:
    day: date
    booked: int = 0
    expected: int = 0
    arrived: int = 0
    served: int = 0
    no_show: int = 0

    @property
    def show_up(self) -> float | None:
        return self.arrived / self.expected if self.expected else None


@dataclass
class Desk:
    counter: int
    served: int = 0
    waits: list = field(default_factory=list)  # minutes, arrival -> first call
    services: list = field(default_factory=list)  # minutes, last call -> served

    @property
    def wait(self) -> float | None:
        return round(mean(self.waits), 1) if self.waits else None

    @property
    def service(self) -> float | None:
        return round(mean(self.services), 1) if self.services else None


def report(office: Office, first: date, last: date) -> tuple[list[Day], list[Desk]]:
    bookings = list(
        Booking.objects.filter(office=office, visit_date__range=(first, last)).only(
            "id", "visit_date", "status", "queue_number", "arrived_at", "served_at"
        )
    )
    days = {d.day: d for d in (Day(b.visit_date) for b in bookings)}
    for b in bookings:
        row = days[b.visit_date]
        if b.status != Status.CANCELLED:
            row.booked += 1
        if b.queue_number and b.status in _EXPECTED:
            row.expected += 1
        row.arrived += b.arrived_at is not None
        row.served += b.status == Status.SERVED
        row.no_show += b.status == Status.NO_SHOW
    return sorted(days.values(), key=lambda d: d.day), _desks(bookings)


def _desks(bookings: list[Booking]) -> list[Desk]:
    by_id = {b.pk: b for b in bookings}
    calls: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    for event in BookingEvent.objects.filter(
        booking_id__in=list(by_id), action__in=["called", "recalled", "transferred"]
    ).only("booking_id", "at", "detail"):
        if "counter" in event.detail:
            calls[event.booking_id].append((event.at, event.detail["counter"]))
    desks: dict[int, Desk] = {}
    for pk, made in calls.items():
        booking = by_id[pk]
        made.sort()
        first_at, first_counter = made[0]
        last_at, last_counter = made[-1]
        if booking.arrived_at is not None:
            desk = desks.setdefault(first_counter, Desk(first_counter))
            desk.waits.append((first_at - booking.arrived_at).total_seconds() / 60)
        if booking.status == Status.SERVED and booking.served_at is not None:
            desk = desks.setdefault(last_counter, Desk(last_counter))
            desk.served += 1
            desk.services.append((booking.served_at - last_at).total_seconds() / 60)
    return sorted(desks.values(), key=lambda d: d.counter)


# --- The satisfaction index (IKM, PermenPAN-RB No. 14/2017) -----------------------------------
# The quality of service by the converted index: (lowest index, letter, name), best first.
CATEGORIES = (
    (Decimal("88.31"), "A", "Sangat Baik"),
    (Decimal("76.61"), "B", "Baik"),
    (Decimal("65.00"), "C", "Kurang Baik"),
    (Decimal("25.00"), "D", "Tidak Baik"),
)
CENT = Decimal("0.01")


@dataclass
class Month:
    month: date  # its first day
    responses: int = 0
    totals: list = field(default_factory=lambda: [0] * len(ELEMENTS))  # per element

    @property
    def means(self) -> list[Decimal | None]:
        """Each element's mean score (1-4), to two decimals."""
        if not self.responses:
            return [None] * len(ELEMENTS)
        return [_cents(Fraction(total, self.responses)) for total in self.totals]

    @property
    def index(self) -> Decimal | None:
        """The mean of the nine element means × 25: from 25 (all 1) to 100 (all 4)."""
        if not self.responses:
            return None
        return _cents(Fraction(sum(self.totals), self.responses * len(ELEMENTS)) * 25)

    @property
    def category(self) -> tuple[str, str] | None:
        """("A", "Sangat Baik") .. ("D", "Tidak Baik")."""
        return None if self.index is None else category(self.index)


def category(index: Decimal) -> tuple[str, str]:
    """The regulation's quality category of an index rounded to two decimals (so that
    no value falls between two intervals)."""
    for lowest, letter, name in CATEGORIES:
        if index >= lowest:
            return letter, name
    return CATEGORIES[-1][1:]


def ikm(office: Office, first: date, last: date) -> list[Month]:
    """The satisfaction index of every month that overlaps first..last, whole months,
    each answer counted in the month of its time at the office (its own zone)."""
    zone = ZoneInfo(office.timezone)
    months = [Month(day) for day in _months(first, last)]
    start = datetime.combine(months[0].month, time(), zone)
    end = datetime.combine(_next_month(months[-1].month), time(), zone)
    by_month = {m.month: m for m in months}
    answers = Survey.objects.filter(office=office, answered_at__gte=start, answered_at__lt=end)
    for answered_at, *scores in answers.values_list("answered_at", *SCORE_FIELDS):
        month = by_month[answered_at.astimezone(zone).date().replace(day=1)]
        month.responses += 1
        month.totals = [total + score for total, score in zip(month.totals, scores, strict=True)]
    return months


def _months(first: date, last: date) -> list[date]:
    month, months = first.replace(day=1), []
    while month <= last:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _cents(value: Fraction) -> Decimal:
    """Rounded half up to two decimals, as the regulation's tables are."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP)
