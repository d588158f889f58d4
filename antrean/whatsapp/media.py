"""Photos and documents people send (Batam's e-KTP): fetched from the Graph API and kept
encrypted under ANTREAN_DATA_DIR/media, readable only through `read`."""

import hashlib
import io
import os
from pathlib import Path

import segno
from django.conf import settings
from django.utils import timezone

from antrean.lib import crypto
from antrean.whatsapp import graph
from antrean.whatsapp.models import InboundMessage, StoredMedia
from antrean.whatsapp.payloads import message_from_raw

MAX_BYTES = 16 * 1024 * 1024  # WhatsApp's own limit for images is 5 MB, documents 100 MB


def media_root() -> Path:
    return Path(settings.DATA_DIR) / "media"


def store(inbound: InboundMessage) -> StoredMedia | None:
    """Download and keep the photo or document of `inbound` (once); None if it has none."""
    existing = StoredMedia.objects.filter(inbound=inbound).first()
    if existing:
        return existing
    media_id = message_from_raw(inbound.payload).media_id
    if not media_id:
        return None
    content, mime_type = graph.fetch_media(media_id, MAX_BYTES)
    digest = hashlib.sha256(content).hexdigest()
    relative = Path(digest[:2]) / f"{digest}.bin"
    path = media_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(crypto.encrypt_bytes(content))
    temporary.replace(path)  # atomic: a reader never sees half a file
    stored, _ = StoredMedia.objects.get_or_create(
        inbound=inbound,
        defaults={
            "media_id": media_id,
            "mime_type": mime_type[:100],
            "size": len(content),
            "sha256": digest,
            "path": str(relative),
            "stored_at": timezone.now(),
        },
    )
    return stored


def read(stored: StoredMedia) -> bytes:
    return crypto.decrypt_bytes((media_root() / stored.path).read_bytes())


def qr_png(content: str) -> bytes:
    """The QR code of a booking code, as a PNG people can show at the door."""
    buffer = io.BytesIO()
    segno.make(content, error="m", micro=False).save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
