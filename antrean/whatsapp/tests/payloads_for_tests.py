"""Cloud API webhook bodies for our numbers and people, signed as Meta signs them."""

from antrean.simulator import cloud
from antrean.whatsapp import ingest
from antrean.whatsapp.signature import sign

SECRET = "test-app-secret"
DISPLAY = "6281100000000"
envelope = cloud.envelope
body_of = cloud.dumps


def _message(phone_number_id, wa_id, **fields) -> dict:
    message = cloud.inbound_message(wa_id=wa_id, **fields)
    return cloud.message_envelope(phone_number_id, DISPLAY, message, profile_name="Pemohon")


def text(phone_number_id, wa_id, body, *, wamid=None, timestamp=None) -> dict:
    return _message(
        phone_number_id, wa_id, kind="text", text=body, wamid=wamid, timestamp=timestamp
    )


def button(phone_number_id, wa_id, reply_id, title, *, wamid=None, timestamp=None) -> dict:
    return _message(
        phone_number_id,
        wa_id,
        kind="button_reply",
        text=title,
        reply_id=reply_id,
        wamid=wamid,
        timestamp=timestamp,
    )


def image(phone_number_id, wa_id, media_id, *, wamid=None, timestamp=None) -> dict:
    return _message(
        phone_number_id,
        wa_id,
        kind="image",
        media_id=media_id,
        mime_type="image/jpeg",
        wamid=wamid,
        timestamp=timestamp,
    )


def status(phone_number_id, wamid, state, *, opaque="", error=None, timestamp=None) -> dict:
    return cloud.status_envelope(
        phone_number_id,
        DISPLAY,
        wamid=wamid,
        status=state,
        recipient="6281200000000",
        opaque=opaque,
        error=error,
        timestamp=timestamp,
    )


def post(client, payload, *, secret: str = SECRET, raw: bytes | None = None, drain=True):
    """POST a signed body to the webhook, then (unless `drain` is false) ingest what it
    stored, as the worker would at once."""
    data = raw if raw is not None else body_of(payload)
    response = client.post(
        "/webhooks/whatsapp",
        data=data,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=sign(data, secret),
    )
    if drain:
        ingest.drain()
    return response
