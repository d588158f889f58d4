"""What we send, and the Cloud API's limits on it, checked in this one place.

Every outbound message is one of these frozen dataclasses; constructing one that breaks a
limit raises `InvalidMessage`, so no caller can queue a message Meta would refuse. They
turn into the JSON we store (`to_json`/`from_json`) and the body we POST (`cloud_body`).
"""

import re
from dataclasses import asdict, dataclass, fields

TEXT_MAX = 4096
BODY_MAX = 1024  # interactive message body
HEADER_MAX = 60
FOOTER_MAX = 60
BUTTONS_MAX = 3
TEMPLATE_BUTTONS_MAX = 10  # a template's buttons, quick replies included
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
ROW_ID_MAX = 200
SECTION_TITLE_MAX = 24
CAPTION_MAX = 1024
TEMPLATE_PARAM_MAX = 1024
# Meta refuses template parameters with new lines, tabs or more than four spaces in a row.
_BAD_TEMPLATE_PARAM = re.compile(r"[\n\t]| {5,}")


class InvalidMessage(ValueError):
    pass


def _check(value: str, name: str, maximum: int, *, required: bool = True) -> None:
    if not isinstance(value, str):
        raise InvalidMessage(f"{name} must be text")
    if required and not value.strip():
        raise InvalidMessage(f"{name} is empty")
    if len(value) > maximum:
        raise InvalidMessage(f"{name} has {len(value)} characters; the limit is {maximum}")


@dataclass(frozen=True)
class Text:
    body: str

    def __post_init__(self):
        _check(self.body, "text", TEXT_MAX)


@dataclass(frozen=True)
class Button:
    id: str
    title: str

    def __post_init__(self):
        _check(self.id, "button id", BUTTON_ID_MAX)
        _check(self.title, "button title", BUTTON_TITLE_MAX)


@dataclass(frozen=True)
class Buttons:
    """Up to three reply buttons under a body text."""

    body: str
    buttons: tuple[Button, ...]
    header: str = ""
    footer: str = ""

    def __post_init__(self):
        _check(self.body, "body", BODY_MAX)
        _check(self.header, "header", HEADER_MAX, required=False)
        _check(self.footer, "footer", FOOTER_MAX, required=False)
        if not 1 <= len(self.buttons) <= BUTTONS_MAX:
            raise InvalidMessage(f"{len(self.buttons)} buttons; 1 to {BUTTONS_MAX} allowed")
        for attribute in ("id", "title"):
            values = [getattr(b, attribute) for b in self.buttons]
            if len(set(values)) != len(values):
                raise InvalidMessage(f"button {attribute}s must differ")


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    description: str = ""

    def __post_init__(self):
        _check(self.id, "row id", ROW_ID_MAX)
        _check(self.title, "row title", ROW_TITLE_MAX)
        _check(self.description, "row description", ROW_DESCRIPTION_MAX, required=False)


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[Row, ...]

    def __post_init__(self):
        _check(self.title, "section title", SECTION_TITLE_MAX, required=False)
        if not self.rows:
            raise InvalidMessage("a section needs at least one row")


@dataclass(frozen=True)
class Choices:
    """A list message: a button that opens up to ten rows in sections."""

    body: str
    button: str
    sections: tuple[Section, ...]
    header: str = ""
    footer: str = ""

    def __post_init__(self):
        _check(self.body, "body", BODY_MAX)
        _check(self.button, "list button", LIST_BUTTON_MAX)
        _check(self.header, "header", HEADER_MAX, required=False)
        _check(self.footer, "footer", FOOTER_MAX, required=False)
        rows = [row for section in self.sections for row in section.rows]
        if not 1 <= len(rows) <= LIST_ROWS_MAX:
            raise InvalidMessage(f"{len(rows)} rows; 1 to {LIST_ROWS_MAX} allowed")
        if len({row.id for row in rows}) != len(rows):
            raise InvalidMessage("row ids must differ")
        if len(self.sections) > 1 and not all(s.title.strip() for s in self.sections):
            raise InvalidMessage("with several sections, each needs a title")


@dataclass(frozen=True)
class QrImage:
    """The QR code of a booking code, drawn and uploaded through /media when sent."""

    code: str
    caption: str = ""

    def __post_init__(self):
        _check(self.code, "QR content", 200)
        _check(self.caption, "caption", CAPTION_MAX, required=False)


