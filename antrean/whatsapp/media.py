"""Photos and documents people send (Batam's e-KTP): fetched from the Graph API and kept
encrypted under ANTREAN_DATA_DIR/media, readable only through `read`."""

import hashlib
import os
import struct
import zlib
from pathlib import Path

import segno
from django.conf import settings
from django.utils import timezone

from antrean.lib import crypto
from antrean.whatsapp import graph
from antrean.whatsapp.models import InboundMessage, StoredMedia
from antrean.whatsapp.payloads import message_from_raw

PNG_LEVEL = 1  # zlib's: 0.03 ms and ~520 bytes for a booking code's PNG; 0.5 ms, ~320 at 9
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
    """The QR code of a booking code, as a PNG people can show at the door: black on
    white, 10 pixels a module, the standard 4-module quiet zone.

    segno makes the code (its mask chosen by antrean.whatsapp.qrmask, as segno chooses
    it); the PNG is written here, the same bytes as segno's writer in a tenth of its time
    (it was a third of a delivered booking's Python). Compressed fast (`PNG_LEVEL`): at
    segno's level, 9, compressing was over a quarter of the code's whole cost, for 320 bytes
    instead of 520.
    """
    return _png(segno.make(content, error="m", micro=False).matrix, scale=10, border=4)


def _png(matrix, *, scale: int, border: int) -> bytes:
    """A 1-bit greyscale PNG of the modules (dark = black), each `scale` pixels wide."""
    size = (len(matrix) + 2 * border) * scale  # square, as QR codes are
    padding = -size % 8
    width = (size + padding) // 8
    tail = "0" * padding  # the last byte's unused bits, zero as segno writes them
    light_line = b"\0" + int("1" * size + tail, 2).to_bytes(width, "big")
    quiet = light_line * (border * scale)
    edge = "1" * (border * scale)
    pixels = {0: "1" * scale, 1: "0" * scale}.__getitem__  # a light module, a dark one
    # Each module row is `scale` pixel lines alike: the first written out, the others with
    # PNG's "Up" filter (type 2) and nothing new, which compresses to almost nothing.
    same_as_above = (b"\2" + bytes(width)) * (scale - 1)
    lines = [quiet]
    for modules in matrix:
        bits = edge + "".join(map(pixels, modules)) + edge
        lines.append(b"\0" + int(bits + tail, 2).to_bytes(width, "big") + same_as_above)
    lines.append(quiet)
    header = struct.pack(">IIBBBBB", size, size, 1, 0, 0, 0, 0)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(b"".join(lines), PNG_LEVEL)),
            _chunk(b"IEND", b""),
        ]
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
