"""How many messages one person may have us process: a token bucket, as plain arithmetic.

Each message takes a token; `per_minute` tokens come back every minute, up to `burst`.
A message that finds no token is limited: not answered by the dialog. The person is told
so once, and again only after a quiet period: a minute without any message from them,
the pause the notice (chat.too_fast) asks for.

No Django, no clock: the state is kept on the contact and `now` is passed in.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

QUIET = timedelta(minutes=1)


@dataclass(frozen=True)
class Bucket:
    tokens: float
    at: datetime  # the latest message counted
    told: bool = False  # told to slow down, and not quiet since


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    tell: bool  # limited, and the person is to be told (once per quiet period)
    bucket: Bucket  # the state after this message


def admit(bucket: Bucket | None, now: datetime, *, burst: int, per_minute: float) -> Verdict:
    """Count one message sent at `now` against `bucket` (None: a person new to the limit)."""
    if bucket is None:
        bucket = Bucket(tokens=float(burst), at=now)
    elapsed = max(0.0, (now - bucket.at).total_seconds())  # a late message refills nothing
    tokens = min(float(burst), bucket.tokens + elapsed * per_minute / 60)
    tokens = max(0.0, tokens)
    told = bucket.told and elapsed < QUIET.total_seconds()
    at = max(bucket.at, now)
    if tokens >= 1:
        return Verdict(allowed=True, tell=False, bucket=Bucket(tokens - 1, at, told))
    return Verdict(allowed=False, tell=not told, bucket=Bucket(tokens, at, told=True))
