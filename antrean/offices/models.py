"""Offices and what they offer. Labels are in Indonesian: officers read them."""

import datetime
import string

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from antrean.booking.rules import Quota

ISO_WEEKDAYS = "1234567"


def validate_working_days(value: str) -> None:
    if not value or any(ch not in ISO_WEEKDAYS for ch in value) or len(set(value)) != len(value):
        raise ValidationError(
            "Tulis hari kerja sebagai angka 1 (Senin) sampai 7 (Minggu), masing-masing sekali, "
            "misalnya 12345 untuk Senin–Jumat."
        )


class OfficeClass(models.TextChoices):
    I_KHUSUS_TPI = "I_KHUSUS_TPI", "Kelas I Khusus TPI"
    I_KHUSUS_NON_TPI = "I_KHUSUS_NON_TPI", "Kelas I Khusus Non TPI"
    I_TPI = "I_TPI", "Kelas I TPI"
    I_NON_TPI = "I_NON_TPI", "Kelas I Non TPI"
    II_TPI = "II_TPI", "Kelas II TPI"
    II_NON_TPI = "II_NON_TPI", "Kelas II Non TPI"


class Zone(models.TextChoices):
    WIB = "Asia/Jakarta", "WIB (Asia/Jakarta, UTC+7)"
    WITA = "Asia/Makassar", "WITA (Asia/Makassar, UTC+8)"
    WIT = "Asia/Jayapura", "WIT (Asia/Jayapura, UTC+9)"


class PaymentMode(models.TextChoices):
    AT_OFFICE = "at_office", "di kantor (setelah berkas diperiksa)"
    BEFORE = "before", "sebelum datang (kode billing SIMPONI)"


class ReleaseMode(models.TextChoices):
    FIRST_COME = "first_come", "siapa cepat (kuota terbuka sampai masa pemesanan)"
    LOTTERY = "lottery", "undian bulanan (permintaan dalam jendela rilis diundi)"


class MessageFormat(models.TextChoices):
    LAW = "law", "Standar LAW: #Nama#TglLahir#TglKedatangan"
    BATAM = "batam", "Batam: #Nama#TglLahir#Alamat + foto e-KTP"


