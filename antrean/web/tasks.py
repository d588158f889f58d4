"""Housekeeping for the public pages, run by `antrean worker`. Safe to run twice."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from antrean.lib import queue
from antrean.web import limits, otp

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/10"), priority=queue.PERIODIC)
def forget_spent_codes_and_limits():
    """Delete one-time codes a day after they expired, and rate-limit windows that ended."""
    now = timezone.now()
    codes, windows = otp.prune(now), limits.prune(now)
    if codes or windows:
        log.info("forgot %d one-time codes and %d rate-limit windows", codes, windows)
