"""Retention, once a night in every worker. Running in several at once is safe: each
batch locks the rows it takes and skips those another worker holds (retention.py)."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from antrean.lib import queue
from antrean.privacy import retention

log = logging.getLogger(__name__)


# 19:30 UTC (Huey's clock) is 02:30 WIB, 03:30 WITA, 04:30 WIT: every office is closed.
@db_periodic_task(crontab(minute="30", hour="19"), priority=queue.PERIODIC)
def retention_task():
    tally = retention.run(timezone.now())
    done = {kind: count for kind, count in tally.items() if count}
    if done:  # counts only: nothing of the people themselves
        log.info("retention: %s", ", ".join(f"{kind} {count}" for kind, count in done.items()))
