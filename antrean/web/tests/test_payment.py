"""The PNBP fee on the web: the bank's signed callback, the demo's payment page, the proof."""

import datetime
import hashlib
import hmac
import io
import json

import pytest
from django.db import OperationalError
from pypdf import PdfReader

from antrean.booking import actions, payments
from antrean.booking.lifecycle import Status
from antrean.booking.models import BookingEvent, Payment
from antrean.web.common import MINE

from conftest import NOW

pytestmark = pytest.mark.django_db

SECRET = "bank-and-us-only"
MOMENT = NOW + datetime.timedelta(minutes=10)  # the callback arrives
URL = "/pembayaran/callback"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MOMENT, tick=False)
    return time_machine


@pytest.fixture
def secret(settings):
    settings.PAYMENT_CALLBACK_SECRET = SECRET
    return SECRET


@pytest.fixture
def billed(office, book):
    """A booking confirmed at NOW at an office that takes the fee before the visit."""
    office.payment = "before"
    office.save()

    def make(**overrides):
        booking = book(**overrides).booking
        actions.confirm(code=booking.code, now=NOW, actor="t")
        booking.refresh_from_db()
        return booking

    return make


@pytest.fixture
def bill(billed):
    return billed().payment


def body(payment, **changes):
    fields = {
        "billing_code": payment.billing_code,
        "amount": payment.amount,
        "paid_at": "2027-08-09T06:08:00+07:00",
        "reference": "BNI-000123",
    }
    return {**fields, **changes}


def call(client, data, *, at=MOMENT, key=SECRET, signature=None, headers=None):
    """POST `data` (a dict, or raw bytes) signed as the docs say."""
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    timestamp = str(int(at.timestamp()))
    mac = hmac.new(key.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    sent = {"X-Antrean-Timestamp": timestamp, "X-Antrean-Signature": f"sha256={mac}"}
    if signature is not None:
        sent["X-Antrean-Signature"] = signature
    sent.update(headers or {})
    return client.post(URL, raw, content_type="application/json", headers=sent)


def paid_events(booking):
    return BookingEvent.objects.filter(booking=booking, action="paid").count()


# --- The callback ----------------------------------------------------------------------------
def test_a_signed_callback_records_the_payment_once(client, clock, secret, bill):
    response = call(client, body(bill))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "paid",
        "billing_code": bill.billing_code,
        "booking": bill.booking.code,
        "paid_at": "2027-08-08T23:10:00+00:00",  # our record's time, UTC
    }
    bill.refresh_from_db()
    assert bill.paid_at == MOMENT and bill.paid_by == "bank"
    assert bill.reference == "BNI-000123 @ 2027-08-08T23:08:00Z"  # the bank's own time, UTC
    assert paid_events(bill.booking) == 1

    clock.move_to(MOMENT + datetime.timedelta(minutes=1))  # the bank did not see our 200
    again = call(
        client, body(bill, reference="BNI-000999"), at=MOMENT + datetime.timedelta(minutes=1)
    )
    assert again.status_code == 200
    assert datetime.datetime.fromisoformat(again.json()["paid_at"]) == MOMENT  # the first stands
    bill.refresh_from_db()
    assert bill.reference.startswith("BNI-000123") and paid_events(bill.booking) == 1


def test_a_wrong_or_missing_signature_is_refused(client, clock, secret, bill):
    assert call(client, body(bill), key="someone-else").json()["error"] == "signature_invalid"
    tampered = call(client, body(bill), signature="sha256=" + "0" * 64)
    assert (tampered.status_code, tampered.json()["error"]) == (401, "signature_invalid")
    no_signature = client.post(URL, json.dumps(body(bill)), content_type="application/json")
    assert (no_signature.status_code, no_signature.json()["error"]) == (401, "signature_missing")
    not_a_time = call(client, body(bill), headers={"X-Antrean-Timestamp": "yesterday"})
    assert (not_a_time.status_code, not_a_time.json()["error"]) == (401, "timestamp_invalid")
    bill.refresh_from_db()
    assert bill.paid_at is None


def test_the_signature_covers_the_body(client, clock, secret, bill):
    raw = json.dumps(body(bill)).encode()
    timestamp = str(int(MOMENT.timestamp()))
    mac = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    other = json.dumps(body(bill, amount=1)).encode()
    response = client.post(
        URL,
        other,
        content_type="application/json",
        headers={"X-Antrean-Timestamp": timestamp, "X-Antrean-Signature": f"sha256={mac}"},
    )
    assert (response.status_code, response.json()["error"]) == (401, "signature_invalid")


