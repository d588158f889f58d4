"""What the lifecycle jobs have told whom: the ledger that makes each message go once."""

from django.db import models

from antrean.booking.models import Booking


class Notice(models.Model):
    """One message a job sent about a booking. `key` names it: the event or reminder and,
    where one booking may get it again (a reminder after a reschedule), what it was for.

    The row is written in the same transaction as the outbox message, and its unique
    index refuses a second one: a job that runs twice, or twice at once, sends nothing
    twice.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=60)
    at = models.DateTimeField()
    sent = models.BooleanField(default=True)  # False: nobody to send to (no WhatsApp number)

    class Meta:
        verbose_name = "pemberitahuan terjadwal"
        verbose_name_plural = "pemberitahuan terjadwal"
        constraints = [
            models.UniqueConstraint(fields=["booking", "key"], name="one_notice_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.key}"
