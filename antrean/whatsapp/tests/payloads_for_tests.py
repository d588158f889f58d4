"""Cloud API webhook bodies as Meta sends them, for our numbers and people."""

import itertools
import json
import time

from antrean.whatsapp.signature import sign

SECRET = "test-app-secret"
_ids = itertools.count(1)


def envelope(value: dict, field: str = "messages") -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}],
    }


def _value(phone_number_id: str, wa_id: str, message: dict, name: str = "Pemohon") -> dict:
    return {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "6281100000000", "phone_number_id": phone_number_id},
        "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
        "messages": [message],
    }


def _base(wa_id: str, kind: str, wamid: str | None, timestamp: int | None) -> dict:
    return {
        "from": wa_id,
        "id": wamid or f"wamid.IN{next(_ids):08d}",
        "timestamp": str(timestamp or int(time.time())),
        "type": kind,
    }


def text(phone_number_id, wa_id, body, *, wamid=None, timestamp=None) -> dict:
    message = _base(wa_id, "text", wamid, timestamp) | {"text": {"body": body}}
    return envelope(_value(phone_number_id, wa_id, message))


def button(phone_number_id, wa_id, reply_id, title, *, wamid=None, timestamp=None) -> dict:
    message = _base(wa_id, "interactive", wamid, timestamp) | {
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    }
    return envelope(_value(phone_number_id, wa_id, message))


def image(phone_number_id, wa_id, media_id, *, wamid=None, timestamp=None) -> dict:
    message = _base(wa_id, "image", wamid, timestamp) | {
        "image": {"id": media_id, "mime_type": "image/jpeg", "sha256": "x"}
    }
    return envelope(_value(phone_number_id, wa_id, message))


def other(phone_number_id, wa_id, kind, content, *, wamid=None) -> dict:
    message = _base(wa_id, kind, wamid, None) | {kind: content}
    return envelope(_value(phone_number_id, wa_id, message))


def status(phone_number_id, wamid, state, *, opaque="", error=None, timestamp=None) -> dict:
    item = {
        "id": wamid,
        "status": state,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": "6281200000000",
    }
    if opaque:
        item["biz_opaque_callback_data"] = opaque
    if error:
        item["errors"] = [error]
    return envelope(
        {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "6281100000000",
                "phone_number_id": phone_number_id,
            },
            "statuses": [item],
        }
    )


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def post(client, payload, *, secret: str = SECRET, raw: bytes | None = None):
    data = raw if raw is not None else body_of(payload)
    return client.post(
        "/webhooks/whatsapp",
        data=data,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(data, secret),
    )
