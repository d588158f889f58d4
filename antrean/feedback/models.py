from django.db import models

from antrean.lib.fields import EncryptedTextField
from antrean.offices.models import Office


class Ticket(models.Model):
    class Kind(models.TextChoices):
        APPRECIATION = "appreciation", "apresiasi"
        ASPIRATION = "aspiration", "aspirasi/saran"
        COMPLAINT = "complaint", "pengaduan"

    class State(models.TextChoices):
        OPEN = "open", "terbuka"
        ANSWERED = "answered", "dijawab"
        CLOSED = "closed", "ditutup"

    number = models.CharField("nomor tiket", max_length=20, unique=True, null=True)  # noqa: DJ001
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="tickets", verbose_name="kantor"
    )
    phone = models.CharField("nomor WhatsApp", max_length=20)
    whatsapp_number = models.CharField("diterima di phone_number_id", max_length=32, blank=True)
    kind = models.CharField("jenis", max_length=15, choices=Kind.choices)
    text = EncryptedTextField("isi")  # people write anything, their own details included
    state = models.CharField("status", max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField("diterima")

    class Meta:
        verbose_name = "tiket saran/pengaduan"
        verbose_name_plural = "tiket saran/pengaduan"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["office", "state", "created_at"], name="ticket_inbox_idx")]

    def __str__(self) -> str:
        return self.number or f"tiket {self.pk}"


class TicketReply(models.Model):
    """An officer's answer to a ticket, as sent to the applicant over WhatsApp."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="replies")
    text = EncryptedTextField("balasan")
    by = models.CharField("petugas", max_length=150)
    at = models.DateTimeField("dikirim")
    sent = models.BooleanField("dikirim lewat WhatsApp", default=True)

    class Meta:
        verbose_name = "balasan tiket"
        verbose_name_plural = "balasan tiket"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket} {self.at:%Y-%m-%d %H:%M}"
