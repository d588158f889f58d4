"""Bad input at `/webhooks/whatsapp` and in the drain behind it.

Whatever a POST holds, the webhook answers 200 or a 4xx, never a 5xx. What it accepted is
stored and later ingested by the drain, which must neither raise nor stall on it: a
poisonous delivery is dropped (logged), and a good message queued after it is still
stored and answered.
"""

import itertools
import json
import logging

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.whatsapp import inbound, ingest, payloads, views
from antrean.whatsapp.models import Delivery, InboundMessage, OutboundMessage
from antrean.whatsapp.signature import sign
from antrean.whatsapp.tests import mutants
from antrean.whatsapp.tests import payloads_for_tests as make

from conftest import scaled_examples

pytestmark = pytest.mark.django_db

WA_ID = "6281234567890"  # the sender of the bad bodies built below
GOOD_WA_ID = "6281299999999"  # the person whose message comes after them
_wamids = itertools.count(1)


def post(client, raw: bytes, *, signed: bool = True, **headers):
    if signed:
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(raw, make.SECRET)
    return client.post("/webhooks/whatsapp", data=raw, content_type="application/json", **headers)


def the_next_good_message_is_answered(client, number, wa_id: str = GOOD_WA_ID) -> None:
    """Queue a good message behind whatever is stored, drain once, process the chat."""
    wamid = f"wamid.GOOD{next(_wamids)}"
    good = make.text(number.phone_number_id, wa_id, "halo", wamid=wamid)
    assert post(client, make.body_of(good)).status_code == 200
    ingest.drain()  # must not raise, whatever came before
    assert not Delivery.objects.exists()
    message = InboundMessage.objects.get(wamid=wamid)
    for _ in range(inbound.MAX_ATTEMPTS):  # a bad message before it in the chat may fail
        try:
            inbound.process_contact(message.contact_id)
            break
        except inbound.TryAgainLater:
            continue
    message.refresh_from_db()
    assert message.state == "processed"
    assert OutboundMessage.objects.filter(caused_by=message).exists()


def envelope_with(number, *, messages=(), statuses=(), contacts=None) -> dict:
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": number}}
    if contacts is not None:
        value["contacts"] = contacts
    if messages:
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return make.envelope(value)


def text_message(**fields) -> dict:
    message = {"from": WA_ID, "id": f"wamid.BAD{next(_wamids)}", "timestamp": "1786000000"}
    return message | {"type": "text", "text": {"body": "halo"}} | fields


def status(**fields) -> dict:
    return {"id": "wamid.NOT-OURS", "status": "sent", "timestamp": "1786000000"} | fields


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- Size ------------------------------------------------------------------------------


def test_the_limit_is_small_and_below_djangos():
    from django.conf import settings as django_settings

    assert views.MAX_BODY == 1024 * 1024
    django_limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert django_limit is None or views.MAX_BODY < django_limit  # ours is the one that holds


def test_a_body_over_the_limit_is_413_signed_or_not_and_nothing_is_stored(client, secret, number):
    padding = "x" * views.MAX_BODY
    raw = make.body_of(make.text(number.phone_number_id, WA_ID, padding))
    assert len(raw) > views.MAX_BODY
    assert post(client, raw).status_code == 413
    assert post(client, raw, signed=False).status_code == 413  # before the signature's cost
    assert not Delivery.objects.exists()
    the_next_good_message_is_answered(client, number)


def test_a_body_just_under_the_limit_is_stored_and_answered(client, secret, number):
    raw = make.body_of(make.text(number.phone_number_id, WA_ID, "#"))
    text = "x" * (views.MAX_BODY - len(raw) - 100)  # a LAW-looking text of ~1 MiB
    raw = make.body_of(make.text(number.phone_number_id, WA_ID, "#" + text))
    assert len(raw) <= views.MAX_BODY
    assert post(client, raw).status_code == 200
    the_next_good_message_is_answered(client, number, wa_id=WA_ID)  # the same chat


@pytest.mark.parametrize(
    "declared",
    [str(views.MAX_BODY + 1), "1000000000000", "9" * 5_000],
    ids=["1 MiB+1", "1 TB", "5,000 digits"],
)
def test_a_declared_length_over_the_limit_is_413_without_reading(client, secret, declared):
    raw = b'{"object":"whatsapp_business_account"}'
    response = post(client, raw, CONTENT_LENGTH=declared)
    assert response.status_code == 413
    assert not Delivery.objects.exists()


