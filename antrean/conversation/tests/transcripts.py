"""A tiny language for whole conversations, and the runner that plays them.

Each step is something the person does - `Say(text)`, `Tap(id)`, `Photo()`, `Kind(kind)`
- or `Wait(minutes)`, followed by what the answer must contain: plain strings must appear
in it, strings starting with `!` must not. `{code}` in what the person says or taps is
their latest booking code. Steps run through the real path: a stored inbound message,
claimed and answered by `antrean.whatsapp.inbound`, the booking write layer, the outbox.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from antrean.booking.models import Booking
from antrean.simulator import cloud
from antrean.whatsapp import inbound
from antrean.whatsapp.messages import Buttons, Choices, QrImage, Template, Text, from_json
from antrean.whatsapp.models import Contact, InboundMessage, StoredMedia


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Tap:
    reply_id: str
    title: str = "…"
    kind: str = "button_reply"


def Row(reply_id: str, title: str = "…") -> Tap:  # a list row: a Tap of another kind
    return Tap(reply_id, title, "list_reply")


@dataclass(frozen=True)
class Photo:
    pass


@dataclass(frozen=True)
class Kind:
    kind: str


@dataclass(frozen=True)
class Wait:
    minutes: int


@dataclass(frozen=True)
class Elsewhere:
    """Meanwhile, other people fill an hour (or a day, without `hour`)."""

    day: str  # ISO
    hour: str | None = None


@dataclass(frozen=True)
class Conversation:
    name: str
    steps: list
    batam: bool = False
    booking: str | None = None  # the status of the person's latest booking at the end
    tickets: int | None = None


@dataclass
class Player:
    contact: Contact
    time_machine: object
    heard: list[str] = field(default_factory=list)

    def play(self, conversation: Conversation) -> None:
        steps = conversation.steps
        index = 0
        while index < len(steps):
            action = steps[index]
            index += 1
            if isinstance(action, Wait):
                self.time_machine.shift(timedelta(minutes=action.minutes))
                continue
            if isinstance(action, Elsewhere):
                self.fill_elsewhere(action)
                continue
            expected = []
            while index < len(steps) and isinstance(steps[index], str):
                expected.append(steps[index])
                index += 1
            answer = self.send(action)
            self.heard.append(answer)
            for fragment in expected:
                if fragment.startswith("!"):
                    assert fragment[1:] not in answer, (
                        f"{action}: must not say {fragment[1:]!r}\n{answer}"
                    )
                else:
                    assert fragment in answer, f"{action}: should say {fragment!r}, said:\n{answer}"
        assert all(self.heard), "every message gets an answer"

    def send(self, action) -> str:
        now = timezone.now()
        fields = {"wa_id": self.contact.wa_id, "timestamp": int(now.timestamp())}
        if isinstance(action, Say):
            fields |= {"kind": "text", "text": self.fill(action.text)}
        elif isinstance(action, Tap):
            fields |= {
                "kind": action.kind,
                "reply_id": self.fill(action.reply_id),
                "text": action.title,
            }
        elif isinstance(action, Photo):
            fields |= {"kind": "image", "media_id": "ktp-photo", "mime_type": "image/jpeg"}
        elif isinstance(action, Kind):
            fields |= {"kind": action.kind}
        message = cloud.inbound_message(**fields)
        stored = InboundMessage.objects.create(
            contact=self.contact,
            wamid=message["id"],
            kind=_kind_of(message),
            sent_at=now,
            received_at=now,
            payload=message,
        )
        if isinstance(action, Photo):  # as if fetched from the Graph API
            StoredMedia.objects.create(
                inbound=stored,
                media_id="ktp-photo",
                mime_type="image/jpeg",
                size=4,
                sha256="0",
                path="none",
                stored_at=now,
            )
        Contact.objects.filter(pk=self.contact.pk).update(last_inbound_at=now)
        inbound.process_contact(self.contact.pk)
        return "\n---\n".join(_read(row.message) for row in stored.replies.order_by("id"))

    def fill_elsewhere(self, action: Elsewhere) -> None:
        from datetime import date, time

        from antrean.booking import actions
        from antrean.booking.errors import BookingError
        from antrean.offices.models import ServiceType

        for n in range(12):
            try:
                actions.book(
                    office=self.contact.number.office,
                    service=ServiceType.objects.get(code="baru"),
                    phone=f"628139{self.contact.pk:03d}{n:04d}",
                    name="Orang Lain",
                    birth_date=date(1990, 1, 1),
                    now=timezone.now(),
                    channel="web",
                    actor="t",
                    visit_date=date.fromisoformat(action.day),
                    hour=time.fromisoformat(action.hour) if action.hour else None,
                    move_if_full=False,
                )
            except BookingError:
                return  # full

    def fill(self, text: str) -> str:
        if "{ticket}" in text:
            from antrean.feedback.models import Ticket

            latest = Ticket.objects.filter(phone=self.contact.wa_id).order_by("-id").first()
            text = text.replace("{ticket}", latest.number if latest else "T-0000-00000")
        if "{code}" in text:
            latest = Booking.objects.filter(phone=self.contact.wa_id).order_by("-id").first()
            text = text.replace("{code}", latest.code if latest else "NOCODE22")
        return text


def _kind_of(message: dict) -> str:
    kind = message["type"]
    if kind == "interactive":
        return message["interactive"]["type"]
    return kind


def _read(stored: dict) -> str:
    """A reply as the person sees it: texts, button and row titles."""
    message = from_json(stored)
    if isinstance(message, Text):
        return message.body
    if isinstance(message, Buttons):
        return message.body + "\n" + " | ".join(f"[{b.title}]" for b in message.buttons)
    if isinstance(message, Choices):
        rows = [f"({r.title}: {r.description})" for s in message.sections for r in s.rows]
        return message.body + "\n[" + message.button + "]\n" + "\n".join(rows)
    if isinstance(message, QrImage):
        return f"<QR {message.code}> {message.caption}"
    if isinstance(message, Template):
        return f"<template {message.name}>"
    return repr(message)
