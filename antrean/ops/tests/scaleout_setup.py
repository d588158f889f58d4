"""The scale-out test's setup, run inside `antrean shell` (a real process, the ORM and the
booking write layer, as an officer's change in the admin would go).

    antrean shell -c "from antrean.ops.tests import scaleout_setup; scaleout_setup.main('{...}')"
"""

import json
from datetime import date, timedelta


def main(arguments: str) -> None:
    plan = json.loads(arguments)
    shrink_office(**plan["shrink"])
    issue_stale_codes(**plan["stale"])


def shrink_office(*, code: str, daily_regular: int, capacity_per_hour: int) -> None:
    """A small office, so that racing applicants fill its day and its hours."""
    from antrean.offices.models import Office

    office = Office.objects.get(code=code)
    office.daily_regular = daily_regular
    office.capacity_per_hour = capacity_per_hour
    office.full_clean()
    office.save()


def issue_stale_codes(*, office: str, phones: list[str], visit_date: str) -> None:
    """Booking codes issued two hours ago and never confirmed: their confirmation deadline
    has passed, so the lifecycle job, which every worker schedules, must lapse each once
    and tell each applicant once."""
    from django.utils import timezone

    from antrean.booking import actions
    from antrean.offices.models import Office, ServiceType

    issued = timezone.now() - timedelta(hours=2)
    the_office = Office.objects.get(code=office)
    service = ServiceType.objects.get(code="baru")
    for phone in phones:
        booked = actions.book(
            office=the_office,
            service=service,
            phone=phone,
            name="Sari Wulandari",
            birth_date=date(1990, 3, 14),
            now=issued,
            channel="whatsapp",
            actor=f"whatsapp:{phone}",
            visit_date=date.fromisoformat(visit_date),
        )
        assert booked.booking.confirm_by < timezone.now(), "the code should have lapsed"
