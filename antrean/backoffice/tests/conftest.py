import datetime

import pytest

from antrean.backoffice.models import Staff
from antrean.backoffice.roles import Role
from antrean.booking import actions

from conftest import WIB


@pytest.fixture
def counters(office):
    from antrean.offices.models import Counter

    return [Counter.objects.create(office=office, number=n) for n in (1, 2, 3)]


@pytest.fixture
def other_office(make_office):
    return make_office()


def _user(django_user_model, name, role, office):
    user = django_user_model.objects.create_user(username=name)  # no password: fast; force_login
    Staff.objects.create(user=user, role=role, office=office)
    return user


@pytest.fixture
def people(django_user_model, office, other_office):
    """One named account per role, and an officer of another office."""
    return {
        "hq": _user(django_user_model, "pusat", Role.HQ, None),
        "supervisor": _user(django_user_model, "supervisor", Role.SUPERVISOR, office),
        "officer": _user(django_user_model, "petugas", Role.OFFICER, office),
        "elsewhere": _user(django_user_model, "petugas-lain", Role.OFFICER, other_office),
    }


@pytest.fixture
def as_user(client, people):
    def login(name):
        client.force_login(people[name])
        return client

    return login


VISIT = datetime.date(2027, 8, 10)  # the Tuesday after NOW
ON_TIME = datetime.datetime(2027, 8, 10, 7, 0, tzinfo=WIB)  # before the 08.00 hour's 07.30


@pytest.fixture
def confirmed(book, now):
    """A confirmed booking for 08.00 on VISIT."""

    def make(**overrides):
        booking = book(**overrides).booking
        return actions.confirm(code=booking.code, now=now, actor="test")

    return make


@pytest.fixture
def arrived(confirmed):
    """A booking checked in on time on VISIT."""

    def make(at=ON_TIME, **overrides):
        booking = confirmed(**overrides)
        return actions.check_in(code=booking.code, now=at, actor="test", identity_checked=True)

    return make
