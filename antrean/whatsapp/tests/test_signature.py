import json

import pytest

from antrean.whatsapp.signature import sign, verify
from antrean.whatsapp.tests.conftest import FIXTURES, needs_fixtures


@needs_fixtures
def test_the_byte_exact_signed_sample_verifies():
    body = (FIXTURES / "signed" / "body.json").read_bytes()
    meta = json.loads((FIXTURES / "signed" / "meta.json").read_text())
    assert len(body) == 511
    assert verify(body, meta["signature_header"], meta["app_secret"])
    assert sign(body, meta["app_secret"]) == meta["signature_header"]


@needs_fixtures
@pytest.mark.parametrize(
    "change",
    [
        lambda b: b + b" ",  # re-serialised
        lambda b: b.replace(b"PyWa", b"Pywa"),
        lambda b: b[:-1],
    ],
)
def test_any_change_to_the_body_breaks_it(change):
    body = (FIXTURES / "signed" / "body.json").read_bytes()
    meta = json.loads((FIXTURES / "signed" / "meta.json").read_text())
    assert not verify(change(body), meta["signature_header"], meta["app_secret"])


def test_wrong_secret_missing_header_or_secret():
    body = b'{"a":1}'
    header = sign(body, "s3cret")
    assert verify(body, header, "s3cret")
    assert not verify(body, header, "other")
    assert not verify(body, "", "s3cret")
    assert not verify(body, header, "")
    assert not verify(body, "sha256=" + "0" * 64, "s3cret")
