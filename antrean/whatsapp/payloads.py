"""Tolerant reading of Cloud API webhook envelopes.

Meta adds fields and kinds over time and the payloads we get are not always complete
(older contact formats, placeholder ids, unknown types). `parse` never raises on a JSON
object: whatever it cannot use becomes an `Other` event for the log. Only the parts we
act on are modelled; the original message object is kept whole for storage.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

# Kinds we answer with "we cannot read this"; Meta types we ignore. The rest we act on:
# text, button_reply, list_reply, quick_reply, image, document, location.
UNREADABLE = frozenset({"audio", "voice", "video", "sticker", "contacts", "order", "unsupported"})
IGNORED = frozenset({"reaction", "edit", "revoke", "system", "ephemeral", "request_welcome"})


@dataclass(frozen=True)
class Message:
    """One message a person sent to one of our numbers."""

    wamid: str
    phone_number_id: str
    wa_id: str
    kind: str  # text, button_reply, list_reply, quick_reply, image, document, location, ...
    sent_at: datetime
    text: str = ""  # the body, or the tapped button/row title
    reply_id: str = ""  # the id of the tapped button or row, or a quick reply's payload
    media_id: str = ""
    mime_type: str = ""
    profile_name: str = ""
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Status:
    """What happened to a message we sent: sent, delivered, read, played or failed."""

    wamid: str
    phone_number_id: str
    status: str
    at: datetime
    recipient: str = ""
    opaque: str = ""  # our biz_opaque_callback_data
    error_code: int | None = None
    error_title: str = ""
    error_detail: str = ""


@dataclass(frozen=True)
class Other:
    """Anything else (system, account, template, call, echo updates; ignored kinds)."""

    field: str
    summary: str


MAX_WAMID = 128  # our column sizes; Meta's ids are far shorter
MAX_WA_ID = 20  # E.164 numbers have at most 15 digits


def _text(value) -> str:
    # PostgreSQL text cannot hold NUL: a NUL in a signed payload must not become a 503 loop.
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _when(value) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(tz=UTC)


def message_from_raw(raw: dict, phone_number_id: str = "") -> Message:
    """A stored message object read again (for processing after the webhook stored it)."""
    event = _message(_dict(raw), phone_number_id, {})
    if isinstance(event, Message):
        return event
    return Message(
        wamid="",
        phone_number_id=phone_number_id,
        wa_id="",
        kind="unsupported",
        sent_at=_when(None),
    )


def _message(raw: dict, phone_number_id: str, names: dict) -> Message | Other:
    kind = _text(raw.get("type"))
    wamid = _text(raw.get("id"))
    wa_id = _text(raw.get("from"))
    if kind in IGNORED or not kind:
        return Other("messages", f"{kind or 'untyped'} message ignored")
    # A sender is a phone number to answer: ASCII digits ("²" and "٦" are digits too).
    sender_ok = wa_id.isascii() and wa_id.isdigit() and len(wa_id) <= MAX_WA_ID
    if not wamid or not sender_ok or len(wamid) > MAX_WAMID:
        return Other("messages", f"{kind[:32]} message without a usable id or sender")
    common = {
        "wamid": wamid,
        "phone_number_id": phone_number_id,
        "wa_id": wa_id,
        "sent_at": _when(raw.get("timestamp")),
        "profile_name": names.get(wa_id, "")[:100],
        "raw": raw,
    }
    if kind == "text":
        return Message(kind="text", text=_text(_dict(raw.get("text")).get("body")), **common)
    if kind == "interactive":
        interactive = _dict(raw.get("interactive"))
        sub = _text(interactive.get("type"))
        if sub in ("button_reply", "list_reply"):
            reply = _dict(interactive.get(sub))
            return Message(
                kind=sub, text=_text(reply.get("title")), reply_id=_text(reply.get("id")), **common
            )
        return Message(kind="unsupported", **common)
    if kind == "button":  # a template's quick-reply button
        button = _dict(raw.get("button"))
        return Message(
            kind="quick_reply",
            text=_text(button.get("text")),
            reply_id=_text(button.get("payload")),
            **common,
        )
    if kind in ("image", "document"):
        media = _dict(raw.get(kind))
        return Message(
            kind=kind,
            text=_text(media.get("caption")),
            media_id=_text(media.get("id")),
            mime_type=_text(media.get("mime_type")),
            **common,
        )
    if kind == "location":
        return Message(kind="location", **common)
    if kind == "audio":
        voice = _dict(raw.get("audio")).get("voice") is True
        return Message(kind="voice" if voice else "audio", **common)
    return Message(kind=kind if kind in UNREADABLE else "unsupported", **common)


def _status(raw: dict, phone_number_id: str) -> Status | Other:
    wamid, status = _text(raw.get("id")), _text(raw.get("status")).lower()
    if not wamid or not status or len(wamid) > MAX_WAMID:
        return Other("statuses", "status without a usable id")
    error = _dict((_list(raw.get("errors")) or [{}])[0])
    code = error.get("code")
    return Status(
        wamid=wamid,
        phone_number_id=phone_number_id,
        status=status,
        at=_when(raw.get("timestamp")),
        recipient=_text(raw.get("recipient_id")),
        opaque=_text(raw.get("biz_opaque_callback_data")),
        # An IntegerField: 32 bits on every database (and True is an int to Python).
        error_code=code if type(code) is int and -(2**31) <= code < 2**31 else None,
        error_title=_text(error.get("title")) or _text(error.get("message")),
        error_detail=_text(_dict(error.get("error_data")).get("details")),
    )


def parse(envelope) -> list[Message | Status | Other]:
    """Every event in a webhook body, in order."""
    if not isinstance(envelope, dict):
        return [Other("?", "body is not a JSON object")]
    kind = envelope.get("object")
    if kind != "whatsapp_business_account":
        # A log line: never the repr of a megabyte, or of lists nested 900 deep.
        shown = repr(kind[:40]) if isinstance(kind, str) else f"of type {type(kind).__name__}"
        return [Other("?", f"object {shown}")]
    events: list[Message | Status | Other] = []
    for entry in _list(envelope.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            name, value = _text(change.get("field"))[:64], _dict(change.get("value"))
            if name != "messages":
                events.append(Other(name or "?", _summary(value)))
                continue
            number = _text(_dict(value.get("metadata")).get("phone_number_id"))
            names = {
                _text(c.get("wa_id")): _text(_dict(c.get("profile")).get("name"))
                for c in map(_dict, _list(value.get("contacts")))
            }
            for raw in _list(value.get("messages")):
                events.append(_message(_dict(raw), number, names))
            for raw in _list(value.get("statuses")):
                events.append(_status(_dict(raw), number))
            if not value.get("messages") and not value.get("statuses"):
                events.append(Other(name, _summary(value)))
    return events


def _summary(value: dict) -> str:
    """A one-line description for the log, without message contents (and short)."""
    event = _text(value.get("event") or value.get("message_template_name"))[:80]
    return f"{', '.join(key[:32] for key in sorted(value)[:6])} {event}".strip()
