"""The back office's statistics count the same after retention erased the people: per day,
per counter, and the satisfaction index, as functions and as the supervisors' CSV."""

import datetime

import pytest
from django.urls import reverse

from antrean.backoffice.models import Staff
from antrean.backoffice.statistics import ikm, report
from antrean.booking.models import Booking
from antrean.privacy import retention

from conftest import NOW

pytestmark = pytest.mark.django_db

FEBRUARY = (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
AUGUST = (datetime.date(2027, 8, 1), datetime.date(2027, 8, 31))


@pytest.fixture
def supervisor(django_user_model, office):
    user = django_user_model.objects.create_user(username="supervisor")
    Staff.objects.create(user=user, role="supervisor", office=office)
    return user


def numbers(office, user, client):
    # Signed in each time: retention at NOW (2027) deletes today's sessions as expired.
    client.force_login(user)
    found = {}
    for first, last in (FEBRUARY, AUGUST):
        days, desks = report(office, first, last)
        csv = client.get(
            reverse("backoffice:statistics"),
            {"from": first.isoformat(), "to": last.isoformat(), "format": "csv"},
        )
        assert csv.status_code == 200
        found[first] = (days, desks, ikm(office, first, last), csv.content.decode())
    return found


def test_statistics_are_the_same_before_and_after_retention(world, office, supervisor, client):
    before = numbers(office, supervisor, client)
    days, desks, months, _ = before[FEBRUARY[0]]
    # The February day is all there: five bookings, two served, a no-show, two counters.
    assert [(d.booked, d.expected, d.arrived, d.served, d.no_show) for d in days] == [
        (4, 3, 3, 2, 1)
    ]
    assert [(d.counter, d.served, len(d.waits)) for d in desks] == [(1, 2, 2), (2, 0, 1)]
    assert months[0].responses == 1

    assert retention.run(NOW)["bookings"] == 5
    assert not Booking.objects.filter(visit_date__lt=AUGUST[0]).exclude(name="").exists()

    assert numbers(office, supervisor, client) == before
