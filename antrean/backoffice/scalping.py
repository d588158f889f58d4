"""Signs of scalping (calo) in one office's bookings and quota-lottery entries.

Plain Python over plain rows, with `now` passed in. Three patterns, each flagged with the
bookings and entries that make it up:

- one NIK from many phones: a person's NIK (as its lookup hash) used by several numbers;
- a block of numbers: many phones that differ only in their last digits, i.e. SIM cards
  bought together;
- a burst of new numbers: many bookings or entries within minutes from phones the office
  first saw less than a day before.

A flag is a reason to look, not a verdict: nothing here changes a booking. Which office
the rows belong to is the caller's business (`scalping_data`).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# The digits a block keeps at least (62 8xx and two more): a phone too short for that is
# no block's member, or a short prefix would lump unrelated numbers together.
SHORTEST_PREFIX = 7


class Rule(StrEnum):
    SHARED_NIK = "shared_nik"
    NUMBER_BLOCK = "number_block"
    NEW_NUMBER_BURST = "new_number_burst"


@dataclass(frozen=True)
class Act:
    """One booking or one lottery entry, made from `phone` at `at`."""

    ref: str  # what the officer reads: the booking code, or the lottery ticket
    phone: str  # digits, as WhatsApp writes them (6281234567890)
    at: datetime
    niks: frozenset[str] = frozenset()  # lookup hashes of every person in it
    code: str = ""  # the booking to open, if there is one (an entry's once it won)
    status: str = ""  # shown as is
    entry: bool = False


@dataclass(frozen=True)
class Limits:
    window: timedelta = timedelta(days=30)
    nik_phones: int = 3  # one NIK from at least this many phones
    block_phones: int = 5  # at least this many phones in one block...
    block_digits: int = 3  # ... of numbers that differ only in these last digits
    burst_count: int = 20  # at least this many bookings or entries from new phones...
    burst_span: timedelta = timedelta(minutes=10)  # ... within this span
    new_for: timedelta = timedelta(hours=24)  # a phone first seen less than this before
    evidence: int = 50  # rows listed per flag; the rest are counted

    def __post_init__(self):
        if min(self.nik_phones, self.block_phones, self.burst_count) < 2:
            raise ValueError("a pattern needs at least 2 phones or bookings")
        if not 1 <= self.block_digits <= 6:
            raise ValueError("a number block varies in its last 1 to 6 digits")
        spans = (self.window, self.burst_span, self.new_for)
        if min(spans) <= timedelta(0) or self.evidence < 1:
            raise ValueError("the window, the spans and the evidence must be positive")


@dataclass(frozen=True)
class Evidence:
    act: Act
    first_seen: datetime | None = None  # bursts only: when the office first saw the phone


@dataclass(frozen=True)
class Flag:
    rule: Rule
    key: str  # which group: the NIK hash's first 8 characters, or "6281234567xxx"; "" for bursts
    phones: tuple[str, ...]  # distinct, sorted
    count: int  # bookings and entries in the group
    first: datetime
    last: datetime
    rows: tuple[Evidence, ...]  # at most `Limits.evidence`
    more: int  # rows left off
    peak: int = 0  # bursts: the most bookings and entries within one span


def detect(
    acts: Iterable[Act],
    *,
    first_seen: Mapping[str, datetime],
    now: datetime,
    limits: Limits = Limits(),  # frozen: one shared default is safe
) -> list[Flag]:
    """Every flag over the window ending at `now`, shared NIKs first, then blocks, then bursts.

    `first_seen` maps a phone to when the office first saw it; a phone missing from it is
    new.
    """
    since = now - limits.window
    recent = sorted((a for a in acts if since <= a.at <= now), key=_by_time)
    return [
        *shared_niks(recent, limits),
        *number_blocks(recent, limits),
        *new_number_bursts(recent, first_seen, limits),
    ]


def shared_niks(acts: list[Act], limits: Limits) -> list[Flag]:
    groups: dict[str, list[Act]] = defaultdict(list)
    for act in acts:
        for nik in act.niks:
            groups[nik].append(act)
    flags = [
        _flag(Rule.SHARED_NIK, nik[:8], group, limits, order=_by_phone)
        for nik, group in groups.items()
        if _phones(group) >= limits.nik_phones
    ]
    return sorted(flags, key=_biggest_first)


def number_blocks(acts: list[Act], limits: Limits) -> list[Flag]:
    groups: dict[str, list[Act]] = defaultdict(list)
    for act in acts:
        if act.phone.isdigit() and len(act.phone) - limits.block_digits >= SHORTEST_PREFIX:
            groups[block_of(act.phone, limits.block_digits)].append(act)
    flags = [
        _flag(Rule.NUMBER_BLOCK, block, group, limits, order=_by_phone)
        for block, group in groups.items()
        if _phones(group) >= limits.block_phones
    ]
    return sorted(flags, key=_biggest_first)


def block_of(phone: str, digits: int) -> str:
    """6281234567890 -> 6281234567xxx"""
    return phone[:-digits] + "x" * digits


def new_number_bursts(
    acts: list[Act], first_seen: Mapping[str, datetime], limits: Limits
) -> list[Flag]:
    """Runs of spans holding at least `burst_count` acts from new phones; overlapping spans
    are one burst. A span is half-open: [t, t + burst_span)."""
    fresh = [a for a in acts if is_new(a, first_seen, limits.new_for)]  # in time order
    runs: list[list[int]] = []  # [first index, end index (exclusive), peak]
    end = 0
    for start, act in enumerate(fresh):
        while end < len(fresh) and fresh[end].at - act.at < limits.burst_span:
            end += 1
        count = end - start
        if count < limits.burst_count:
            continue
        if runs and start < runs[-1][1]:  # shares acts with the run before: the same burst
            runs[-1][1:] = [end, max(runs[-1][2], count)]
        else:
            runs.append([start, end, count])
    flags = []
    for start, end, peak in runs:
        group = fresh[start:end]
        seen = {a.phone: first_seen.get(a.phone) for a in group}
        flag = _flag(Rule.NEW_NUMBER_BURST, "", group, limits, order=_by_time, seen=seen)
        flags.append(replace(flag, peak=peak))
    return sorted(flags, key=lambda f: f.first, reverse=True)  # the latest first


def is_new(act: Act, first_seen: Mapping[str, datetime], new_for: timedelta) -> bool:
    seen = first_seen.get(act.phone)
    return seen is None or act.at - seen < new_for


def _flag(
    rule: Rule,
    key: str,
    group: list[Act],
    limits: Limits,
    *,
    order: Callable[[Act], tuple],
    seen: Mapping[str, datetime | None] | None = None,
) -> Flag:
    shown = sorted(group, key=order)[: limits.evidence]
    return Flag(
        rule=rule,
        key=key,
        phones=tuple(sorted({a.phone for a in group})),
        count=len(group),
        first=min(a.at for a in group),
        last=max(a.at for a in group),
        rows=tuple(Evidence(a, seen.get(a.phone) if seen else None) for a in shown),
        more=len(group) - len(shown),
    )


def _phones(group: list[Act]) -> int:
    return len({a.phone for a in group})


def _by_time(act: Act) -> tuple:
    return (act.at, act.ref)


def _by_phone(act: Act) -> tuple:
    return (act.phone, act.at, act.ref)


def _biggest_first(flag: Flag) -> tuple:
    return (-len(flag.phones), -flag.count, flag.key)
