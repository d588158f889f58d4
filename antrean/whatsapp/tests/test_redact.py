"""Webhook bodies in the log keep their shape and lose who they were about."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.whatsapp.redact import redact
from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.conftest import fixture_cases, needs_fixtures

# Keys whose values name, reach or quote a person in Meta's payloads.
PERSONAL = {
    "wa_id",
    "from",
    "recipient_id",
    "user_id",
    "parent_user_id",
    "name",
    "formatted_name",
    "first_name",
    "last_name",
    "body",
    "caption",
    "filename",
    "phone",
    "email",
    "address",
    "latitude",
    "longitude",
    "emoji",
    "text",
    "payload",
}


def leaves(value, key=None):
    """(key, value) for every value that is not a dict or a list, under its own key."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from leaves(v, key)
    else:
        yield key, value


def keys(value):
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys(v)


def personal_values(value):
    for key, leaf in leaves(value):
        if key in PERSONAL and leaf not in (None, True, False, ""):
            yield str(leaf)


WHAT_HAPPENED = {
    "object",
    "field",
    "type",
    "status",
    "id",
    "phone_number_id",
    "display_phone_number",
}


def kept(value):
    """The (key, value) pairs that say what happened."""
    return [(key, leaf) for key, leaf in leaves(value) if key in WHAT_HAPPENED]


@needs_fixtures
@pytest.mark.parametrize(("file", "case", "body"), fixture_cases())
def test_no_fixture_leaks_a_person_and_each_keeps_what_happened(file, case, body):
    logged = json.dumps(redact(body), ensure_ascii=False)
    # A reply's context and a call name our own business number: not a person's. A value
    # that is also a key's name ("caption": "caption") is found as the key.
    ours = {str(value) for _, value in kept(body)} | set(keys(body))
    for secret in set(personal_values(body)) - ours:
        assert secret not in logged, (case, secret)
    assert sorted(kept(redact(body)), key=repr) == sorted(kept(body), key=repr)


def test_our_own_message_loses_name_number_nik_and_text():
    text = "#Budi Santoso#3171012501870001#25011987#09082027"
    body = make.text("1122334455", "6281234567890", text)
    logged = json.dumps(redact(body))
    for secret in ["Budi", "Pemohon", "6281234567890", "3171012501870001", "25011987"]:
        assert secret not in logged
    assert f"<{len(text)} chars>" in logged  # where the text was, and how long


def test_a_field_meta_adds_tomorrow_is_redacted_too():
    body = {"object": "whatsapp_business_account", "new_thing": {"nik": "3171012501870001"}}
    assert redact(body) == {
        "object": "whatsapp_business_account",
        "new_thing": {"nik": "<16 chars>"},
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=40,
)


@given(json_values)
def test_any_json_value_is_redacted_without_error_and_stays_json(value):
    json.dumps(redact(value))


def test_a_very_deep_body_is_cut_not_followed():
    deep: list = []
    for _ in range(5_000):
        deep = [deep]
    assert "…" in json.dumps(redact(deep), ensure_ascii=False)


@pytest.mark.django_db
def test_the_drain_logs_the_body_at_debug_with_nobody_in_it(client, secret, number, caplog):
    import logging

    text = "#Budi Santoso#25011987#09082027"
    with caplog.at_level(logging.DEBUG, logger="antrean.whatsapp.ingest"):
        make.post(client, make.text(number.phone_number_id, "6281234567890", text))
    lines = [r.getMessage() for r in caplog.records if r.name == "antrean.whatsapp.ingest"]
    body_lines = [line for line in lines if "whatsapp_business_account" in line]
    assert body_lines, lines
    assert not any("Budi" in line or "6281234567890" in line for line in lines)