@dataclass(frozen=True)
class Template:
    """A pre-approved template: the only kind allowed 24 hours after the person last wrote."""

    name: str
    language: str
    params: tuple[str, ...] = ()
    # An authentication template's one-time code goes to its copy-code button as well.
    button_param: str = ""
    # The payloads of the template's quick-reply buttons, in their order: a tap comes back
    # as a `button` message carrying the payload (e.g. "confirm:AB12CD34").
    quick_replies: tuple[str, ...] = ()

    def __post_init__(self):
        _check(self.name, "template name", 512)
        _check(self.language, "template language", 15)
        for param in (*self.params, *([self.button_param] if self.button_param else [])):
            _check(param, "template parameter", TEMPLATE_PARAM_MAX)
            if _BAD_TEMPLATE_PARAM.search(param):
                raise InvalidMessage("template parameters cannot hold new lines, tabs or 5 spaces")
        if len(self.quick_replies) > TEMPLATE_BUTTONS_MAX:
            raise InvalidMessage(f"at most {TEMPLATE_BUTTONS_MAX} quick-reply buttons")
        for payload in self.quick_replies:
            _check(payload, "quick-reply payload", BUTTON_ID_MAX)


OutboundMessage = Text | Buttons | Choices | QrImage | Template
_KINDS = {cls.__name__: cls for cls in (Text, Buttons, Choices, QrImage, Template)}


def to_json(message: OutboundMessage) -> dict:
    return {"kind": type(message).__name__, **asdict(message)}


def from_json(data: dict) -> OutboundMessage:
    kind = _KINDS[data["kind"]]
    values = {f.name: data[f.name] for f in fields(kind) if f.name in data}
    if kind is Buttons:
        values["buttons"] = tuple(Button(**b) for b in values["buttons"])
    if kind is Choices:
        values["sections"] = tuple(
            Section(title=s["title"], rows=tuple(Row(**r) for r in s["rows"]))
            for s in values["sections"]
        )
    if kind is Template:
        values["params"] = tuple(values.get("params", ()))
        values["quick_replies"] = tuple(values.get("quick_replies", ()))
    return kind(**values)


def summary(message: OutboundMessage) -> str:
    """A short label for lists and logs, without the content."""
    kind = type(message).__name__
    return f"template {message.name}" if isinstance(message, Template) else kind.lower()


def cloud_body(message: OutboundMessage, to: str, *, media_id: str = "", opaque: str = "") -> dict:
    """The JSON for POST /{phone_number_id}/messages."""
    body: dict = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to}
    if opaque:
        body["biz_opaque_callback_data"] = opaque
    if isinstance(message, Text):
        return body | {"type": "text", "text": {"body": message.body, "preview_url": False}}
    if isinstance(message, Buttons):
        return body | {"type": "interactive", "interactive": _buttons(message)}
    if isinstance(message, Choices):
        return body | {"type": "interactive", "interactive": _choices(message)}
    if isinstance(message, QrImage):
        if not media_id:
            raise InvalidMessage("an image needs its uploaded media id")
        image = {"id": media_id}
        if message.caption:
            image["caption"] = message.caption
        return body | {"type": "image", "image": image}
    if isinstance(message, Template):
        return body | {"type": "template", "template": _template(message)}
    raise InvalidMessage(f"cannot send {type(message).__name__}")


def _framed(message: Buttons | Choices, kind: str, action: dict) -> dict:
    interactive: dict = {"type": kind, "body": {"text": message.body}, "action": action}
    if message.header:
        interactive["header"] = {"type": "text", "text": message.header}
    if message.footer:
        interactive["footer"] = {"text": message.footer}
    return interactive


def _buttons(message: Buttons) -> dict:
    buttons = [{"type": "reply", "reply": {"id": b.id, "title": b.title}} for b in message.buttons]
    return _framed(message, "button", {"buttons": buttons})


def _row(row: Row) -> dict:
    data = {"id": row.id, "title": row.title}
    if row.description:
        data["description"] = row.description
    return data


def _choices(message: Choices) -> dict:
    sections = []
    for section in message.sections:
        data: dict = {"rows": [_row(row) for row in section.rows]}
        if section.title:
            data["title"] = section.title
        sections.append(data)
    return _framed(message, "list", {"button": message.button, "sections": sections})


def _template(message: Template) -> dict:
    template: dict = {"name": message.name, "language": {"code": message.language}}
    components = []
    if message.params:
        parameters = [{"type": "text", "text": param} for param in message.params]
        components.append({"type": "body", "parameters": parameters})
    if message.button_param:
        components.append(
            {
                "type": "button",
                "sub_type": "url",
                "index": "0",
                "parameters": [{"type": "text", "text": message.button_param}],
            }
        )
    for index, payload in enumerate(message.quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": payload}],
            }
        )
    if components:
        template["components"] = components
    return template
