"""Booking state. Only `antrean.booking.actions` writes these tables.

Integrity lives here, in the database: one live booking per phone and per NIK (partial
unique indexes), unique codes and queue numbers, and seat counters whose check
constraints make overbooking impossible whatever the code above does.
"""

from django.db import models
from django.db.models import F, Q

from antrean.booking.lifecycle import LIVE, Stage, Status
from antrean.booking.rules import MAX_APPLICANTS, Quota
from antrean.lib.fields import EncryptedDateField, EncryptedTextField
from antrean.offices.models import Counter, Office, ServiceType

_LIVE = sorted(s.value for s in LIVE)  # sorted: a stable migration


class Channel(models.TextChoices):
    WHATSAPP = "whatsapp", "WhatsApp"
    WEB = "web", "web"
    COUNTER = "counter", "loket"


class Booking(models.Model):
    code = models.CharField("kode booking", max_length=8, unique=True, editable=False)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="bookings", verbose_name="kantor"
    )
    service = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="+", verbose_name="layanan"
    )
    quota = models.CharField("kuota", max_length=12, choices=[(q.value, q.value) for q in Quota])
    phone = models.CharField("nomor WhatsApp", max_length=17, db_index=True)
    name = models.CharField("nama", max_length=100)
    birth_date = EncryptedDateField("tanggal lahir")
    nik = EncryptedTextField("NIK", null=True, blank=True)
    # NULL, not "", when there is no NIK: NULLs never collide in the unique index.
    nik_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    address = EncryptedTextField("alamat", null=True, blank=True)
    applicants = models.PositiveSmallIntegerField("jumlah pemohon", default=1)
    requested_date = models.DateField("tanggal diminta", null=True, blank=True)
    visit_date = models.DateField("tanggal kedatangan")
    slot_at = models.DateTimeField("jadwal")
    queue_number = models.CharField(  # noqa: DJ001 (NULL until confirmed; unique when set)
        "nomor antrean", max_length=12, null=True, blank=True
    )
    status = models.CharField(
        "status",
        max_length=12,
        choices=[(s.value, s.value) for s in Status],
        default=Status.PENDING,
    )
    channel = models.CharField("kanal", max_length=10, choices=Channel.choices)
    lang = models.CharField("bahasa", max_length=2, default="id")
    confirm_by = models.DateTimeField("batas konfirmasi", null=True, blank=True)
    reschedules = models.PositiveSmallIntegerField("sudah ubah jadwal", default=0)
    # At the office: arrival, the counter's call (again on a recall or transfer), service.
    arrived_at = models.DateTimeField("datang", null=True, blank=True)
    called_at = models.DateTimeField("dipanggil", null=True, blank=True)
    counter = models.ForeignKey(
        Counter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="loket",
    )
    calls = models.PositiveSmallIntegerField("jumlah panggilan", default=0)
    served_at = models.DateTimeField("selesai dilayani", null=True, blank=True)
    stage = models.CharField(
        "tahap permohonan",
        max_length=20,
        choices=[(s.value, s.value) for s in Stage],
        blank=True,
    )
    stage_at = models.DateTimeField("tahap diubah", null=True, blank=True)
    created_at = models.DateTimeField("dibuat")
    updated_at = models.DateTimeField("diubah")

    class Meta:
        verbose_name = "pemesanan"
        verbose_name_plural = "pemesanan"
        ordering = ["visit_date", "slot_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["phone"], condition=Q(status__in=_LIVE), name="one_live_booking_per_phone"
            ),
            models.UniqueConstraint(
                fields=["nik_hash"],
                condition=Q(status__in=_LIVE, nik_hash__isnull=False),
                name="one_live_booking_per_nik",
            ),
            # One place on a waitlist per phone: offers go to people, not to copies of them.
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(status=Status.WAITLISTED.value),
                name="one_waitlist_place_per_phone",
            ),
            models.UniqueConstraint(
                fields=["office", "visit_date", "queue_number"],
                condition=Q(queue_number__isnull=False),
                name="unique_queue_number_per_office_day",
            ),
            models.CheckConstraint(
                condition=Q(applicants__gte=1, applicants__lte=MAX_APPLICANTS),
                name="booking_applicants_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="booking_status_known"
            ),
            models.CheckConstraint(
                condition=Q(quota__in=[q.value for q in Quota]), name="booking_quota_known"
            ),
            models.CheckConstraint(
                condition=Q(stage="") | Q(stage__in=[s.value for s in Stage]),
                name="booking_stage_known",
            ),
            # Called means a counter: the display board always has a loket to show.
            models.CheckConstraint(
                condition=Q(called_at__isnull=True) | Q(counter__isnull=False),
                name="booking_called_at_counter",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "confirm_by"], name="booking_lapse_idx"),
            models.Index(fields=["status", "slot_at"], name="booking_late_idx"),
            models.Index(fields=["office", "visit_date", "status"], name="booking_day_idx"),
            models.Index(fields=["office", "called_at"], name="booking_board_idx"),
            models.Index(
                fields=["office", "visit_date", "quota", "status"], name="booking_wait_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Applicant(models.Model):
    """One person a booking is for: the booker first, then the family they book for.

    `held_nik` is the NIK's lookup hash while the booking is live and NULL after; its
    unique index is the rule "one live booking per NIK" across every person of every
    booking, whichever channel made it.
    """

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="people")
    position = models.PositiveSmallIntegerField("urutan")
    name = models.CharField("nama", max_length=100)
    birth_date = EncryptedDateField("tanggal lahir")
    nik = EncryptedTextField("NIK", null=True, blank=True)
    nik_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001
    # NULL when not held (NULLs never collide in the unique index).
    held_nik = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = "pemohon"
        verbose_name_plural = "pemohon"
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="one_applicant_per_place"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_APPLICANTS),
                name="applicant_position_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking_id}#{self.position}"


