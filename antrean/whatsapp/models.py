"""What the WhatsApp channel keeps: chats, inbound messages (each once), the outbox.

Message contents hold personal data (birth dates, names, ID photos), so payloads and
conversation state are encrypted at rest.
"""

from django.db import models
from django.db.models import Q

from antrean.lib.fields import EncryptedJSONField, EncryptedTextField
from antrean.offices.models import WhatsAppNumber


class Contact(models.Model):
    """One person's chat with one of our numbers: replies go back from that number."""

    number = models.ForeignKey(
        WhatsAppNumber, on_delete=models.PROTECT, related_name="contacts", verbose_name="nomor"
    )
    wa_id = models.CharField("WhatsApp pemohon", max_length=20)
    profile_name = models.CharField("nama profil", max_length=100, blank=True)
    lang = models.CharField("bahasa", max_length=2, default="id")
    state = EncryptedJSONField(default=dict)  # the conversation's memory
    last_inbound_at = models.DateTimeField("pesan terakhir", null=True, blank=True)
    # Delivery: one worker at a time sends a contact's replies, in order (a lease, not a lock,
    # so a killed worker's claim runs out), and Meta's pair rate (~1 message per 6 s to one
    # person, with short bursts) is kept as a token bucket.
    deliver_lease_until = models.DateTimeField(null=True, blank=True)
    deliver_lease_owner = models.CharField(max_length=32, blank=True)
    pair_tokens = models.FloatField(null=True, blank=True)
    pair_at = models.DateTimeField(null=True, blank=True)
    # Processing: how many messages the person may have us process (a token bucket, see
    # inbound_limit.py), and when they were told they write too fast (cleared once they
    # have been quiet for a minute).
    inbound_tokens = models.FloatField(null=True, blank=True)
    inbound_at = models.DateTimeField(null=True, blank=True)
    slowed_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "percakapan"
        verbose_name_plural = "percakapan"
        constraints = [
            models.UniqueConstraint(fields=["number", "wa_id"], name="one_contact_per_chat"),
        ]

    def __str__(self) -> str:
        return f"{self.wa_id} ↔ {self.number_id}"


class InboundState(models.TextChoices):
    RECEIVED = "received", "diterima"
    PROCESSED = "processed", "diproses"
    FAILED = "failed", "gagal diproses"
    LIMITED = "limited", "dibatasi (terlalu cepat)"


class Delivery(models.Model):
    """A signed webhook body as it came, stored before we answer 200 and ingested (then
    deleted) by a worker: the webhook's whole cost is this one insert.

    On SQLite it lives in a database file of its own (antrean/whatsapp/inbox.py). A drain
    ingests a batch into the tables below, then deletes it; if the drain dies in between,
    the next one ingests the batch again, which adds nothing twice.
    """

    received_at = models.DateTimeField()
    body = EncryptedTextField()  # message texts carry names and birth dates

    class Meta:
        verbose_name = "kiriman webhook"
        verbose_name_plural = "kiriman webhook"

    def __str__(self):
        return f"kiriman {self.pk}"


class InboundMessage(models.Model):
    """A message a person sent us. Its wamid is unique: Meta's re-deliveries add nothing."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="inbound")
    wamid = models.CharField(max_length=128, unique=True)
    kind = models.CharField(max_length=20)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField()
    payload = EncryptedJSONField()
    state = models.CharField(
        max_length=10, choices=InboundState.choices, default=InboundState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)  # ours, never message contents

    class Meta:
        verbose_name = "pesan masuk"
        verbose_name_plural = "pesan masuk"
        indexes = [
            models.Index(fields=["contact", "state", "sent_at"], name="inbound_queue_idx"),
            models.Index(fields=["state", "received_at"], name="inbound_sweep_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.wamid[:24]}"


class OutboundState(models.TextChoices):
    QUEUED = "queued", "antre"
    SENDING = "sending", "sedang dikirim"
    RETRY = "retry", "dicoba lagi"
    SENT = "sent", "terkirim ke WhatsApp"
    FAILED = "failed", "gagal"


# Meta's statuses for a message we sent, in the order they happen. A status never moves
# a message backwards (webhooks arrive out of order); "failed" replaces only what came
# before delivery.
WA_STATUS_RANK = {"": 0, "sent": 1, "delivered": 2, "read": 3, "played": 4}


class OutboundMessage(models.Model):
    """One reply in the outbox, written in the same transaction as what caused it."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="outbound")
    caused_by = models.ForeignKey(
        InboundMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    message = EncryptedJSONField()  # antrean.whatsapp.messages.to_json(...)
    kind = models.CharField("jenis", max_length=40)
    state = models.CharField(
        "status kirim",
        max_length=10,
        choices=OutboundState.choices,
        default=OutboundState.QUEUED,
    )
    created_at = models.DateTimeField("dibuat")
    not_before = models.DateTimeField()
    give_up_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField("percobaan", default=0)
    sending_since = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField("terkirim", null=True, blank=True)
    media_id = models.CharField(max_length=64, blank=True)  # an uploaded image, reused on retry
    wamid = models.CharField(max_length=128, null=True, blank=True, unique=True)
    wa_status = models.CharField("status WhatsApp", max_length=10, blank=True)
    wa_status_at = models.DateTimeField(null=True, blank=True)
    error_code = models.IntegerField("kode galat Meta", null=True, blank=True)
    error_title = models.CharField("galat", max_length=200, blank=True)
    error_detail = models.CharField("rincian galat", max_length=500, blank=True)

    class Meta:
        verbose_name = "pesan keluar"
        verbose_name_plural = "pesan keluar"
        indexes = [
            models.Index(fields=["contact", "state", "id"], name="outbound_queue_idx"),
            models.Index(fields=["state", "not_before"], name="outbound_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="sent_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.contact.wa_id} ({self.state})"


class StoredMedia(models.Model):
    """A photo or document a person sent (Batam's e-KTP), downloaded and kept encrypted."""

    inbound = models.OneToOneField(InboundMessage, on_delete=models.CASCADE, related_name="media")
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    media_id = models.CharField(max_length=64, db_index=True)
    mime_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    path = models.CharField(max_length=200)  # under ANTREAN_DATA_DIR/media, Fernet-encrypted
    stored_at = models.DateTimeField()

    class Meta:
        verbose_name = "berkas masuk"
        verbose_name_plural = "berkas masuk"

    def __str__(self) -> str:
        return f"{self.mime_type} {self.size} B"


class NumberThrottle(models.Model):
    """When a number may send its next message (Meta's per-number throughput)."""

    phone_number_id = models.CharField(max_length=32, unique=True)
    next_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.phone_number_id} next {self.next_at:%H:%M:%S.%f}"
