"""One-time codes that prove a web visitor holds a WhatsApp number.

Six digits, sent as WhatsApp's authentication template, valid for 10 minutes, five tries.
A new code replaces the old one; codes are stored only as keyed hashes.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from antrean.lib.crypto import lookup_hash
from antrean.web.models import PhoneCode

DIGITS = 6
VALID_FOR = timedelta(minutes=10)
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=60)


class CodeRefused(Exception):
    """Why a code was not accepted: `reason` is the key of its text under `web.code.`."""

    def __init__(self, reason: str, **details):
        super().__init__(reason)
        self.reason, self.details = reason, details


@dataclass(frozen=True)
class Issued:
    code: str
    expires_at: datetime


def _hash(phone: str, code: str) -> str:
    return lookup_hash(f"otp:{phone}:{code}")


def check_resend(phone: str, now: datetime) -> None:
    """Refuse a second code within a minute of the last one (before any limit counts it)."""
    last = PhoneCode.objects.filter(phone=phone).order_by("-created_at").first()
    if last is not None and last.used_at is None and now < last.created_at + RESEND_AFTER:
        wait = last.created_at + RESEND_AFTER - now
        raise CodeRefused("too_soon", seconds=max(1, int(wait.total_seconds())))


def issue(phone: str, now: datetime) -> Issued:
    """A new code for `phone`; the previous one stops working. Not twice within a minute."""
    with transaction.atomic():
        check_resend(phone, now)
        PhoneCode.objects.filter(phone=phone).delete()
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        row = PhoneCode.objects.create(
            phone=phone,
            code_hash=_hash(phone, code),
            created_at=now,
            expires_at=now + VALID_FOR,
        )
    return Issued(code=code, expires_at=row.expires_at)


def verify(phone: str, code: str, now: datetime) -> None:
    """Accept the code once, or raise `CodeRefused` saying what to do next."""
    code = "".join(ch for ch in code or "" if ch.isdigit())
    with transaction.atomic():
        row = PhoneCode.objects.filter(phone=phone, used_at__isnull=True).first()
        if row is None:
            raise CodeRefused("none")
        if now >= row.expires_at:
            raise CodeRefused("expired")
        # Count the try before comparing, with a conditional update: parallel guesses
        # cannot get more than MAX_TRIES between them. The count commits either way.
        counted = PhoneCode.objects.filter(pk=row.pk, tries__lt=MAX_TRIES).update(
            tries=F("tries") + 1
        )
        matched = counted and hmac.compare_digest(row.code_hash, _hash(phone, code))
        if matched:
            PhoneCode.objects.filter(pk=row.pk).update(used_at=now)
    if matched:
        return
    left = MAX_TRIES - row.tries - 1
    if not counted or left <= 0:
        raise CodeRefused("no_tries_left")
    raise CodeRefused("wrong", left=left)


def prune(now: datetime) -> int:
    deleted, _ = PhoneCode.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted
