import json
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from antrean.whatsapp.tests.graph_server import GraphServer
from antrean.whatsapp.tests.payloads_for_tests import SECRET

FIXTURES = Path(
    os.environ.get(
        "WHATSAPP_FIXTURES",
        Path(django_settings.BASE_DIR).parent / "shared" / "fixtures" / "whatsapp",
    )
)


def fixture_cases():
    """(file, case, envelope) for every payload in the shared fixtures."""
    if not (FIXTURES / "pywa").is_dir():
        return []
    cases = []
    for path in sorted((FIXTURES / "pywa").glob("*.json")):
        for case, body in json.loads(path.read_text()).items():
            cases.append(pytest.param(path.name, case, body, id=f"{path.stem}-{case}"))
    return cases


needs_fixtures = pytest.mark.skipif(
    not (FIXTURES / "pywa").is_dir(),
    reason=f"WhatsApp fixtures not found at {FIXTURES} (set WHATSAPP_FIXTURES to their folder)",
)


@pytest.fixture
def secret(settings):
    settings.WHATSAPP_APP_SECRET = SECRET
    return SECRET


@pytest.fixture
def graph(settings):
    server = GraphServer().start()
    settings.WHATSAPP_API_URL = server.url
    settings.WHATSAPP_ACCESS_TOKEN = server.token
    settings.WHATSAPP_SIMULATOR = False
    settings.WHATSAPP_TIMEOUT = 1.0
    yield server
    server.stop()


@pytest.fixture
def number(office):
    return office.numbers.get()


@pytest.fixture
def contact(number):
    from django.utils import timezone

    from antrean.whatsapp.models import Contact

    return Contact.objects.create(
        number=number, wa_id="6281234567890", last_inbound_at=timezone.now()
    )
