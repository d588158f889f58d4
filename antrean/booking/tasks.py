"""Periodic booking jobs, run by `antrean worker`. Each is safe to run twice."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from antrean.booking import actions

log = logging.getLogger(__name__)


# No lock: each booking is expired under its own row lock, so two runs at once are harmless,
# and a lock left behind by a killed worker would stop the expiry for good.
@db_periodic_task(crontab(minute="*"))
def expire_bookings():
    """Lapse unconfirmed codes and void codes whose holder missed the arrival time."""
    now = timezone.now()
    lapsed = actions.lapse_unconfirmed(now=now)
    late = actions.expire_late(now=now)
    if lapsed or late:
        log.info("expired bookings: %d unconfirmed, %d late", lapsed, late)
