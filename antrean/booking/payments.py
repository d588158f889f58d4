"""The PNBP fee paid before the visit. Part of the one write layer, with `actions`.

An office with `payment = before` bills a booking when it is confirmed: a 15-digit
billing code for the service's fee times the applicants, due within
`office.payment_minutes` (and never after the arrival deadline). Payment arrives from the
bank through the signed callback, from an officer, or from the demo's payment page; the
same `pay` records all three, once. Unpaid at `due_at`, the booking lapses and its seats
return to the pool (and to the waitlist).
"""

import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from antrean.booking.errors import PaymentAmountWrong, PaymentNotFound, PaymentTooLate
from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking, Payment
from antrean.content.money import thousands
from antrean.offices.models import PaymentMode
from antrean.offices.schedules import schedule_for

PAYMENT_ACTOR = "system:payment"  # a bill passed its deadline unpaid
PAYABLE = frozenset({Status.CONFIRMED, Status.CHECKED_IN})
_CODE_ATTEMPTS = 8


def new_billing_code() -> str:
    # SIMPONI's codes are 15 digits; ours start with 8 so that they never lose a digit.
    return "8" + "".join(secrets.choice("0123456789") for _ in range(14))


def bill(booking: Booking, *, now: datetime) -> Payment | None:
    """Bill a booking just confirmed, inside the caller's transaction; None when its office
    takes the fee at the counter (or it was billed before)."""
    office = booking.office
    if office.payment != PaymentMode.BEFORE or Payment.objects.filter(booking=booking).exists():
        return None
    schedule = schedule_for(office, now)
    start = booking.slot_at.astimezone(schedule.timezone).time()
    due = min(
        now + timedelta(minutes=office.payment_minutes),
        schedule.arrival_deadline(booking.visit_date, start),
    )
    for _ in range(_CODE_ATTEMPTS):
        payment = Payment(
            booking=booking,
            billing_code=new_billing_code(),
            amount=booking.service.fee * booking.applicants,
            due_at=due,
            created_at=now,
        )
        try:
            with transaction.atomic():
                payment.save(force_insert=True)
            return payment
        except IntegrityError:
            continue  # 1 in 10^14: draw another code
    raise RuntimeError("could not draw an unused billing code")


def pay(
    *, billing_code: str, now: datetime, actor: str, amount: int | None = None, reference: str = ""
) -> Payment:
    """Record a payment. Paying twice is harmless: the first one stands."""
    from antrean.booking.actions import _locked, _record, _retrying

    @_retrying
    def record() -> Payment:
        with transaction.atomic():
            found = Payment.objects.filter(billing_code=billing_code.strip()).first()
            if found is None:
                raise PaymentNotFound()
            booking = _locked(found.booking_id)  # the booking first, as everywhere
            payment = Payment.objects.select_for_update().get(pk=found.pk)
            if payment.paid_at is not None:
                return payment
            if amount is not None and amount != payment.amount:
                raise PaymentAmountWrong(expected=thousands(payment.amount), got=thousands(amount))
            if booking.status not in PAYABLE:
                raise PaymentTooLate(code=booking.code, status=booking.status)
            payment.paid_at, payment.paid_by, payment.reference = now, actor[:80], reference[:64]
            payment.save(update_fields=["paid_at", "paid_by", "reference"])
            _record(
                booking,
                "paid",
                booking.status,
                booking.status,
                actor,
                now,
                {"billing_code": payment.billing_code, "reference": reference[:64] or None},
            )
            return payment

    return record()


def lapse_unpaid(*, now: datetime, limit: int = 1000) -> int:
    """Expire confirmed bookings whose bill passed its deadline unpaid; seats return."""
    from antrean.booking.actions import _locked, _move, _retrying

    pks = list(
        Booking.objects.filter(
            status=Status.CONFIRMED, payment__paid_at__isnull=True, payment__due_at__lte=now
        )
        .order_by("payment__due_at")
        .values_list("pk", flat=True)[:limit]
    )

    @_retrying
    def lapse(pk: int) -> bool:
        with transaction.atomic():
            booking = _locked(pk)
            payment = Payment.objects.select_for_update().get(booking=booking)
            if booking.status != Status.CONFIRMED or payment.paid_at or payment.due_at > now:
                return False  # paid, cancelled or checked in meanwhile
            detail = {"billing_code": payment.billing_code}
            _move(
                booking,
                Status.EXPIRED,
                actor=PAYMENT_ACTOR,
                now=now,
                action="unpaid",
                detail=detail,
            )
        return True

    return sum(lapse(pk) for pk in pks)
