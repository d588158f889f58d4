"""The PNBP fee on the web: the bank's signed callback, and the demo's payment page.

Both record a payment through `booking.payments.pay`, like the officer's "Tandai lunas";
paying twice is harmless there, so a callback the bank repeats gets the same answer.

The callback (`POST /pembayaran/callback`) is signed like Stripe's webhooks rather than
Meta's: HMAC-SHA256 of `f"{timestamp}.{raw body}"` with `PAYMENT_CALLBACK_SECRET`, the
timestamp in `X-Antrean-Timestamp` and the signature in `X-Antrean-Signature:
sha256=<hex>`. Signing the timestamp with the body lets us refuse a replay after five
minutes. Every answer is JSON with a stable `error` code and a `message` for the person
reading the bank's logs (see docs/payments.md for the contract).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from antrean.booking import payments
from antrean.booking.errors import (
    BookingError,
    PaymentAmountWrong,
    PaymentNotFound,
    PaymentTooLate,
)
from antrean.booking.models import Booking, Payment
from antrean.content.dates import format_datetime
from antrean.content.money import rupiah
from antrean.web import i18n
from antrean.web.common import refusal

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Antrean-Signature"
TIMESTAMP_HEADER = "X-Antrean-Timestamp"
PREFIX = "sha256="
TOLERANCE_SECONDS = 5 * 60  # a signed request older (or newer) than this is a replay
MAX_BODY = 16 * 1024  # a callback is a few hundred bytes
MAX_REFERENCE = 40  # the bank's id; " @ <paid_at>" is added, within the column's 64
BILLING_CODE = re.compile(r"[0-9]{15}")

# The applicant-facing errors of `payments.pay` and the HTTP status each gets.
STATUS_FOR = {
    PaymentNotFound.reason: 404,
    PaymentTooLate.reason: 409,
    PaymentAmountWrong.reason: 422,
}


# --- Signature -----------------------------------------------------------------------------
def sign(timestamp: str, body: bytes, secret: str) -> str:
    """`sha256=<hex>` of `{timestamp}.{body}`: what the bank sends, what we expect."""
    signed = timestamp.encode() + b"." + body
    return PREFIX + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(timestamp: str, body: bytes, header: str, secret: str) -> bool:
    """Constant-time comparison of the header with the signature of timestamp and body."""
    if not secret or not header or not timestamp:
        return False
    return hmac.compare_digest(sign(timestamp, body, secret).encode(), header.strip().encode())


# --- The callback --------------------------------------------------------------------------
class Refused(Exception):
    def __init__(self, status: int, error: str, message: str, **extra):
        super().__init__(error)
        self.status, self.error, self.message, self.extra = status, error, message, extra

    def response(self) -> JsonResponse:
        response = JsonResponse(
            {"error": self.error, "message": self.message, **self.extra}, status=self.status
        )
        if self.error == "unavailable":
            response["Retry-After"] = "60"
        return response


UNAVAILABLE = Refused(503, "unavailable", "Temporarily unavailable; nothing was recorded. Retry.")


@csrf_exempt
def callback(request):
    """The bank (or SIMPONI) tells us a bill was paid."""
    if request.method != "POST":
        response = Refused(405, "method_not_allowed", "Use POST.").response()
        response["Allow"] = "POST"
        return response
    try:
        return _record(request, timezone.now())
    except Exception:
        # A locked or unreachable database, or a bug: nothing was recorded, and the bank
        # should try again later. Never a stack trace in the answer.
        log.exception("payment callback failed")
        return UNAVAILABLE.response()


def _record(request, now: datetime) -> JsonResponse:
    try:
        body = _authentic_body(request, now)
        billing_code, amount, paid_at, reference = _fields(body)
        payment = payments.pay(
            billing_code=billing_code,
            now=now,
            actor="bank",
            amount=amount,
            reference=f"{reference} @ {paid_at:%Y-%m-%dT%H:%M:%SZ}",
        )
    except Refused as refused:
        if refused.status == 401:
            log.warning("payment callback refused: %s", refused.error)
        return refused.response()
    except BookingError as error:
        return _refused_by_rules(error, billing_code).response()
    booking = Booking.objects.filter(pk=payment.booking_id).values_list("code", flat=True)
    log.info("payment callback: %s paid", billing_code)
    return JsonResponse(
        {
            "status": "paid",
            "billing_code": payment.billing_code,
            "booking": booking.get(),
            "paid_at": payment.paid_at.isoformat(),
        }
    )


def _authentic_body(request, now: datetime) -> bytes:
    secret = settings.PAYMENT_CALLBACK_SECRET
    if not secret:
        raise Refused(
            503,
            "callback_disabled",
            "Payment callbacks are not configured here (PAYMENT_CALLBACK_SECRET is unset).",
        )
    try:
        body = request.body
    except RequestDataTooBig:
        body = b"x" * (MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Refused(400, "body_too_large", f"The body may have at most {MAX_BODY} bytes.")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not timestamp or not signature:
        raise Refused(
            401,
            "signature_missing",
            f"Both {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required.",
        )
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Refused(401, "timestamp_invalid", f"{TIMESTAMP_HEADER} must be unix seconds.")
    if not verify(timestamp, body, signature, secret):
        raise Refused(
            401,
            "signature_invalid",
            "The signature does not match HMAC-SHA256 of '{timestamp}.{body}'.",
        )
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise Refused(
            401,
            "timestamp_stale",
            f"{TIMESTAMP_HEADER} is more than {TOLERANCE_SECONDS // 60} minutes from our "
            f"clock ({int(now.timestamp())}).",
        )
    return body


def _fields(body: bytes) -> tuple[str, int, datetime, str]:
    """billing code, amount, the bank's paid_at (UTC), reference; or a 400."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise Refused(400, "invalid_json", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", "The body must be a JSON object.")

    def bad(field: str, why: str) -> Refused:
        return Refused(400, "invalid_field", f"{field}: {why}", field=field)

    billing_code = data.get("billing_code")
    if not isinstance(billing_code, str) or not BILLING_CODE.fullmatch(billing_code):
        raise bad("billing_code", "15 digits, as a string.")
    amount = data.get("amount")
    if type(amount) is not int or amount <= 0:
        raise bad("amount", "a positive whole number of Rupiah.")
    raw_paid_at = data.get("paid_at")
    try:
        paid_at = datetime.fromisoformat(raw_paid_at) if isinstance(raw_paid_at, str) else None
        if paid_at is not None and paid_at.utcoffset() is not None:
            paid_at = paid_at.astimezone(UTC)  # kept with the reference, in UTC
        else:
            paid_at = None
    except (ValueError, OverflowError):
        paid_at = None
    if paid_at is None:
        raise bad("paid_at", "an ISO 8601 date and time with its offset.")
    reference = data.get("reference")
    if (
        not isinstance(reference, str)
        or not reference.strip()
        or len(reference.strip()) > MAX_REFERENCE
        or not reference.isprintable()
    ):
        raise bad("reference", f"the bank's transaction id, 1-{MAX_REFERENCE} characters.")
    return billing_code, amount, paid_at, reference.strip()


def _refused_by_rules(error: BookingError, billing_code: str) -> Refused:
    status = STATUS_FOR.get(error.reason)
    if status == 404:
        return Refused(404, error.reason, "No bill has this billing code.")
    if status == 409:
        return Refused(
            409,
            error.reason,
            f"Booking {error.details.get('code')} has ended ({error.details.get('status')}) "
            "and its bill is void: the payment must be refunded.",
            booking=error.details.get("code"),
            booking_status=str(error.details.get("status")),
        )
    if status == 422:
        expected = (
            Payment.objects.filter(billing_code=billing_code).values_list("amount", flat=True)
        ).first()
        return Refused(422, error.reason, "The amount does not match the bill.", expected=expected)
    log.warning("payment callback: %s", error)  # Busy, or a rule we do not expect here
    return UNAVAILABLE


# --- What a bill says, for pages -----------------------------------------------------------
@dataclass(frozen=True)
class Bill:
    billing_code: str
    amount: str  # "Rp650.000"
    due_at: datetime  # in the office's zone
    due: str  # worded in the page's language, with the zone
    state: str  # paid | unpaid | lapsed (the booking ended unpaid: the code is void)
    paid: str  # when we recorded the payment, worded; "" while unpaid


def payment_of(booking: Booking) -> Payment | None:
    try:
        return booking.payment
    except Payment.DoesNotExist:
        return None


def bill_of(booking: Booking, lang: str) -> Bill | None:
    """The booking's bill as pages show it; None where the fee is paid at the office."""
    payment = payment_of(booking)
    if payment is None:
        return None
    zone = ZoneInfo(booking.office.timezone)
    if payment.paid_at is not None:
        state = "paid"
    elif booking.status in payments.PAYABLE:
        state = "unpaid"
    else:
        state = "lapsed"
    due_at = payment.due_at.astimezone(zone)
    return Bill(
        billing_code=payment.billing_code,
        amount=rupiah(payment.amount),
        due_at=due_at,
        due=format_datetime(due_at, lang),
        state=state,
        paid=format_datetime(payment.paid_at.astimezone(zone), lang) if payment.paid_at else "",
    )


# --- The demo's payment page ---------------------------------------------------------------
def simulator_open(request) -> bool:
    """The simulated payment page answers when PAYMENT_SIMULATOR is on, and (like the
    WhatsApp simulator, unless WHATSAPP_SIMULATOR_PUBLIC) only this machine: it marks
    bills paid without any money, so a server left in demo mode must not offer it."""
    if not settings.PAYMENT_SIMULATOR:
        return False
    if settings.WHATSAPP_SIMULATOR_PUBLIC:
        return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_http_methods(["GET", "POST"])
def simulator(request, billing_code: str):
    if not simulator_open(request):
        raise Http404("the payment simulator is off")
    if not BILLING_CODE.fullmatch(billing_code):
        raise Http404("no such bill")
    payment = (
        Payment.objects.select_related("booking__office").filter(billing_code=billing_code).first()
    )
    if payment is None:
        raise Http404("no such bill")
    booking = payment.booking
    lang = i18n.language(request)
    problem, done, status = "", False, 200
    if request.method == "POST":
        try:
            payments.pay(
                billing_code=billing_code,
                now=timezone.now(),
                actor="simulator",
                reference=f"SIM-{secrets.token_hex(4).upper()}",
            )
        except BookingError as error:
            problem = refusal(request, error, booking.office)
            status = STATUS_FOR.get(error.reason, 400)
        else:
            done = True
        booking = Booking.objects.select_related("office").get(pk=booking.pk)  # fresh bill
    return render(
        request,
        "web/payment.html",
        {
            "booking": booking,
            "office": booking.office,
            "bill": bill_of(booking, lang),
            "problem": problem,
            "done": done,
        },
        status=status,
    )
