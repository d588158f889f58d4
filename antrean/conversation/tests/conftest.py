import pytest


@pytest.fixture(autouse=True)
def _no_inbound_limit(settings):
    """Conversations here are played at machine speed, steps seconds apart at most: faster
    than any person writes, and WHATSAPP_INBOUND_BURST would answer them "too fast". The
    limit has its own tests (antrean/whatsapp/tests/test_inbound_rate.py)."""
    settings.WHATSAPP_INBOUND_BURST = 1000
