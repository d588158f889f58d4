"""What the public pages keep: one-time codes for WhatsApp numbers, and rate-limit counts.

Neither holds personal data in the clear: a code is kept as a keyed hash, and a limit's
key (an address or a phone number with the limit's name) is hashed too.
"""

from django.db import models
from django.db.models import Q


class PhoneCode(models.Model):
    """A one-time code sent over WhatsApp to prove a visitor holds the number."""

    phone = models.CharField(max_length=17, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(tries__lte=10), name="phone_code_tries_bounded")
        ]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class Allowance(models.Model):
    """How often one key (say, one address asking for codes) acted in one time window."""

    key = models.CharField(max_length=64)
    window = models.BigIntegerField()  # the window's start, seconds since the epoch
    used = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window"], name="one_allowance_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.window} {self.used}"
