"""Reading every kind of Cloud API update, including the shared fixtures, tolerantly."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.whatsapp import payloads
from antrean.whatsapp.tests import payloads_for_tests as make
from antrean.whatsapp.tests.conftest import FIXTURES, fixture_cases, needs_fixtures


def only(body):
    events = payloads.parse(body)
    assert len(events) == 1
    return events[0]


@needs_fixtures
@pytest.mark.parametrize(("file", "case", "body"), fixture_cases())
def test_every_fixture_parses(file, case, body):
    events = payloads.parse(body)
    assert events
    for event in events:
        assert isinstance(event, payloads.Message | payloads.Status | payloads.Other)


@needs_fixtures
def test_fixture_kinds_are_read_as_meant():
    def case(file, name):
        return json.loads((FIXTURES / "pywa" / file).read_text())[name]

    text = only(case("message.json", "text"))
    assert (text.kind, text.text, text.wa_id, text.wamid) == (
        "text",
        "Body Text",
        "972987654321",
        "wamid.xyzxyz",
    )
    assert text.profile_name == "Test Name"
    assert only(case("message.json", "image")).media_id == "65463453"
    assert only(case("message.json", "document")).mime_type == "application/pdf"
    assert only(case("message.json", "voice")).kind == "voice"
    assert only(case("message.json", "audio")).kind == "audio"
    assert only(case("message.json", "static_sticker")).kind == "sticker"
    assert only(case("message.json", "current_location")).kind == "location"
    assert only(case("message.json", "unsupported")).kind == "unsupported"
    assert only(case("message.json", "interactive_message_with_err")).kind == "unsupported"
    button = only(case("callback_button.json", "button"))
    assert (button.kind, button.reply_id, button.text) == ("button_reply", "callback_data", "title")
    quick = only(case("callback_button.json", "quick_reply_without_context"))
    assert (quick.kind, quick.reply_id) == ("quick_reply", "callback_data")
    assert only(case("callback_selection.json", "description")).kind == "list_reply"
    for ignored in [
        ("message.json", "reaction"),
        ("edited_message.json", "image"),
        ("deleted_message.json", "revoke"),
        ("system.json", "identity_change"),
        ("system.json", "phone_number_change"),
    ]:
        assert isinstance(only(case(*ignored)), payloads.Other), ignored
    failed = only(case("message_status.json", "failed"))
    assert (failed.status, failed.error_code) == ("failed", 130472)
    assert only(case("message_status.json", "with_tracker")).opaque == "some data"
    assert isinstance(only(case("account_update.json", "account_deleted")), payloads.Other)


@needs_fixtures
def test_the_old_format_signed_sample_is_read_too():
    body = json.loads((FIXTURES / "signed" / "body.json").read_bytes())
    message = only(body)
    assert (message.kind, message.text) == ("text", "Hey there! I am using PyWa.")


def test_our_own_builders_round_trip():
    message = only(make.text("1001", "6281234567890", "#Budi#25011987#10082027"))
    assert message.text == "#Budi#25011987#10082027"
    assert message.phone_number_id == "1001"
    status = only(make.status("1001", "wamid.X", "delivered", opaque="out:7"))
    assert (status.status, status.opaque) == ("delivered", "out:7")


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "x",
        3,
        {},
        {"object": "page"},
        {"object": "whatsapp_business_account"},
        {"object": "whatsapp_business_account", "entry": "x"},
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": "x"}]}],
        },
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messages": [
                                    {
                                        "type": "text",
                                        "from": "62812",
                                        "id": "w",
                                        "timestamp": "x",
                                        "text": "not an object",
                                    }
                                ]
                            },
                        }
                    ]
                }
            ],
        },
    ],
)
def test_strange_bodies_never_raise(body):
    assert all(isinstance(e, payloads.Message | payloads.Other) for e in payloads.parse(body))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "object",
                    "entry",
                    "changes",
                    "field",
                    "value",
                    "messages",
                    "statuses",
                    "type",
                    "id",
                    "from",
                    "text",
                    "body",
                    "interactive",
                    "timestamp",
                    "metadata",
                    "phone_number_id",
                    "errors",
                    "code",
                    "status",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@given(json_values)
def test_no_json_value_makes_the_parser_raise(value):
    payloads.parse(value)
    payloads.parse(
        {
            "object": "whatsapp_business_account",
            "entry": [{"changes": [{"field": "messages", "value": value}]}],
        }
    )
