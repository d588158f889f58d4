"""Fixtures shared by every app's tests.

The reference office is small on purpose, so tests can fill it: Monday to Friday,
08.00-12.00 WIB (four hourly slots of 3 seats), 10 regular seats a day, a 14-day horizon.
`now` is Monday 9 August 2027, 06.00 WIB; Tuesday 17 August (Independence Day) is closed.
"""

import datetime
import itertools
import os
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, settings

# Property-based tests: "ci" (the default) is bounded and deterministic - the same examples
# on every run, so a red build is always the change's doing and always reproducible.
# HYPOTHESIS_PROFILE=fuzz explores: random examples, 25 times as many, failures kept in
# .hypothesis/ and replayed first on the next run (then pin them with @example).
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,  # a shared CI machine's pauses are not bugs
    derandomize=True,  # implies no example database
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=5_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def scaled_examples(share: float) -> int:
    """A share of the profile's examples, for property tests whose examples are slow
    (each one a request and a drain): they grow with HYPOTHESIS_PROFILE=fuzz too."""
    return max(10, round(settings().max_examples * share))


def pytest_collection_modifyitems(items):
    """Every database test may use every database: on SQLite the webhook's deliveries live
    in a file of their own (antrean/whatsapp/inbox.py), and any test that posts to the
    webhook writes there. Keeps each test's own marker arguments (transaction=True...)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        uses_db = {"db", "transactional_db", "live_server"} & set(item.fixturenames)
        if marker is None and not uses_db:
            continue
        kwargs = dict(marker.kwargs) if marker else {}
        if marker and marker.args:
            kwargs.setdefault("transaction", marker.args[0])
        kwargs.setdefault("databases", "__all__")
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)


WIB = ZoneInfo("Asia/Jakarta")
WITA = ZoneInfo("Asia/Makassar")
WIT = ZoneInfo("Asia/Jayapura")
NOW = datetime.datetime(2027, 8, 9, 6, 0, tzinfo=WIB)  # a Monday
BIRTH = datetime.date(1987, 1, 25)

_numbers = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _huey_in_memory():
    """Tasks enqueued by code under test wait in memory; tests run the work directly."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    original = HUEY.storage
    HUEY.storage = MemoryStorage(HUEY.name)
    yield
    HUEY.storage = original


@pytest.fixture(autouse=True, scope="session")
def _ingest_nudges_at_once():
    """The webhook's nudge is sent in the request's thread, so a test sees it queued when
    the post returns (the nudging thread has tests of its own, in test_webhook)."""
    from antrean.whatsapp import ingest

    ingest._nudger.in_thread = False
    yield
    ingest._nudger.in_thread = True


@pytest.fixture(autouse=True)
def _fresh_reference_data():
    """Each test starts with nothing remembered: a test's rows are rolled back, and ids are
    reused after a rollback, without the save signals that would forget them."""
    from antrean.lib.memo import forget_all

    forget_all()


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def make_office(db):
    from antrean.offices.models import Office, WhatsAppNumber

    def make(**fields):
        n = next(_numbers)
        values = {
            "code": f"office-{n}",
            "name": f"Kantor Imigrasi Uji {n}",
            "office_class": "I_NON_TPI",
            "city": "Jakarta Pusat",
            "province": "DKI Jakarta",
            "timezone": "Asia/Jakarta",
            "working_days": "12345",
            "opens_at": datetime.time(8, 0),
            "closes_at": datetime.time(12, 0),
            "capacity_per_hour": 3,
            "daily_regular": 10,
            "daily_percepatan": 2,
            "daily_priority": 2,
            "horizon_days": 14,
            "confirm_minutes": 60,
        }
        values.update(fields)
        office = Office.objects.create(**values)
        WhatsAppNumber.objects.create(
            office=office,
            phone_number_id=f"9{n:014d}",
            display_phone_number=f"+62 811-9000-{n:04d}",
            is_primary=True,
        )
        return office

    return make


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def service(db):
    from antrean.offices.models import ServiceType

    return ServiceType.objects.get(code="baru")


@pytest.fixture
def services(db):
    from antrean.offices.models import ServiceType

    return {s.code: s for s in ServiceType.objects.all()}


_phones = itertools.count(10_000_000)


def new_phone() -> str:
    """A valid, unused Indonesian mobile number as WhatsApp writes it (62812xxxxxxxx)."""
    return f"62812{next(_phones):08d}"


_serials = itertools.count(1)


def nik_for(birth: datetime.date, *, female=False, province="31", serial: str | None = None) -> str:
    """A well-formed NIK for `birth`; a new serial each call, so NIKs never collide."""
    day = birth.day + (40 if female else 0)
    serial = serial or f"{next(_serials) % 9999 + 1:04d}"
    return f"{province}7101{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial}"


@pytest.fixture
def book(office, service, now):
    """Book with sensible defaults; any argument of `actions.book` may be overridden."""
    from antrean.booking import actions

    def _book(**overrides):
        args = {
            "office": office,
            "service": service,
            "phone": new_phone(),
            "name": "Budi Santoso",
            "birth_date": BIRTH,
            "now": now,
            "channel": "whatsapp",
            "actor": "test",
            "visit_date": datetime.date(2027, 8, 10),
        }
        args.update(overrides)
        return actions.book(**args)

    return _book


@pytest.fixture
def chromium(monkeypatch):
    """Headless Chromium for a test against the live server (antrean/ops/tests/chromium.py).

    Ask for it after the fixture that sets the site up: it starts after the database is
    set up and closes before it is flushed. While Playwright's sync API runs, this thread
    has a running event loop, and Django then hands it a different connection object
    (asgiref's thread-critical Local), one without the serialized contents that
    serialized_rollback restores from. Those connections are closed while the loop still
    runs: left open, PostgreSQL refuses to drop the test database ("being accessed by other
    users").
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from antrean.ops.tests.chromium import launch, require_chromium

    require_chromium()
    # The ORM calls a test makes between browser steps are plain synchronous ones.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()
        connections.close_all()
