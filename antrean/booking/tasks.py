"""Periodic booking jobs, run by `antrean worker`. Each is safe to run twice."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from antrean.booking import actions

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("booking-expiry")
def expire_bookings():
    """Lapse unconfirmed codes and void codes whose holder missed the arrival time."""
    now = timezone.now()
    lapsed = actions.lapse_unconfirmed(now=now)
    late = actions.expire_late(now=now)
    if lapsed or late:
        log.info("expired bookings: %d unconfirmed, %d late", lapsed, late)
