"""Property-based tests of the webhook payload parser (antrean/whatsapp/payloads.py).

Any JSON value, and any body shaped like Meta's with parts missing, of the wrong type,
strange, truncated, repeated or buried deep, is read without an exception; and what the
parser hands on fits the columns it will be stored in, so a strange body can never make
the drain fail on the database.
"""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from antrean.whatsapp import payloads
from antrean.whatsapp.tests import mutants

# Any JSON value json.loads can produce (keys are strings), lone surrogates and NUL too.
JSON_TEXT = st.text(alphabet=st.characters(codec=None), max_size=20)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**18)
    | st.floats()
    | JSON_TEXT,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(JSON_TEXT | st.sampled_from(["object", "entry", "changes"]), children)
    ),
    max_leaves=30,
)

DEEP = json.loads("[" * 900 + "]" * 900)


def check(events) -> None:
    for event in events:
        assert isinstance(event, payloads.Message | payloads.Status | payloads.Other)
        if isinstance(event, payloads.Message):
            # wa_id and wamid are stored in CharFields; a wa_id is a phone number to answer.
            assert event.wa_id.isascii() and event.wa_id.isdigit() and len(event.wa_id) <= 20
            assert 0 < len(event.wamid) <= payloads.MAX_WAMID and "\x00" not in event.wamid
            assert "\x00" not in event.text + event.profile_name + event.reply_id
            again = payloads.message_from_raw(event.raw, event.phone_number_id)
            assert (again.kind, again.wamid, again.text) == (event.kind, event.wamid, event.text)
        elif isinstance(event, payloads.Status):
            assert 0 < len(event.wamid) <= payloads.MAX_WAMID
            # error_code is an IntegerField: 32 bits on every database.
            assert event.error_code is None or (
                type(event.error_code) is int and -(2**31) <= event.error_code < 2**31
            )
        else:
            assert isinstance(event.field, str) and isinstance(event.summary, str)
            assert len(event.summary) <= 300  # a log line, not a copy of the body


def parse_in_every_place(value) -> None:
    """`value` as the body, a change, a change's value, a message and a status."""
    check(payloads.parse(value))
    body = {"object": "whatsapp_business_account", "entry": [{"changes": [value]}]}
    check(payloads.parse(body))
    body["entry"][0]["changes"] = [{"field": "messages", "value": value}]
    check(payloads.parse(body))
    body["entry"][0]["changes"][0]["value"] = {"messages": [value], "statuses": [value]}
    check(payloads.parse(body))
    payloads.message_from_raw(value)


@given(JSON)
@example({"object": "x" * 1_000})
@example({"event": ["x"] * 1_000, "a" * 1_000: 1})
def test_no_json_value_makes_the_parser_raise(value):
    parse_in_every_place(value)


# Nested as deep as json.loads goes. Not hypothesis examples: its report would recurse.
@pytest.mark.parametrize(
    "value",
    [DEEP, {"object": DEEP}, {"event": DEEP}, {"type": "text", "id": DEEP, "from": DEEP}],
    ids=["list", "object", "event", "message"],
)
def test_values_nested_deep_are_read_without_recursing(value):
    parse_in_every_place(value)


@given(mutants.mutants())
def test_no_mutant_of_a_real_update_makes_the_parser_raise(body):
    check(payloads.parse(body))
    check(payloads.parse(json.loads(mutants.dumps(body))))  # as the drain reads it


def _value(**message) -> dict:
    base = {"from": "6281234567890", "id": "wamid.X", "timestamp": "1", "type": "text"}
    return {"messages": [base | message]}


def _status(**status) -> dict:
    return {"statuses": [{"id": "wamid.X", "status": "failed", "timestamp": "1"} | status]}


@pytest.mark.parametrize(
    "value",
    [
        _value(**{"from": "٦٢٨١٢٣٤٥٦٧٨٩٠"}),  # digits to isdigit(), not a phone number
        _value(**{"from": "²²²"}),
        _status(errors=[{"code": 10**30}]),
        _status(errors=[{"code": 2**31}]),
        _status(errors=[{"code": True}]),
    ],
    ids=["Arabic-Indic sender", "superscript sender", "code 10**30", "code 2**31", "code true"],
)
def test_values_that_do_not_fit_are_dropped_by_the_parser(value):
    check(payloads.parse(mutants.make.envelope(value)))
