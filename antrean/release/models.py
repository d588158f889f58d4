"""A release of one office's quota for a run of days, and the entries to its lottery."""

from django.db import models
from django.db.models import F, Q

from antrean.booking.rules import MAX_APPLICANTS, PriorityReason
from antrean.lib.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from antrean.offices.models import Office, ServiceType


class Release(models.Model):
    """The quota of `first_day`..`last_day`, released at `opens_at`.

    Requests between `opens_at` and `closes_at` become entries numbered 1, 2, 3... in the
    order they came. At `closes_at` the draw orders the tickets by SHA-256 of the seed and
    the ticket number; `seed_hash` is public from the start and `seed` once drawn, so anyone
    can recompute the order. Until `allocated_at` the days are held from first-come
    booking.
    """

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="releases")
    first_day = models.DateField("hari pertama")
    last_day = models.DateField("hari terakhir")
    opens_at = models.DateTimeField("jendela dibuka")
    closes_at = models.DateTimeField("jendela ditutup")
    seed = EncryptedTextField()  # secret until the draw; only its hash is shown before
    seed_hash = models.CharField("hash benih (SHA-256)", max_length=64)
    entries = models.PositiveIntegerField("jumlah peserta", default=0)
    drawn_at = models.DateTimeField("diundi", null=True, blank=True)
    allocated_at = models.DateTimeField("selesai dibagi", null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)  # a worker is allocating
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "rilis kuota"
        verbose_name_plural = "rilis kuota"
        ordering = ["office", "first_day"]
        constraints = [
            models.UniqueConstraint(fields=["office", "first_day"], name="one_release_per_start"),
            models.CheckConstraint(condition=Q(first_day__lte=F("last_day")), name="release_days"),
            models.CheckConstraint(condition=Q(opens_at__lt=F("closes_at")), name="release_window"),
            models.CheckConstraint(
                condition=Q(allocated_at__isnull=True) | Q(drawn_at__isnull=False),
                name="release_drawn_before_allocated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office.code} {self.first_day}..{self.last_day}"


class Outcome(models.TextChoices):
    WAITING = "waiting", "menunggu undian"
    WON = "won", "mendapat kursi"
    LOST = "lost", "tidak mendapat kursi"
    REFUSED = "refused", "ditolak saat dibagi"  # e.g. the NIK was booked meanwhile


class Entry(models.Model):
    """One request made in the window: everything `book()` needs, kept encrypted."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="entry_set")
    ticket = models.PositiveIntegerField("nomor undian")
    phone = models.CharField(max_length=20)
    nik_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 (unique when known)
    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT)
    applicants = models.PositiveSmallIntegerField(default=1)
    priority = models.CharField(max_length=12, blank=True, choices=[(r, r) for r in PriorityReason])
    visit_date = models.DateField(null=True, blank=True)  # asked for; None: earliest
    channel = models.CharField(max_length=10)
    lang = models.CharField(max_length=2, default="id")
    name = EncryptedTextField()
    birth_date = EncryptedDateField()
    details = EncryptedJSONField(default=dict)  # nik, address, family [{name, birth, nik}]
    created_at = models.DateTimeField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.WAITING)
    rank = models.PositiveIntegerField(null=True, blank=True)  # place in the draw's order
    reason = models.CharField(max_length=40, blank=True)  # why refused (a BookingError reason)
    booking = models.OneToOneField(
        "booking.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="entry"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "peserta undian"
        verbose_name_plural = "peserta undian"
        constraints = [
            models.UniqueConstraint(fields=["release", "ticket"], name="one_entry_per_ticket"),
            models.UniqueConstraint(fields=["release", "phone"], name="one_entry_per_phone"),
            models.UniqueConstraint(
                fields=["release", "nik_hash"],
                condition=Q(nik_hash__isnull=False),
                name="one_entry_per_nik",
            ),
            models.CheckConstraint(
                condition=Q(applicants__gte=1, applicants__lte=MAX_APPLICANTS),
                name="entry_applicants_range",
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="entry_outcome_known"
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.WON) | Q(booking__isnull=False),
                name="entry_won_has_booking",
            ),
        ]
        indexes = [models.Index(fields=["phone", "created_at"], name="entry_phone_idx")]

    def __str__(self) -> str:
        return f"{self.release} #{self.ticket}"
