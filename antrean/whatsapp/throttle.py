"""Meta's sending limits, kept in the database so that every worker process obeys them.

- Throughput per business number (80 messages/s by default, up to 1,000): a generic cell
  rate: each send reserves the next free instant, `1/rate` after the previous one.
- Pair rate, one number to one person (about one message per 6 s, with short bursts): a
  token bucket on the chat. Only the chat's current sender touches it (see the lease).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from antrean.whatsapp.models import Contact, NumberThrottle


def pair_wait(contact_id: int, now: datetime) -> float:
    """Seconds until this chat may receive another message; takes a token when zero."""
    burst, interval = settings.WHATSAPP_PAIR_BURST, settings.WHATSAPP_PAIR_INTERVAL
    with transaction.atomic():
        contact = Contact.objects.select_for_update(of=("self",)).get(pk=contact_id)
        tokens = float(burst) if contact.pair_tokens is None else contact.pair_tokens
        if contact.pair_at is not None:
            tokens = min(burst, tokens + (now - contact.pair_at).total_seconds() / interval)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) * interval
        Contact.objects.filter(pk=contact_id).update(pair_tokens=tokens, pair_at=now)
    return wait


def number_wait(phone_number_id: str, now: datetime) -> float:
    """Reserve the number's next send instant; the seconds until it comes."""
    step = timedelta(seconds=1 / settings.WHATSAPP_THROUGHPUT)
    with transaction.atomic():
        throttle, _ = NumberThrottle.objects.select_for_update().get_or_create(
            phone_number_id=phone_number_id, defaults={"next_at": now}
        )
        slot = max(throttle.next_at, now)
        NumberThrottle.objects.filter(pk=throttle.pk).update(next_at=slot + step)
    return (slot - now).total_seconds()
