"""The lottery itself: plain Python, no Django, so anyone can run it to check a draw.

Commit and reveal: a release's random seed is drawn when the release is planned and only
its SHA-256 is published; the seed is published after the window closed. Entries are
numbered 1..N in the order they came, so the order of the draw follows from the seed and N
alone: ticket t's key is SHA-256("<seed>:<t>"), and tickets go in ascending key order.
Nobody can choose their key (the seed is secret while entries come in), nobody can change
the seed afterwards (its hash was public), and the keys of a uniformly random seed put
every order of the tickets equally likely.
"""

import hashlib
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def new_seed() -> str:
    return secrets.token_hex(32)


def seed_hash(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def ticket_key(seed: str, ticket: int) -> str:
    return hashlib.sha256(f"{seed}:{ticket}".encode()).hexdigest()


def order(seed: str, entries: int) -> list[int]:
    """Tickets 1..`entries` in the order the draw serves them."""
    return sorted(range(1, entries + 1), key=lambda ticket: ticket_key(seed, ticket))


def next_month(day: date) -> tuple[date, date]:
    """The first and last day of the month after `day`'s."""
    first = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def monthly_window(
    month_first: date,
    *,
    is_working_day,
    at: time,
    minutes: int,
    zone: ZoneInfo,
) -> tuple[datetime, datetime]:
    """The window releasing the month starting `month_first`: the last working day of the
    month before, at `at` office time, for `minutes`."""
    day = month_first - timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    opens = datetime.combine(day, at, tzinfo=zone)
    return opens, opens + timedelta(minutes=minutes)
