from django.db import models

from antrean.booking.models import Booking
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


# The nine service elements of the satisfaction survey (IKM, PermenPAN-RB No. 14/2017), in
# the regulation's order: `Survey.u1` .. `u9`. Names for the back office, and short ones for
# CSV columns; what applicants read is in the catalog (`survey.q1` ..).
ELEMENTS = (
    ("persyaratan", "Persyaratan"),
    ("prosedur", "Sistem, mekanisme dan prosedur"),
    ("waktu", "Waktu penyelesaian"),
    ("biaya", "Biaya/tarif"),
    ("produk", "Produk spesifikasi jenis pelayanan"),
    ("kompetensi", "Kompetensi pelaksana"),
    ("perilaku", "Perilaku pelaksana"),
    ("pengaduan", "Penanganan pengaduan, saran dan masukan"),
    ("sarana", "Sarana dan prasarana"),
)
SCORES = range(1, 5)  # 1 tidak baik, 2 kurang baik, 3 baik, 4 sangat baik
SCORE_FIELDS = tuple(f"u{n}" for n in range(1, len(ELEMENTS) + 1))


class Survey(models.Model):
    """One applicant's answer to the satisfaction survey, after being served: one per
    booking (the unique index decides when two answers race)."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="surveys", verbose_name="kantor"
    )
    booking = models.OneToOneField(
        Booking, on_delete=models.PROTECT, related_name="survey", verbose_name="pemesanan"
    )
    u1 = models.PositiveSmallIntegerField(ELEMENTS[0][1])
    u2 = models.PositiveSmallIntegerField(ELEMENTS[1][1])
    u3 = models.PositiveSmallIntegerField(ELEMENTS[2][1])
    u4 = models.PositiveSmallIntegerField(ELEMENTS[3][1])
    u5 = models.PositiveSmallIntegerField(ELEMENTS[4][1])
    u6 = models.PositiveSmallIntegerField(ELEMENTS[5][1])
    u7 = models.PositiveSmallIntegerField(ELEMENTS[6][1])
    u8 = models.PositiveSmallIntegerField(ELEMENTS[7][1])
    u9 = models.PositiveSmallIntegerField(ELEMENTS[8][1])
    comment = EncryptedTextField("saran/komentar", blank=True)  # people write their details too
    answered_at = models.DateTimeField("diisi")

    # Set by `record_survey` on the answer it has just stored; an answer given before is
    # returned with False (the first answer stands).
    fresh = False

    class Meta:
        verbose_name = "survei kepuasan"
        verbose_name_plural = "survei kepuasan"
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": 1, f"{name}__lte": 4}),
                name=f"survey_{name}_1_to_4",
            )
            for name in SCORE_FIELDS
        ]
        indexes = [models.Index(fields=["office", "answered_at"], name="survey_month_idx")]

    def __str__(self) -> str:
        return f"survei {self.booking_id} {self.answered_at:%Y-%m-%d}"

    @property
    def scores(self) -> tuple[int, ...]:
        return tuple(getattr(self, name) for name in SCORE_FIELDS)
