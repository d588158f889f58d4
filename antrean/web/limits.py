"""Rate limits for the public pages, kept in the database so every process shares them.

A fixed window per limit and key: the first act in a window creates its row, and each act
is one conditional UPDATE (`used < count`), so concurrent requests never both take the
last allowance. Keys are hashed: the table holds neither addresses nor phone numbers.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F

from antrean.lib.crypto import lookup_hash
from antrean.web.models import Allowance


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    per: timedelta


# Generous for a person, tight for a script. Settings may override the counts.
SEND_CODE_PER_ADDRESS = Limit("send_code_address", 10, timedelta(hours=1))
SEND_CODE_PER_PHONE = Limit("send_code_phone", 3, timedelta(minutes=15))
LOOKUP_PER_ADDRESS = Limit("lookup_address", 10, timedelta(minutes=15))
LOOKUP_PER_CODE = Limit("lookup_code", 10, timedelta(hours=1))
BOOK_PER_ADDRESS = Limit("book_address", 20, timedelta(hours=1))


class Exceeded(Exception):
    def __init__(self, limit: Limit, retry_after: int):
        super().__init__(limit.name)
        self.limit, self.retry_after = limit, retry_after  # seconds


def take(limit: Limit, who: str, now: datetime) -> None:
    """Count one act of `who` against `limit`; raise `Exceeded` when none is left."""
    count = settings.WEB_RATE_LIMITS.get(limit.name, limit.count)
    seconds = int(limit.per.total_seconds())
    window = math.floor(now.timestamp() / seconds) * seconds
    key = lookup_hash(f"{limit.name}:{who}")
    rows = Allowance.objects.filter(key=key, window=window)
    if rows.filter(used__lt=count).update(used=F("used") + 1):
        return
    if not rows.exists():
        ends = datetime.fromtimestamp(window + seconds, tz=now.tzinfo)
        Allowance.objects.bulk_create(
            [Allowance(key=key, window=window, expires_at=ends)], ignore_conflicts=True
        )
        if rows.filter(used__lt=count).update(used=F("used") + 1):
            return
    raise Exceeded(limit, retry_after=max(1, window + seconds - int(now.timestamp())))


def prune(now: datetime) -> int:
    """Forget windows that have ended."""
    deleted, _ = Allowance.objects.filter(expires_at__lt=now).delete()
    return deleted