class Office(models.Model):
    code = models.SlugField("kode", max_length=50, unique=True)
    name = models.CharField("nama kantor", max_length=150)
    office_class = models.CharField("kelas", max_length=20, choices=OfficeClass.choices)
    city = models.CharField("kota/kabupaten", max_length=80)
    province = models.CharField("provinsi", max_length=80)
    address = models.CharField("alamat", max_length=250, blank=True)
    timezone = models.CharField("zona waktu", max_length=32, choices=Zone.choices)

    working_days = models.CharField(
        "hari kerja",
        max_length=7,
        default="12345",
        validators=[validate_working_days],
        help_text="Angka hari: 1 = Senin … 7 = Minggu. Contoh: 12345.",
    )
    opens_at = models.TimeField("jam buka layanan", default=datetime.time(8, 0))
    closes_at = models.TimeField("jam tutup layanan", default=datetime.time(16, 0))
    capacity_per_hour = models.PositiveIntegerField("kapasitas per jam", default=50)
    daily_regular = models.PositiveIntegerField("kuota harian reguler", default=300)
    daily_percepatan = models.PositiveIntegerField("kuota harian percepatan", default=30)
    daily_priority = models.PositiveIntegerField("kuota harian prioritas", default=20)
    horizon_days = models.PositiveSmallIntegerField(
        "masa pemesanan (hari)", default=30, help_text="Berapa hari ke depan dapat dipesan."
    )
    registration_opens_at = models.TimeField(
        "pendaftaran dibuka",
        null=True,
        blank=True,
        help_text="Kosongkan bila pendaftaran diterima kapan saja (Batam: 07.30).",
    )
    registration_closes_at = models.TimeField(
        "pendaftaran ditutup", null=True, blank=True, help_text="Batam: 10.00."
    )
    message_format = models.CharField(
        "format pesan", max_length=10, choices=MessageFormat.choices, default=MessageFormat.LAW
    )
    confirm_minutes = models.PositiveSmallIntegerField(
        "batas konfirmasi (menit)",
        default=60,
        help_text="Kode booking yang belum dikonfirmasi hangus setelah sekian menit.",
    )
    arrival_lead_minutes = models.PositiveSmallIntegerField(
        "wajib hadir sebelum jadwal (menit)", default=30
    )
    max_reschedules = models.PositiveSmallIntegerField("batas ubah jadwal", default=1)
    reschedule_cutoff_days = models.PositiveSmallIntegerField(
        "ubah jadwal paling lambat (hari sebelum)", default=1
    )
    is_active = models.BooleanField("menerima pemesanan", default=True)
    payment = models.CharField(
        "pembayaran PNBP",
        max_length=10,
        choices=PaymentMode.choices,
        default=PaymentMode.AT_OFFICE,
        help_text="Sebelum datang: kode billing diterbitkan saat konfirmasi dan harus dibayar "
        "dalam batas waktu, atau pemesanan hangus dan kuotanya dilepas.",
    )
    payment_minutes = models.PositiveSmallIntegerField("batas bayar (menit)", default=120)
    claim_minutes = models.PositiveSmallIntegerField(
        "batas ambil kursi daftar tunggu (menit)",
        default=30,
        help_text="Kursi yang ditawarkan ke daftar tunggu diteruskan ke orang berikutnya "
        "bila tidak dikonfirmasi dalam sekian menit.",
    )
    pickup_reminder_days = models.PositiveSmallIntegerField(
        "ingatkan ambil paspor setelah (hari)", default=7
    )
    release_mode = models.CharField(
        "pelepasan kuota",
        max_length=12,
        choices=ReleaseMode.choices,
        default=ReleaseMode.FIRST_COME,
        help_text="Undian: kuota bulan berikutnya dibuka pada hari kerja terakhir bulan ini; "
        "permintaan selama jendela rilis diundi, sisanya siapa cepat.",
    )
    release_time = models.TimeField("jam rilis kuota", default=datetime.time(9, 0))
    release_window_minutes = models.PositiveSmallIntegerField(
        "lama jendela rilis (menit)", default=30
    )

    class Meta:
        verbose_name = "kantor imigrasi"
        verbose_name_plural = "kantor imigrasi"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_per_hour__gt=0), name="office_capacity_positive"
            ),
            models.CheckConstraint(
                condition=Q(horizon_days__gte=1, horizon_days__lte=366),
                name="office_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="office_hours_order"
            ),
            models.CheckConstraint(
                condition=(
                    Q(registration_opens_at__isnull=True, registration_closes_at__isnull=True)
                    | Q(
                        registration_opens_at__isnull=False,
                        registration_closes_at__gt=models.F("registration_opens_at"),
                    )
                ),
                name="office_registration_hours",
            ),
            models.CheckConstraint(
                condition=Q(timezone__in=Zone.values), name="office_timezone_known"
            ),
            models.CheckConstraint(
                condition=Q(payment__in=PaymentMode.values), name="office_payment_known"
            ),
            models.CheckConstraint(
                condition=Q(release_mode__in=ReleaseMode.values), name="office_release_known"
            ),
            # A window shorter than a few minutes is a race again; longer than a day, a wait.
            models.CheckConstraint(
                condition=Q(release_window_minutes__gte=5, release_window_minutes__lte=1440),
                name="office_release_window_sane",
            ),
            # Less than a few minutes to pay or to claim a seat is no real chance at all.
            models.CheckConstraint(
                condition=Q(payment_minutes__gte=15, claim_minutes__gte=5),
                name="office_deadlines_humane",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": "Jam tutup harus setelah jam buka."})
        if (self.registration_opens_at is None) != (self.registration_closes_at is None):
            raise ValidationError(
                "Isi jam buka dan jam tutup pendaftaran keduanya, atau kosongkan keduanya."
            )
        if (
            self.registration_opens_at
            and self.registration_closes_at
            and self.registration_closes_at <= self.registration_opens_at
        ):
            raise ValidationError(
                {"registration_closes_at": "Jam tutup pendaftaran harus setelah jam bukanya."}
            )

    def daily_capacity(self, quota: Quota) -> int:
        return {
            Quota.REGULAR: self.daily_regular,
            Quota.PERCEPATAN: self.daily_percepatan,
            Quota.PRIORITY: self.daily_priority,
        }[Quota(quota)]

    @property
    def primary_number(self) -> "WhatsAppNumber | None":
        numbers = list(self.numbers.all())
        return next((n for n in numbers if n.is_primary), numbers[0] if numbers else None)


class WhatsAppNumber(models.Model):
    """One WhatsApp Business number; updates are routed to its office by phone_number_id."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="numbers", verbose_name="kantor"
    )
    phone_number_id = models.CharField(
        "phone_number_id (Meta)",
        max_length=32,
        unique=True,
        help_text="ID nomor dari WhatsApp Cloud API, bukan nomor teleponnya.",
    )
    display_phone_number = models.CharField("nomor WhatsApp", max_length=32)
    label = models.CharField("keterangan", max_length=60, blank=True)
    is_primary = models.BooleanField("nomor utama", default=False)

    class Meta:
        verbose_name = "nomor WhatsApp"
        verbose_name_plural = "nomor WhatsApp"
        ordering = ["-is_primary", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["office"], condition=Q(is_primary=True), name="one_primary_number"
            ),
        ]

    def __str__(self) -> str:
        return self.display_phone_number


class Closure(models.Model):
    """A day an office is closed, beyond national holidays and collective leave."""

    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        related_name="closures",
        null=True,
        blank=True,
        verbose_name="kantor",
        help_text="Kosongkan untuk semua kantor.",
    )
    day = models.DateField("tanggal")
    name_id = models.CharField("keterangan", max_length=120)
    name_en = models.CharField("keterangan (English)", max_length=120, blank=True)

    class Meta:
        verbose_name = "hari tutup"
        verbose_name_plural = "hari tutup"
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day"], name="one_closure_per_office_day"),
            models.UniqueConstraint(
                fields=["day"],
                condition=Q(office__isnull=True),
                name="one_national_closure_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name_id}"


class ServiceType(models.Model):
    code = models.SlugField("kode", max_length=30, unique=True)
    name_id = models.CharField("nama", max_length=80)
    name_en = models.CharField("nama (English)", max_length=80)
    queue_prefix = models.CharField("awalan nomor antrean", max_length=1)
    quota = models.CharField(
        "kuota",
        max_length=12,
        choices=[(Quota.REGULAR.value, "reguler"), (Quota.PERCEPATAN.value, "percepatan")],
        default=Quota.REGULAR,
    )
    bookable_remotely = models.BooleanField(
        "dapat dipesan lewat WhatsApp/online",
        default=True,
        help_text="Paspor hilang dan rusak harus diperiksa langsung di kantor.",
    )
    needs_old_passport = models.BooleanField("membawa paspor lama", default=False)
    # The PNBP fee per applicant billed before the visit (PP 45/2024): an ordinary
    # 10-year passport plus the service's surcharge, unless the office edits it.
    fee = models.PositiveIntegerField("PNBP per pemohon (Rp)", default=650_000)
    position = models.PositiveSmallIntegerField("urutan", default=0)

    class Meta:
        verbose_name = "jenis layanan"
        verbose_name_plural = "jenis layanan"
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(queue_prefix__regex=r"^[A-Z]$"), name="service_prefix_letter"
            ),
        ]

    def __str__(self) -> str:
        return self.name_id

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_id


class Counter(models.Model):
    """A service counter (loket) of an office, and the services it calls."""

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="counters", verbose_name="kantor"
    )
    number = models.PositiveSmallIntegerField("nomor loket")
    services = models.ManyToManyField(
        ServiceType,
        blank=True,
        related_name="+",
        verbose_name="layanan",
        help_text="Kosongkan: loket ini memanggil semua layanan.",
    )
    is_active = models.BooleanField("aktif", default=True)

    class Meta:
        verbose_name = "loket"
        verbose_name_plural = "loket"
        ordering = ["office", "number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="one_counter_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="counter_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Loket {self.number}"


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class OfficeText(models.Model):
    """Staff's own wording for a text applicants read, for one office or for all of them.

    `key` names a text of antrean/content/messages.toml (its default wording is kept);
    the placeholders in braces must be ones the default uses.
    """

    office = models.ForeignKey(
        Office,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="texts",
        verbose_name="kantor",
        help_text="Kosongkan untuk semua kantor.",
    )
    key = models.CharField("teks", max_length=80)
    text_id = models.TextField("Bahasa Indonesia")
    text_en = models.TextField("English", blank=True, help_text="Kosongkan: teks bawaan.")

    class Meta:
        verbose_name = "teks layanan"
        verbose_name_plural = "teks layanan"
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["office", "key"], name="one_text_per_office_key"),
            models.UniqueConstraint(
                fields=["key"], condition=Q(office__isnull=True), name="one_text_for_all_per_key"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def clean(self):
        from antrean.content import catalog, limit_for

        default = catalog().get(self.key)
        if default is None:
            raise ValidationError({"key": "Teks ini tidak dikenal."})
        allowed = _placeholders(default["id"])
        limit = limit_for(self.key)
        for field, value in (("text_id", self.text_id), ("text_en", self.text_en)):
            if len(value) > limit:
                raise ValidationError(
                    {field: f"Paling banyak {limit} huruf untuk teks ini (sekarang {len(value)})."}
                )
            try:
                unknown = _placeholders(value) - allowed
            except ValueError:
                raise ValidationError(
                    {field: "Tanda kurung kurawal { } tidak berpasangan."}
                ) from None
            if unknown:
                names = ", ".join("{" + name + "}" for name in sorted(unknown))
                shown = ", ".join("{" + name + "}" for name in sorted(allowed)) or "tidak ada"
                raise ValidationError(
                    {field: f"Isian {names} tidak dikenal untuk teks ini; yang tersedia: {shown}."}
                )
