"""The lifecycle's periodic task, run by `antrean worker`. Safe to run twice, or on two
workers at once: every change re-checks its booking under its row lock, and every message
goes once through the notice ledger."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from antrean.jobs import lifecycle
from antrean.lib import queue

log = logging.getLogger(__name__)


# No lock: a lock left behind by a killed worker would stop every deadline for good.
@db_periodic_task(crontab(minute="*"), priority=queue.PERIODIC)
def lifecycle_task():
    tally = lifecycle.run(timezone.now())
    if tally.changed or tally.told:
        log.info("lifecycle: %d bookings changed, %d messages queued", tally.changed, tally.told)