def test_a_stale_or_future_timestamp_is_a_replay(client, clock, secret, bill):
    for off in (-301, 301):
        response = call(client, body(bill), at=MOMENT + datetime.timedelta(seconds=off))
        assert (response.status_code, response.json()["error"]) == (401, "timestamp_stale")
    bill.refresh_from_db()
    assert bill.paid_at is None
    late_but_fine = call(client, body(bill), at=MOMENT - datetime.timedelta(seconds=299))
    assert late_but_fine.status_code == 200


def test_without_a_secret_the_callback_refuses_everything(client, clock, settings, bill):
    settings.PAYMENT_CALLBACK_SECRET = ""
    response = call(client, body(bill), key="")
    assert response.status_code == 503
    assert response.json()["error"] == "callback_disabled"
    assert "PAYMENT_CALLBACK_SECRET" in response.json()["message"]
    bill.refresh_from_db()
    assert bill.paid_at is None


def test_an_unknown_billing_code_is_404(client, clock, secret, bill):
    unknown = "8" + ("0" * 14 if bill.billing_code != "8" + "0" * 14 else "1" * 14)
    response = call(client, body(bill, billing_code=unknown))
    assert (response.status_code, response.json()["error"]) == (404, "payment_not_found")


def test_a_wrong_amount_is_422_and_records_nothing(client, clock, secret, bill):
    assert bill.amount == 650_000
    response = call(client, body(bill, amount=350_000))
    assert response.status_code == 422
    assert response.json()["error"] == "payment_amount_wrong"
    assert response.json()["expected"] == 650_000
    bill.refresh_from_db()
    assert bill.paid_at is None and paid_events(bill.booking) == 0


def test_a_payment_after_the_booking_lapsed_is_409(client, clock, secret, bill):
    lapsed_at = bill.due_at + datetime.timedelta(minutes=1)
    assert payments.lapse_unpaid(now=lapsed_at) == 1
    clock.move_to(lapsed_at)
    response = call(client, body(bill), at=lapsed_at)
    assert response.status_code == 409
    assert response.json()["error"] == "payment_too_late"
    assert response.json()["booking"] == bill.booking.code
    assert response.json()["booking_status"] == Status.EXPIRED
    bill.refresh_from_db()
    assert bill.paid_at is None


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b"\xff\xfe", None),
        (b"[" * 5000 + b"]" * 5000, None),
        ({"amount": 650_000}, "billing_code"),
        ({"billing_code": "12345"}, "billing_code"),
        ({"billing_code": 812345678901234}, "billing_code"),
        ({"amount": "650000"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": -5}, "amount"),
        ({"paid_at": "2027-08-09T06:08:00"}, "paid_at"),  # no offset
        ({"paid_at": "kemarin"}, "paid_at"),
        ({"paid_at": "9999-12-31T23:00:00-05:00"}, "paid_at"),
        ({"reference": ""}, "reference"),
        ({"reference": "x" * 41}, "reference"),
        ({"reference": "BNI\n123"}, "reference"),
    ],
)
def test_malformed_bodies_are_400(client, clock, secret, bill, raw, field):
    if isinstance(raw, dict):
        data = body(bill, **raw)
        if "billing_code" not in raw and field == "billing_code":
            del data["billing_code"]
        raw = json.dumps(data).encode()
    response = call(client, raw)
    assert response.status_code == 400
    expected = "invalid_json" if field is None else "invalid_field"
    assert response.json()["error"] == expected
    assert response.json().get("field") == field
    assert response.json()["message"]
    bill.refresh_from_db()
    assert bill.paid_at is None


def test_only_post_is_allowed(client, secret):
    response = client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["error"] == "method_not_allowed"


