"""Reference data remembered in the process for a few seconds.

Every WhatsApp message reads the same office facts (closures, service types, the staff's
texts). They change a few times a year, through the admin, while messages come by the
hundred a second; reading them once per message was a third of a message's queries.

A change made in this process forgets everything at once (`forget_all`, connected to the
models' save and delete signals); other processes see it within `REFERENCE_CACHE_SECONDS`
(default 5). What may be stale is only what an officer just edited, never a booking: seat
counts, bookings and releases are always read fresh, and integrity stays in the database.
"""

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from django.conf import settings

T = TypeVar("T")

_entries: dict[Hashable, tuple[float, object]] = {}
_lock = threading.Lock()
_generation = 0  # bumped by forget_all, so a load that raced a change is not kept


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """`load()`'s value for `key`, loaded at most once per REFERENCE_CACHE_SECONDS."""
    ttl = settings.REFERENCE_CACHE_SECONDS
    if ttl <= 0:
        return load()
    now = time.monotonic()
    found = _entries.get(key)
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[return-value]
    generation = _generation
    value = load()
    with _lock:
        if generation == _generation:
            if len(_entries) > 10_000:  # keys include days: never let them pile up
                _entries.clear()
            _entries[key] = (now + ttl, value)
    return value


def forget_all(*args, **kwargs) -> None:
    """Forget everything (usable as a signal receiver)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()