class BookingEvent(models.Model):
    """Append-only history: every change of a booking, when, and who or what made it."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    actor = models.CharField(max_length=80)  # "whatsapp:62812…", "officer:alice", "system:…"
    detail = models.JSONField(default=dict, blank=True)  # never personal data

    class Meta:
        verbose_name = "riwayat pemesanan"
        verbose_name_plural = "riwayat pemesanan"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["action", "at"], name="event_action_idx")]

    def __str__(self) -> str:
        return f"{self.booking_id} {self.action} {self.at:%Y-%m-%d %H:%M} {self.actor}"


class SlotLoad(models.Model):
    """Seats taken in one hourly slot of one office. Changed only by conditional updates."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    start = models.TimeField()
    capacity = models.PositiveIntegerField()
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "start"], name="one_load_per_slot"),
            models.CheckConstraint(
                condition=Q(taken__gte=0, taken__lte=F("capacity")), name="slot_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.start:%H:%M} {self.taken}/{self.capacity}"


class DayLoad(models.Model):
    """Seats taken in one daily quota (regular, percepatan, priority) of one office."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    quota = models.CharField(max_length=12, choices=[(q.value, q.value) for q in Quota])
    capacity = models.PositiveIntegerField()
    taken = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "quota"], name="one_load_per_quota"),
            models.CheckConstraint(
                condition=Q(taken__gte=0, taken__lte=F("capacity")), name="day_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.quota} {self.taken}/{self.capacity}"


class QueueCounter(models.Model):
    """The last queue number given out per office, day and prefix."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    prefix = models.CharField(max_length=1)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "day", "prefix"], name="one_counter_per_prefix"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.day} {self.prefix}-{self.last:03d}"


class Payment(models.Model):
    """The PNBP fee of a booking at an office that is paid before the visit.

    The billing code (15 digits, like SIMPONI's) is issued when the booking is confirmed;
    unpaid by `due_at`, the booking lapses and its seats return to the pool.
    """

    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="payment")
    billing_code = models.CharField("kode billing", max_length=15, unique=True)
    amount = models.PositiveIntegerField("jumlah (Rp)")
    due_at = models.DateTimeField("batas bayar")
    paid_at = models.DateTimeField("dibayar", null=True, blank=True)
    paid_by = models.CharField("dikonfirmasi oleh", max_length=80, blank=True)
    reference = models.CharField("nomor transaksi", max_length=64, blank=True)
    created_at = models.DateTimeField("diterbitkan")

    class Meta:
        verbose_name = "pembayaran PNBP"
        verbose_name_plural = "pembayaran PNBP"
        constraints = [
            models.CheckConstraint(
                condition=Q(billing_code__regex=r"^[0-9]{15}$"), name="billing_code_15_digits"
            ),
        ]
        indexes = [models.Index(fields=["paid_at", "due_at"], name="payment_due_idx")]

    def __str__(self) -> str:
        return self.billing_code