def test_a_body_longer_than_declared_is_413_too(rf, secret):
    raw = b'{"object":"whatsapp_business_account","x":"' + b"x" * views.MAX_BODY + b'"}'
    request = rf.post("/webhooks/whatsapp", data=raw, content_type="application/json")
    request.META["CONTENT_LENGTH"] = "100"  # understated; the stream still holds it all
    request.META["HTTP_X_HUB_SIGNATURE_256"] = sign(raw, make.SECRET)
    assert views.webhook(request).status_code == 413
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("declared", ["abc", "-1", "1e3", " "])
def test_a_declared_length_that_is_no_length_is_400(client, secret, declared):
    assert post(client, b"{}", CONTENT_LENGTH=declared).status_code == 400


# --- Bodies refused at the door --------------------------------------------------------

REFUSED = {
    "empty": b"",
    "garbage": b"garbage",
    "nested 100,000 deep, open": b"[" * 100_000,
    "nested 100,000 deep, closed": nested(100_000).encode(),
    "objects nested 100,000 deep": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "invalid UTF-8": b'{"object":"\xff\xfe"}',
    "UTF-16": json.dumps({"object": "whatsapp_business_account"}).encode("utf-16"),
    "a byte-order mark": b'\xef\xbb\xbf{"object":"whatsapp_business_account"}',
    "an integer of 5,000 digits": b'{"object":' + b"1" * 5_000 + b"}",
    "two documents": b"{}{}",
    "single quotes": b"{'object': 'whatsapp_business_account'}",
}


@pytest.mark.parametrize("raw", REFUSED.values(), ids=REFUSED.keys())
def test_a_body_that_is_not_json_is_400_and_nothing_is_stored(client, secret, number, raw):
    assert post(client, raw).status_code == 400
    assert not Delivery.objects.exists()
    the_next_good_message_is_answered(client, number)


