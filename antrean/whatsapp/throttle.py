"""Meta's sending limits, kept in the database so that every worker process obeys them.

- Throughput per business number (80 messages/s by default, up to 1,000): a generic cell
  rate: each send reserves the next free instant, `1/rate` after the previous one. A
  sender may reserve the instants of several messages at once (one transaction for a
  chat's replies); one it does not use stays unused, which only makes the pace slower.
- Pair rate, one number to one person (about one message per 6 s, with short bursts): a
  token bucket on the chat. Only the chat's current sender touches it (see the lease), so
  it computes the bucket from the row it read after taking the lease and writes it back
  with its lease renewal (outbox.py) before it sends.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from antrean.whatsapp.models import NumberThrottle


def pair_tokens(tokens: float | None, at: datetime | None, now: datetime) -> float:
    """The chat's bucket at `now`, from what was stored (`tokens` left at time `at`)."""
    burst, interval = settings.WHATSAPP_PAIR_BURST, settings.WHATSAPP_PAIR_INTERVAL
    tokens = float(burst) if tokens is None else tokens
    if at is not None:
        tokens = min(burst, tokens + (now - at).total_seconds() / interval)
    return tokens


def pair_token_wait(tokens: float) -> float:
    """Seconds until a bucket holding `tokens` (fewer than one) holds one."""
    return max(0.0, 1 - tokens) * settings.WHATSAPP_PAIR_INTERVAL


def step() -> timedelta:
    """The time between two messages of one number."""
    return timedelta(seconds=1 / settings.WHATSAPP_THROUGHPUT)


def number_wait(phone_number_id: str, now: datetime, slots: int = 1) -> float:
    """Reserve the number's next `slots` send instants, one `step()` apart; the seconds
    until the first comes.

    Inside the caller's transaction when there is one (the row lock is then held until it
    commits)."""
    with transaction.atomic(savepoint=False):
        throttle, _ = NumberThrottle.objects.select_for_update().get_or_create(
            phone_number_id=phone_number_id, defaults={"next_at": now}
        )
        slot = max(throttle.next_at, now)
        NumberThrottle.objects.filter(pk=throttle.pk).update(next_at=slot + slots * step())
    return (slot - now).total_seconds()
