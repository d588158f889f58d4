"""What we answer to what a person writes. Plain Python: no Django, `now` passed in.

`handle(state, incoming, ...)` reads one message and returns a `Step`: the replies to send
now, the new conversation state, and at most one `effect` on bookings (book, confirm,
cancel). The caller applies the effect through the booking write layer and passes the
outcome - a `BookingView` or the `BookingError` - to `after`, which words the answer.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from antrean.booking.codes import normalize_code
from antrean.booking.errors import AlreadyBooked, BookingError, BookingNotFound
from antrean.booking.explain import explain
from antrean.content import text
from antrean.content.dates import (
    MONTHS,
    format_date,
    format_datetime,
    format_short_date,
    format_time,
    zone_name,
)
from antrean.conversation.law import LawError, looks_like_law, parse_law
from antrean.whatsapp.messages import Button, Buttons, QrImage, Text
from antrean.whatsapp.payloads import UNREADABLE

CANCEL_WORDS = {"#batal", "batal", "#cancel", "cancel", "batalkan", "#batalkan"}
BATAM_PAIRING = timedelta(minutes=30)  # the e-KTP photo and the text belong together


@dataclass(frozen=True)
class Incoming:
    kind: str  # text, button_reply, list_reply, quick_reply, image, document, location, ...
    text: str = ""
    reply_id: str = ""
    media_ref: str = ""  # our reference to the stored photo or document
    media_failed: bool = False


@dataclass(frozen=True)
class OfficeInfo:
    name: str
    zone: str  # IANA name
    address: str = ""
    batam: bool = False
    example_day: date | None = None  # a real open day, for examples in our answers
    registration: tuple[time, time] | None = None


@dataclass(frozen=True)
class Book:
    name: str
    birth_date: date
    visit_date: date | None
    address: str | None = None
    document_ref: str = ""


@dataclass(frozen=True)
class Confirm:
    code: str


@dataclass(frozen=True)
class Cancel:
    code: str | None  # None: the number's live booking


Effect = Book | Confirm | Cancel


@dataclass(frozen=True)
class BookingView:
    """What our answers say about a booking."""

    code: str
    name: str
    birth_date: date
    visit_date: date
    slot_start: time
    status: str
    queue_number: str | None
    confirm_by: datetime | None
    arrive_by: datetime
    child: bool
    old_passport: bool
    address: str | None = None
    moved_from: date | None = None


@dataclass
class Step:
    state: dict
    replies: list = field(default_factory=list)
    effect: Effect | None = None


def handle(
    state: dict, incoming: Incoming, *, now: datetime, office: OfficeInfo, lang: str
) -> Step:
    state = dict(state)
    if incoming.kind in UNREADABLE:
        kind = text(f"kind.{incoming.kind}", lang)
        return Step(state, [Text(text("chat.unreadable_kind", lang, kind=kind))])
    if incoming.kind == "location":
        answer = "chat.location" if office.address else _welcome_key(office)
        return Step(state, [Text(_say(answer, lang, office))])
    if incoming.kind in ("image", "document"):
        return _document(state, incoming, now=now, office=office, lang=lang)
    if incoming.kind in ("button_reply", "list_reply", "quick_reply"):
        return _tapped(state, incoming, office=office, lang=lang)
    return _typed(state, incoming.text, now=now, office=office, lang=lang)


def _tapped(state: dict, incoming: Incoming, *, office: OfficeInfo, lang: str) -> Step:
    action, _, code = incoming.reply_id.partition(":")
    if action == "confirm" and code:
        return Step(state, effect=Confirm(code))
    if action == "cancel" and code:
        return Step(state, effect=Cancel(code))
    return Step(state, [Text(_say(_welcome_key(office), lang, office))])


def _typed(state: dict, typed: str, *, now: datetime, office: OfficeInfo, lang: str) -> Step:
    words = " ".join(typed.lower().split())
    if words in CANCEL_WORDS:
        return Step(state, effect=Cancel(None))
    code = normalize_code(typed)
    # Codes are sent back as one word; "apa kabar" is not APAKABAR.
    if code and "#" not in typed and (len(typed.split()) == 1 or any(c.isdigit() for c in typed)):
        return Step(state, effect=Confirm(code))
    if not looks_like_law(typed):
        return Step(state, [Text(_say(_welcome_key(office), lang, office))])
    today = now.astimezone(ZoneInfo(office.zone)).date()
    try:
        request = parse_law(typed, today=today, batam=office.batam)
    except LawError as error:
        return Step(state, [Text(_law_error(error, lang, office))])
    if not office.batam:
        effect = Book(request.name, request.birth_date, request.visit_date)
        return Step(state, effect=effect)
    # Batam: the text and a photo of the e-KTP, in either order, within 30 minutes.
    photo = state.pop("ktp", None)
    if photo and now - datetime.fromisoformat(photo["at"]) <= BATAM_PAIRING:
        effect = Book(request.name, request.birth_date, None, request.address, photo["ref"])
        return Step(state, effect=effect)
    state["batam_request"] = {
        "name": request.name,
        "birth_date": request.birth_date.isoformat(),
        "address": request.address,
        "at": now.isoformat(),
    }
    return Step(state, [Text(text("chat.batam_need_photo", lang))])


def _document(state: dict, incoming: Incoming, *, now: datetime, office: OfficeInfo, lang: str):
    if incoming.media_failed or not incoming.media_ref:
        return Step(state, [Text(text("chat.media_failed", lang))])
    if not office.batam:
        return Step(state, [Text(_say("chat.media_not_needed", lang, office))])
    request = state.pop("batam_request", None)
    if request and now - datetime.fromisoformat(request["at"]) <= BATAM_PAIRING:
        effect = Book(
            request["name"],
            date.fromisoformat(request["birth_date"]),
            None,
            request["address"],
            incoming.media_ref,
        )
        return Step(state, effect=effect)
    state["ktp"] = {"ref": incoming.media_ref, "at": now.isoformat()}
    return Step(state, [Text(text("chat.batam_need_text", lang))])


def after(effect: Effect, outcome, *, office: OfficeInfo, lang: str) -> list:
    """The answer to an applied effect: `outcome` is a BookingView or a BookingError."""
    if isinstance(outcome, BookingError):
        return _refusal(effect, outcome, office=office, lang=lang)
    if isinstance(effect, Book):
        return _booked(outcome, office=office, lang=lang)
    if isinstance(effect, Confirm):
        return [Text(_confirmed(outcome, office=office, lang=lang))]
    return [Text(text("chat.cancelled", lang, code=outcome.code))]


def _refusal(effect: Effect, error: BookingError, *, office: OfficeInfo, lang: str) -> list:
    if isinstance(effect, Cancel) and effect.code is None and isinstance(error, BookingNotFound):
        return [Text(_say("chat.no_live_booking", lang, office))]
    sentence = explain(error, lang, office=office.name, zone=office.zone)
    if isinstance(error, AlreadyBooked):
        sentence += "\n\n" + text("chat.how_to_cancel", lang)
    if isinstance(effect, Confirm) and isinstance(error, BookingNotFound):
        sentence += "\n\n" + _say(_welcome_key(office), lang, office)
    return [Text(sentence)]


def _booked(view: BookingView, *, office: OfficeInfo, lang: str) -> list:
    zone = zone_name(office.zone)
    lines = text(
        "chat.booked",
        lang,
        code=view.code,
        name=view.name,
        birth_date=format_short_date(view.birth_date, lang),
        office=office.name,
        visit_date=format_date(view.visit_date, lang),
        slot=f"{format_time(view.slot_start, lang)} {zone}",
        confirm_by=format_datetime(view.confirm_by, lang) if view.confirm_by else "-",
        address_line=(
            "\n" + text("chat.booked_address", lang, address=view.address) if view.address else ""
        ),
    )
    if view.moved_from:
        lines = (
            text("chat.moved", lang, requested=format_date(view.moved_from, lang)) + "\n\n" + lines
        )
    confirm = Button(f"confirm:{view.code}", text("chat.button_confirm", lang))
    cancel = Button(f"cancel:{view.code}", text("chat.button_cancel", lang))
    return [
        QrImage(code=view.code, caption=text("chat.qr_caption", lang, code=view.code)),
        Buttons(body=lines, buttons=(confirm, cancel)),
    ]


def _confirmed(view: BookingView, *, office: OfficeInfo, lang: str) -> str:
    zone = zone_name(office.zone)
    requirements = text("requirements.child" if view.child else "requirements.adult", lang)
    if view.old_passport:
        requirements += "\n" + text("requirements.old_passport", lang)
    return text(
        "chat.confirmed",
        lang,
        name=view.name,
        queue=view.queue_number or "-",
        code=view.code,
        visit_date=format_date(view.visit_date, lang),
        slot=f"{format_time(view.slot_start, lang)} {zone}",
        office=office.name,
        address=f", {office.address}" if office.address else "",
        arrive_by=f"{format_time(view.arrive_by.timetz(), lang)} {zone}",
        requirements=requirements,
    )


def _law_error(error: LawError, lang: str, office: OfficeInfo) -> str:
    if error.field == "format":
        key = "chat.field_count_batam" if office.batam else "chat.field_count"
        return _say(key, lang, office, count=error.details["count"])
    if error.field == "address":
        return _say("chat.address_too_long", lang, office, maximum=error.details["maximum"])
    field_name = text(f"field.{error.field}", lang)
    if error.why == "not_a_date":
        month = MONTHS[lang if lang in MONTHS else "id"][error.details["month"] - 1]
        return _say(
            "chat.date_not_a_date",
            lang,
            office,
            field=field_name,
            day=error.details["day"],
            month=month,
            year=error.details["year"],
        )
    return _say("chat.date_unreadable", lang, office, field=field_name, raw=error.details["raw"])


def _welcome_key(office: OfficeInfo) -> str:
    return "chat.welcome_batam" if office.batam else "chat.welcome"


def _say(key: str, lang: str, office: OfficeInfo, **params) -> str:
    """A text with the office's name, address, hours and a real example day filled in."""
    example = office.example_day
    zone = zone_name(office.zone)
    opens, closes = office.registration or (time(7, 30), time(10))
    values = {
        "office": office.name,
        "address": office.address,
        "zone": zone,
        "opens": format_time(opens, lang),
        "closes": format_time(closes, lang),
        "example": format_date(example, lang) if example else "-",
        "example_short": format_short_date(example, lang) if example else "-",
        "example_digits": f"{example:%d%m%Y}" if example else "DDMMYYYY",
    }
    values.update(params)
    return text(key, lang, **values)
