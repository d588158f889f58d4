"""One pass of the release job, with `now` given (tests call it directly)."""

from datetime import datetime

from antrean.offices.models import Office, ReleaseMode
from antrean.release import actions


def run(now: datetime) -> dict:
    """Draw and give out the releases whose window closed, then plan the next ones (at
    once, so the days after a release are held again without a gap)."""
    done: dict = {}
    for pk in actions.due(now):
        actions.draw_release(pk, now)
        tally = actions.allocate(pk, now)
        if tally is not None:
            done[f"release {pk}"] = tally
    planned = sum(
        actions.plan(office, now) is not None
        for office in Office.objects.filter(release_mode=ReleaseMode.LOTTERY, is_active=True)
    )
    if planned:
        done["planned"] = planned
    return done
