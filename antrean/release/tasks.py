"""The release's periodic task: plan each lottery office's next release, draw the ones
whose window closed, and give their seats. Safe on several workers at once: planning is
one row per office and month, the draw is a conditional update, allocation holds a lease."""

import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from antrean.lib import queue
from antrean.release import jobs

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"), priority=queue.PERIODIC)
def release_task():
    done = jobs.run(timezone.now())
    if done:
        log.info("release: %s", done)
