"""Cloud API webhook bodies, shaped exactly as Meta sends them."""

import itertools
import json
import secrets
import time

_serial = itertools.count(1)


def new_wamid(prefix: str = "SIM") -> str:
    return f"wamid.{prefix}{secrets.token_hex(10).upper()}{next(_serial):04d}"


def envelope(value: dict, field: str = "messages") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}],
    }


def _metadata(phone_number_id: str, display_phone_number: str) -> dict:
    return {"display_phone_number": display_phone_number, "phone_number_id": phone_number_id}


def inbound_message(
    *,
    wa_id: str,
    kind: str,
    text: str = "",
    reply_id: str = "",
    media_id: str = "",
    mime_type: str = "",
    caption: str = "",
    wamid: str | None = None,
    timestamp: int | None = None,
) -> dict:
    """The `messages[]` object of one thing a person sent."""
    message = {
        "from": wa_id,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp or int(time.time())),
    }
    if kind == "text":
        return message | {"type": "text", "text": {"body": text}}
    if kind in ("button_reply", "list_reply"):
        reply = {"id": reply_id, "title": text}
        return message | {"type": "interactive", "interactive": {"type": kind, kind: reply}}
    if kind in ("image", "document"):
        media = {"id": media_id, "mime_type": mime_type, "sha256": "simulated"}
        if caption:
            media["caption"] = caption
        return message | {"type": kind, kind: media}
    if kind == "location":
        return message | {"type": "location", "location": {"latitude": -6.16, "longitude": 106.84}}
    return message | {"type": kind, kind: {}}


def message_envelope(
    phone_number_id: str, display_phone_number: str, message: dict, profile_name: str = ""
) -> dict:
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": _metadata(phone_number_id, display_phone_number),
            "contacts": [{"profile": {"name": profile_name}, "wa_id": message["from"]}],
            "messages": [message],
        }
    )


def status_envelope(
    phone_number_id: str,
    display_phone_number: str,
    *,
    wamid: str,
    status: str,
    recipient: str,
    opaque: str = "",
    error: dict | None = None,
    timestamp: int | None = None,
) -> dict:
    item = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": recipient,
    }
    if opaque:
        item["biz_opaque_callback_data"] = opaque
    if error:
        item["errors"] = [error]
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": _metadata(phone_number_id, display_phone_number),
            "statuses": [item],
        }
    )


def dumps(body: dict) -> bytes:
    """Compact JSON, the way Meta sends it (and the bytes the signature covers)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