@given(cut=st.integers(min_value=0), seed=st.sampled_from(mutants.SEEDS))
@settings(
    max_examples=scaled_examples(0.5),
    # The fixtures (office, client, app secret) are set up once for all examples; no
    # example changes them, and nothing is stored.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_a_truncated_body_is_400(client, secret, cut, seed):
    raw = mutants.dumps(seed)
    truncated = raw[: cut % len(raw)]
    assert post(client, truncated).status_code == 400
    assert not Delivery.objects.exists()


# --- Bodies accepted, then ingested or dropped by the drain -----------------------------


def poisons(number: str) -> dict[str, bytes]:
    big = 10**30
    return {
        "a list": b"[]",
        "a string": b'"whatsapp_business_account"',
        "a number": b"3",
        "null": b"null",
        "NaN": b'{"object":NaN,"entry":Infinity}',
        "a float too big for a float": b'{"object":1e999}',
        "wrong types at every level": json.dumps(
            {"object": "whatsapp_business_account", "entry": {"changes": 1}}
        ).encode(),
        "a lone surrogate in a text": mutants.dumps(
            envelope_with(number, messages=[text_message(text={"body": "\ud800"})])
        ),
        "a lone surrogate in a profile name": mutants.dumps(
            envelope_with(
                number,
                messages=[text_message()],
                contacts=[{"wa_id": WA_ID, "profile": {"name": "\udfff"}}],
            )
        ),
        "a lone surrogate in a wamid": mutants.dumps(
            envelope_with(number, messages=[text_message(id="wamid.\ud800")])
        ),
        "a lone surrogate in a failure": mutants.dumps(
            envelope_with(
                number,
                statuses=[status(status="failed", errors=[{"code": 1, "title": "\ud800"}])],
            )
        ),
        "NUL everywhere": mutants.dumps(
            envelope_with(
                number,
                messages=[text_message(id="wamid.\x00", text={"body": "\x00"})],
                contacts=[{"wa_id": WA_ID, "profile": {"name": "\x00"}}],
            )
        ),
        "an error code too big for any column": mutants.dumps(
            envelope_with(number, statuses=[status(status="failed", errors=[{"code": big}])])
        ),
        "an error code of true": mutants.dumps(
            envelope_with(number, statuses=[status(status="failed", errors=[{"code": True}])])
        ),
        "our callback data with a superscript": mutants.dumps(
            envelope_with(number, statuses=[status(biz_opaque_callback_data="out:²")])
        ),
        "our callback data with a huge id": mutants.dumps(
            envelope_with(number, statuses=[status(biz_opaque_callback_data="out:" + "9" * 25)])
        ),
        "our callback data with 5,000 digits": mutants.dumps(
            envelope_with(number, statuses=[status(biz_opaque_callback_data="out:" + "9" * 5_000)])
        ),
        "a timestamp of 1e300": mutants.dumps(
            envelope_with(number, messages=[text_message(timestamp=1e300)])
        ),
        "a timestamp of 30 digits": mutants.dumps(
            envelope_with(number, messages=[text_message(timestamp="9" * 30)])
        ),
        "a timestamp before year 1": mutants.dumps(
            envelope_with(number, messages=[text_message(timestamp=-1e20)])
        ),
        "a sender in Arabic-Indic digits": mutants.dumps(
            envelope_with(number, messages=[text_message(**{"from": "٦٢٨١٢٣٤٥٦٧٨٩٠"})])
        ),
        "a sender in superscripts": mutants.dumps(
            envelope_with(number, messages=[text_message(**{"from": "²²²"})])
        ),
        "a message nested 500 deep": mutants.dumps(
            envelope_with(number, messages=[text_message(extra=json.loads(nested(500)))])
        ),
        "an object nested 500 deep": json.dumps({"object": json.loads(nested(500))}).encode(),
    }


POISONS = sorted(poisons("").keys())


@pytest.mark.parametrize("name", POISONS)
def test_a_poisonous_delivery_is_acknowledged_and_does_not_stop_the_drain(
    client, secret, number, name, caplog
):
    caplog.set_level(logging.DEBUG, logger="antrean.whatsapp")  # the redacted body too
    response = post(client, poisons(number.phone_number_id)[name])
    assert response.status_code == 200
    # Ingested in the same drain as the good message behind it.
    the_next_good_message_is_answered(client, number)
    if "surrogate" in name:  # no database or encryption takes one: dropped, and logged
        assert "dropped" in caplog.text
    assert "halo" not in caplog.text  # ... without its content


@pytest.mark.parametrize(
    "opaque",
    ["out:²", "out:٣", "out:" + "9" * 25, "out:" + "9" * 5_000],
    ids=["superscript", "Arabic-Indic", "25 digits", "5,000 digits"],
)
def test_our_callback_data_is_read_only_when_it_is_ours(number, opaque):
    """Not only not raising in the drain (which would drop the delivery): the status is
    applied as one that names no row of ours."""
    body = envelope_with(number.phone_number_id, statuses=[status(biz_opaque_callback_data=opaque)])
    assert ingest.ingest(payloads.parse(body)).statuses == 1


def test_as_deep_as_the_webhook_accepts_the_drain_reads(client, secret, number):
    """The webhook parses the body once to check it; the drain parses it again (at
    another stack depth) and stores it. Find the deepest body the webhook takes."""
    low, high = 1, 5_000
    while low < high:  # the deepest accepted nesting, by bisection
        middle = (low + high + 1) // 2
        body = envelope_with(number.phone_number_id, messages=[text_message()])
        raw = mutants.dumps(body).replace(b'"halo"', nested(middle).encode())
        with transaction.atomic():
            accepted = post(client, raw).status_code == 200
            transaction.set_rollback(True)
        low, high = (middle, high) if accepted else (low, middle - 1)
    assert low > 10  # Meta's bodies are about 8 deep
    body = envelope_with(number.phone_number_id, messages=[text_message()])
    assert (
        post(client, mutants.dumps(body).replace(b'"halo"', nested(low).encode())).status_code
        == 200
    )
    the_next_good_message_is_answered(client, number)


def test_thousands_of_entries_changes_messages_and_statuses_in_one_body(client, secret, number):
    """A body as big as the limit allows, of events each cheap to read: the drain takes it
    in one go (a minute's worth of one person's flood is limited later, per chat)."""
    phone_number_id = number.phone_number_id
    flood = envelope_with(
        phone_number_id,
        messages=[text_message() for _ in range(1_000)],
        statuses=[status(id=f"wamid.S{n}") for n in range(2_000)],
    )
    flood["entry"] += [
        {"id": str(n), "changes": [{"field": "account_update", "value": {"event": "X"}}] * 3}
        for n in range(1_000)
    ]
    raw = mutants.dumps(flood)
    assert len(raw) <= views.MAX_BODY
    assert post(client, raw).status_code == 200
    the_next_good_message_is_answered(client, number)
    assert InboundMessage.objects.filter(contact__wa_id=WA_ID).count() == 1_000


@given(body=mutants.mutants() | mutants.spoiled())
@settings(
    max_examples=scaled_examples(0.5),
    # The fixtures (office, client, app secret) are set up once for all examples; each
    # example's rows are rolled back below, so no example sees another's.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.large_base_example],
)
def test_any_mutant_of_a_real_update_is_acknowledged_or_refused_and_drained(
    client, secret, number, body
):
    ours = json.dumps(number.phone_number_id).encode()
    raw = mutants.dumps(body).replace(json.dumps(mutants.OUR_NUMBER).encode(), ours)
    with transaction.atomic():
        response = post(client, raw)
        assert response.status_code in (200, 400, 413)
        the_next_good_message_is_answered(client, number)
        transaction.set_rollback(True)
