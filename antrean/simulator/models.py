"""What the simulated phones sent and received. Demo data only: never in production."""

from django.db import models


class SimMessage(models.Model):
    IN, OUT = "in", "out"  # to us from the simulated person; from us to them

    phone_number_id = models.CharField(max_length=32)
    wa_id = models.CharField(max_length=20)
    direction = models.CharField(max_length=3, choices=[(IN, "in"), (OUT, "out")])
    wamid = models.CharField(max_length=128, unique=True)
    body = models.JSONField()  # the Cloud API message object, as sent
    receipt = models.CharField(max_length=10, blank=True)  # last status we reported for it
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["phone_number_id", "wa_id", "id"], name="sim_chat_idx")]

    def __str__(self) -> str:
        return f"{self.direction} {self.wamid}"


class SimMedia(models.Model):
    media_id = models.CharField(max_length=40, unique=True)
    mime_type = models.CharField(max_length=100)
    content = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.media_id