def test_a_database_failure_is_a_clean_503_to_retry(client, clock, secret, bill, monkeypatch):
    def broken(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(payments, "pay", broken)
    response = call(client, body(bill))
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response["Retry-After"] == "60"
    assert b"Traceback" not in response.content


# --- The demo's payment page -----------------------------------------------------------------
def test_the_simulated_page_shows_the_bill_in_the_offices_zone_and_pays_it(
    client, clock, settings, billed, make_office
):
    settings.PAYMENT_SIMULATOR = True
    makassar = make_office(timezone="Asia/Makassar", payment="before")
    booking = billed(office=makassar)
    payment = booking.payment
    url = f"/pembayaran/simulasi/{payment.billing_code}"

    page = client.get(url).content.decode()
    assert makassar.name in page and booking.code in page and payment.billing_code in page
    assert "Rp650.000" in page
    # confirmed at 07.00 WITA (06.00 WIB): two hours to pay
    assert "Senin, 9 Agustus 2027 pukul 09.00 WITA" in page
    assert 'data-state="unpaid"' in page and "Bayar sekarang (simulasi)" in page

    response = client.post(url)
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.paid_at == MOMENT and payment.paid_by == "simulator"
    assert payment.reference.startswith("SIM-")
    page = response.content.decode()
    assert 'data-state="paid"' in page and "Lunas" in page
    assert "Bayar sekarang (simulasi)" not in page
    assert paid_events(booking) == 1


def test_the_simulated_page_speaks_english(client, clock, settings, bill):
    settings.PAYMENT_SIMULATOR = True
    client.cookies["lang"] = "en"
    page = client.get(f"/pembayaran/simulasi/{bill.billing_code}").content.decode()
    assert "Pay now (simulation)" in page and "Monday, 9 August 2027 at 08:00 WIB" in page


def test_a_lapsed_bill_cannot_be_paid_on_the_simulated_page(client, clock, settings, bill):
    settings.PAYMENT_SIMULATOR = True
    payments.lapse_unpaid(now=bill.due_at + datetime.timedelta(minutes=1))
    url = f"/pembayaran/simulasi/{bill.billing_code}"
    page = client.get(url).content.decode()
    assert 'data-state="lapsed"' in page and "Bayar sekarang" not in page
    response = client.post(url)
    assert response.status_code == 409
    assert "tidak berlaku lagi" in response.content.decode()
    bill.refresh_from_db()
    assert bill.paid_at is None


def test_the_simulated_page_is_404_when_off_or_from_elsewhere(client, clock, settings, bill):
    url = f"/pembayaran/simulasi/{bill.billing_code}"
    settings.PAYMENT_SIMULATOR = False
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    bill.refresh_from_db()
    assert bill.paid_at is None

    settings.PAYMENT_SIMULATOR = True
    settings.WHATSAPP_SIMULATOR_PUBLIC = False
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 404
    settings.WHATSAPP_SIMULATOR_PUBLIC = True
    assert client.get(url, REMOTE_ADDR="203.0.113.9").status_code == 200
    assert client.get("/pembayaran/simulasi/800000000000000").status_code == 404
    assert client.get("/pembayaran/simulasi/abc").status_code == 404


# --- The proof ---------------------------------------------------------------------------------
def _may_see(client, code):
    session = client.session
    session[MINE] = [code]
    session.save()


def test_the_proof_shows_an_unpaid_bill_and_in_the_demo_where_to_pay(client, clock, settings, bill):
    settings.PAYMENT_SIMULATOR = True
    booking = bill.booking
    _may_see(client, booking.code)
    page = client.get(f"/bukti/{booking.code}").content.decode()
    assert 'data-bill="unpaid"' in page
    assert bill.billing_code in page and "Rp650.000" in page
    assert "Senin, 9 Agustus 2027 pukul 08.00 WIB" in page
    assert f'href="/pembayaran/simulasi/{bill.billing_code}"' in page

    settings.PAYMENT_SIMULATOR = False
    page = client.get(f"/bukti/{booking.code}").content.decode()
    assert bill.billing_code in page and "/pembayaran/simulasi/" not in page


def test_the_proof_says_lunas_once_paid(client, clock, bill):
    payments.pay(billing_code=bill.billing_code, now=MOMENT, actor="t", reference="X1")
    _may_see(client, bill.booking.code)
    page = client.get(f"/bukti/{bill.booking.code}").content.decode()
    assert 'data-bill="paid"' in page and "Lunas" in page
    assert "/pembayaran/simulasi/" not in page and "data-billing-code" not in page


def test_the_proof_pdf_carries_the_bill(client, clock, bill):
    _may_see(client, bill.booking.code)
    response = client.get(f"/bukti/{bill.booking.code}/pdf")
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert bill.billing_code in words and "Rp650.000" in words and "Belum dibayar" in words


def test_a_booking_paid_at_the_office_shows_no_bill(client, clock, book):
    booking = book().booking
    actions.confirm(code=booking.code, now=NOW, actor="t")
    assert not Payment.objects.filter(booking=booking).exists()
    _may_see(client, booking.code)
    page = client.get(f"/bukti/{booking.code}").content.decode()
    assert "data-bill" not in page and "Kode billing" not in page
