"""What we answer to what a person writes. Plain Python: no Django, `now` passed in.

`handle(state, incoming, ...)` reads one message and returns a `Step`: the replies to send
now, the new conversation state, and at most one effect (book, confirm, cancel,
reschedule, look up a status, file a ticket, change language). The caller applies the
effect through the booking write layer and passes the outcome - a view of the result or
the `BookingError` - to `after`, which words the answer.

Anything a person sends gets a useful answer: a LAW booking message, a booking code, a
tap on one of our buttons or lists, a word such as "batal", "menu", "syarat" or "paspor
hilang", a photo; and everything else the SIGAP menu.
"""

import re
from datetime import date, datetime, timedelta

from antrean.booking.codes import normalize_code
from antrean.booking.errors import (
    AlreadyBooked,
    BeyondHorizon,
    BookingError,
    BookingNotFound,
    DayClosed,
    NoSlotsLeftToday,
    NotYetReleased,
    OutsideRegistrationHours,
    VisitDateInPast,
)
from antrean.content.dates import format_date, format_datetime
from antrean.content.money import thousands
from antrean.conversation import flows, menu, survey, words
from antrean.conversation.flows import Turn
from antrean.conversation.law import LawError, looks_like_law, parse_law
from antrean.conversation.model import (
    Book,
    BookingView,
    Cancel,
    Confirm,
    EntryView,
    FileTicket,
    Incoming,
    Reschedule,
    SetLanguage,
    ShowStatus,
    ShowTicket,
    Situation,
    Step,
    SubmitSurvey,
    TicketView,
    Wait,
)
from antrean.conversation.speak import Speaker, law_error
from antrean.whatsapp.messages import Button, Buttons, QrImage, Text
from antrean.whatsapp.payloads import UNREADABLE

BATAM_PAIRING = timedelta(minutes=30)  # the e-KTP photo and the text belong together
LANGUAGES = ("id", "en")
TOPICS = {"status", "pay", "requirements", "pickup", "book", "change", "feedback", "language"}
FLOWS = {"book": flows.booking, "reschedule": flows.reschedule, "feedback": flows.feedback,
         "status": flows.status, "survey": survey.questions}  # fmt: skip
TYPED_STEPS = {"name", "birth", "text", "code", "confirm"}  # steps that read typed text
TICKET_NUMBER = re.compile(r"T-\d{4}-\d{5,}")
DATE_REFUSALS = (VisitDateInPast, DayClosed, BeyondHorizon, NoSlotsLeftToday, NotYetReleased)


def handle(
    state: dict, incoming: Incoming, *, now: datetime, situation: Situation, lang: str
) -> Step:
    state = dict(state)
    turn = Turn(now, situation, Speaker(situation.office, lang))
    flow, expired = flows.current(state, now)
    if incoming.kind in UNREADABLE:
        kind = turn.say(f"kind.{incoming.kind}")
        return Step(state, [Text(turn.say("chat.unreadable_kind", kind=kind))])
    if incoming.kind in ("button_reply", "list_reply", "quick_reply"):
        return _tapped(state, flow, expired, incoming, turn)
    if incoming.kind == "location":
        if not situation.office.address:
            return Step(state, [menu.menu(turn.say)])
        return Step(state, [Text(turn.say("chat.location"))])
    if incoming.kind in ("image", "document"):
        return _document(state, incoming, turn)
    return _typed(state, flow, expired, incoming, turn)


def _tapped(state: dict, flow, expired: bool, incoming: Incoming, turn: Turn) -> Step:
    action, _, value = incoming.reply_id.partition(":")
    if action == "confirm" and value:
        return Step(state, effect=Confirm(value))
    if action == "cancel" and value:
        return Step(flows.end(state), effect=Cancel(value))
    if action == "wait" and value:
        return Step(flows.end(state), effect=Wait(value))
    if action == "menu":
        return _topic(flows.end(state), value, turn)
    if action == "lang" and value in LANGUAGES:
        return Step(state, effect=SetLanguage(value))
    if action == "req" and value in ("adult", "child", "renewal"):
        return Step(state, [menu.answer(f"requirements_{value}", turn.say)])
    if action == "chg" and value == "reschedule":
        return flows.start_reschedule(state, turn)
    if action == "survey" and value:  # the invitation's button, or its template's quick reply
        return survey.start(state, value, turn)
    if action == "ikm" and expired:  # an answer to a survey left for half an hour
        return survey.expired(state, turn)
    if incoming.reply_id == "flow:stop":
        return Step(flows.end(state), [Text(turn.say("flow.ended"))])
    if flow is not None:
        return FLOWS[flow["name"]](state, flow, incoming, turn)
    if expired:
        return Step(state, [Text(turn.say("flow.expired")), menu.menu(turn.say)])
    return Step(state, [menu.menu(turn.say)])


def _topic(state: dict, name: str, turn: Turn) -> Step:
    if name == "status":
        return Step(state, effect=ShowStatus(None))
    if name in ("pay", "pickup", "lost"):
        return Step(state, [menu.answer(name, turn.say)])
    if name == "requirements":
        return Step(state, [menu.requirements_question(turn.say)])
    if name == "book":
        return flows.start_booking(state, turn)
    if name == "change":
        live = turn.situation.live
        if live is None:
            return Step(state, [Text(turn.say("chat.nothing_to_change")), menu.menu(turn.say)])
        return Step(state, [flows.booking_choices(live, turn)])
    if name == "feedback":
        return flows.start_feedback(state, turn)
    if name == "language":
        return Step(state, [menu.language_question(turn.say)])
    return Step(state, [menu.menu(turn.say)])


def _typed(state: dict, flow, expired: bool, incoming: Incoming, turn: Turn) -> Step:
    typed = incoming.text
    plain = words.plain(typed)
    if plain in words.MENU:
        return Step(flows.end(state), [menu.menu(turn.say)])
    if plain in words.CANCEL or plain in words.STOP:
        if flow is not None or expired:  # "batal" to a question we asked: stop asking
            return Step(flows.end(state), [Text(turn.say("flow.ended"))])
        if plain in words.STOP:
            return Step(state, [menu.menu(turn.say)])
        return Step(state, effect=Cancel(None))
    if flow is not None and flow.get("step") in TYPED_STEPS:
        return FLOWS[flow["name"]](state, flow, incoming, turn)
    if plain in words.ENGLISH:
        return Step(state, effect=SetLanguage("en"))
    if plain in words.INDONESIAN:
        return Step(state, effect=SetLanguage("id"))
    if plain in words.LANGUAGE:
        return Step(state, [menu.language_question(turn.say)])
    if TICKET_NUMBER.fullmatch(typed.strip().upper()):
        return Step(state, effect=ShowTicket(typed.strip().upper()))
    code = normalize_code(typed)
    if code and "#" not in typed and words.looks_like_code(typed, careful=flow is not None):
        guessed = not any(ch.isdigit() for ch in typed)  # "SEKARANG" only looks like a code
        return Step(flows.end(state), effect=Confirm(code, guessed=guessed))
    if looks_like_law(typed):
        return _law(flows.end(state), typed, turn)
    topic = words.topic(typed)
    if topic is not None:
        return _topic(state, topic, turn)
    if flow is not None:
        return FLOWS[flow["name"]](state, flow, incoming, turn)  # asks its question again
    if expired:
        return Step(state, [Text(turn.say("flow.expired")), menu.menu(turn.say)])
    return Step(state, [menu.menu(turn.say)])


# --- The LAW message and Batam's variant -----------------------------------------------
def _law(state: dict, typed: str, turn: Turn) -> Step:
    office = turn.office
    if office.batam and not office.registration_open:
        return Step(state, [Text(_closed_for_registration(turn))])
    try:
        request = parse_law(typed, today=turn.today, batam=office.batam)
    except LawError as error:
        return Step(state, [Text(law_error(error, turn.say))])
    if not office.batam:
        return Step(state, effect=Book(request.name, request.birth_date, request.visit_date))
    # Batam: the text and a photo of the e-KTP, in either order, within 30 minutes.
    photo = state.pop("ktp", None)
    if photo and turn.now - datetime.fromisoformat(photo["at"]) <= BATAM_PAIRING:
        effect = Book(request.name, request.birth_date, None, request.address, photo["ref"])
        return Step(state, effect=effect)
    state["batam_request"] = {
        "name": request.name,
        "birth_date": request.birth_date.isoformat(),
        "address": request.address,
        "at": turn.now.isoformat(),
    }
    return Step(state, [Text(turn.say("chat.batam_need_photo"))])


def _document(state: dict, incoming: Incoming, turn: Turn) -> Step:
    office = turn.office
    if incoming.media_failed or not incoming.media_ref:
        return Step(state, [Text(turn.say("chat.media_failed"))])
    if not office.batam:
        return Step(state, [Text(turn.say("chat.media_not_needed"))])
    if not office.registration_open:
        return Step(state, [Text(_closed_for_registration(turn))])
    request = state.pop("batam_request", None)
    if request and turn.now - datetime.fromisoformat(request["at"]) <= BATAM_PAIRING:
        effect = Book(
            request["name"],
            date.fromisoformat(request["birth_date"]),
            None,
            request["address"],
            incoming.media_ref,
        )
        return Step(state, effect=effect)
    state["ktp"] = {"ref": incoming.media_ref, "at": turn.now.isoformat()}
    return Step(state, [Text(turn.say("chat.batam_need_text"))])


def _closed_for_registration(turn: Turn) -> str:
    opens, closes = turn.office.registration
    error = OutsideRegistrationHours(
        opens=opens, closes=closes, next_opening=turn.office.next_registration
    )
    return turn.why(error)


# --- Answers to applied effects ------------------------------------------------------------
def after(effect, outcome, state: dict, *, now: datetime, situation: Situation, lang: str) -> Step:
    """The answer to an applied effect: `outcome` is a view of the result or a BookingError."""
    state = dict(state)
    if isinstance(effect, SetLanguage):
        say = Speaker(situation.office, effect.lang)
        return Step(state, [Text(say("sigap.language_set")), menu.menu(say)])
    turn = Turn(now, situation, Speaker(situation.office, lang))
    if isinstance(effect, ShowTicket):
        return Step(state, [Text(_ticket(effect, outcome, turn))])
    if isinstance(outcome, BookingError):
        return _refusal(effect, outcome, state, turn)
    if isinstance(effect, Book) and isinstance(outcome, EntryView):
        return Step(flows.end(state), [Text(_entered(outcome, turn))])
    if isinstance(effect, Book):
        return Step(flows.end(state), _booked(outcome, effect, turn))
    if isinstance(effect, Confirm):
        return Step(state, [Text(_confirmed(outcome, turn))])
    if isinstance(effect, Cancel):
        return Step(state, [Text(turn.say("chat.cancelled", code=outcome.code))])
    if isinstance(effect, Wait):
        return Step(state, [_waiting(outcome, turn)])
    if isinstance(effect, Reschedule):
        return Step(state, [_with_confirm(_rescheduled(outcome, turn), outcome, turn)])
    if isinstance(effect, ShowStatus):
        return Step(state, [_with_confirm(_status(outcome, turn), outcome, turn)])
    if isinstance(effect, FileTicket) and isinstance(outcome, TicketView):
        kind = turn.say(f"ticket.{outcome.kind}")
        return Step(state, [Text(turn.say("flow.ticket", kind=kind, number=outcome.number))])
    if isinstance(effect, SubmitSurvey):
        return survey.answered(state, outcome, turn)
    raise TypeError(f"no answer for {type(effect).__name__}")


def _entered(entry: EntryView, turn: Turn) -> str:
    lang = turn.say.lang
    return turn.say(
        "release.entered",
        ticket=entry.ticket,
        first_day=format_date(entry.first_day, lang),
        last_day=format_date(entry.last_day, lang),
        closes_at=format_datetime(entry.closes_at, lang),
        audit_url=entry.audit_url,
    )


def _refusal(effect, error: BookingError, state: dict, turn: Turn) -> Step:
    say = turn.say
    if isinstance(error, BookingNotFound):
        if isinstance(effect, Cancel) and effect.code is None:
            return Step(state, [Text(say("chat.no_live_booking")), menu.menu(say)])
        if isinstance(effect, ShowStatus) and effect.code is None:
            flows.begin(state, "status", turn, step="code")
            return Step(state, [Text(say("flow.ask_code"))])
        if isinstance(effect, Confirm) and effect.guessed:
            return Step(state, [menu.menu(say)])  # a word, not a code: no "code not found"
    sentence = turn.why(error)
    if isinstance(effect, Book) and effect.confirm:
        again = flows.offer_again(state, error, turn, note=sentence)
        if again is not None:  # the guided booking's hour or day filled meanwhile
            return again
    flows.end(state)
    if isinstance(error, AlreadyBooked) and turn.situation.live is not None:
        return Step(state, [flows.booking_choices(turn.situation.live, turn, note=sentence)])
    if isinstance(error, AlreadyBooked):
        sentence += "\n\n" + say("chat.how_to_cancel")
    if isinstance(effect, Book) and isinstance(error, DATE_REFUSALS):
        suggestion = error.details.get("suggestion")
        if suggestion and not turn.office.batam:
            example = f"#{effect.name}#{effect.birth_date:%d%m%Y}#{suggestion:%d%m%Y}"
            sentence += "\n\n" + say("chat.try_this", example=example)
    replies = [Text(sentence)]
    if isinstance(effect, Confirm | ShowStatus) and isinstance(error, BookingNotFound):
        replies.append(menu.menu(say))
    return Step(state, replies)


def _with_confirm(body: str, view: BookingView, turn: Turn):
    """A pending booking's answer reminds that it still needs confirming, with the buttons."""
    if view.status != "pending" or not view.confirm_by:
        return Text(body)
    reminder = turn.say(
        "flow.confirm_reminder", confirm_by=format_datetime(view.confirm_by, turn.say.lang)
    )
    return Buttons(
        f"{body}\n\n{reminder}",
        (
            Button(f"confirm:{view.code}", turn.say("chat.button_confirm")),
            Button(f"cancel:{view.code}", turn.say("chat.button_cancel")),
        ),
    )


def _ticket(effect: ShowTicket, ticket: TicketView | None, turn: Turn) -> str:
    if ticket is None:
        return turn.say("flow.ticket_not_found", number=effect.number)
    return turn.say(
        "flow.ticket_status",
        number=ticket.number,
        kind=turn.say(f"ticket.{ticket.kind}"),
        created=turn.say.short_day(ticket.created) if ticket.created else "-",
        state=turn.say(f"ticket.state.{ticket.state}"),
    )


def _slot(view: BookingView, turn: Turn) -> str:
    return turn.say.hour(view.slot_start)


def _booked(view: BookingView, effect: Book, turn: Turn) -> list:
    say = turn.say
    qr = QrImage(code=view.code, caption=say("chat.qr_caption", code=view.code))
    if effect.confirm:
        return [qr, Text(_confirmed(view, turn))]
    details = say(
        "chat.booked",
        code=view.code,
        name=view.name,
        birth_date=say.day(view.birth_date).split(", ", 1)[1],
        visit_date=say.day(view.visit_date),
        slot=_slot(view, turn),
        confirm_by=format_datetime(view.confirm_by, turn.say.lang) if view.confirm_by else "-",
        address_line="\n" + say("chat.booked_address", address=view.address)
        if view.address
        else "",
    )
    confirm = Button(f"confirm:{view.code}", say("chat.button_confirm"))
    cancel = Button(f"cancel:{view.code}", say("chat.button_cancel"))
    buttons = (confirm, cancel)
    if view.moved_from:
        moved = say("chat.moved", requested=say.day(view.moved_from))
        moved += " " + say("chat.may_wait", requested=say.short_day(view.moved_from))
        details = moved + "\n\n" + details
        buttons += (Button(f"wait:{view.code}", say("chat.button_wait")),)
    return [qr, Buttons(body=details, buttons=buttons)]


def _waiting(view: BookingView, turn: Turn) -> Buttons:
    """On the waitlist: where in line, what happens next, and the way out."""
    body = turn.say(
        "chat.waiting",
        code=view.code,
        day=turn.say.day(view.visit_date),
        place=view.waitlist_place or 1,
        minutes=view.claim_minutes,
    )
    leave = Button(f"cancel:{view.code}", turn.say("chat.button_cancel"))
    return Buttons(body, (leave,))


def _queue_line(view: BookingView, turn: Turn) -> str:
    return turn.say("flow.queue_line", queue=view.queue_number) if view.queue_number else ""


def _confirmed(view: BookingView, turn: Turn) -> str:
    say = turn.say
    requirements = say("requirements.child" if view.child else "requirements.adult")
    if view.old_passport:
        requirements += "\n" + say("requirements.old_passport")
    said = say(
        "chat.confirmed",
        name=view.name,
        queue=view.queue_number or "-",
        code=view.code,
        visit_date=say.day(view.visit_date),
        slot=_slot(view, turn),
        address=f", {turn.office.address}" if turn.office.address else "",
        arrive_by=say.hour(view.arrive_by.timetz()),
        requirements=requirements,
    )
    if view.payment is not None and not view.payment.paid:  # the fee is paid before the visit
        said += "\n\n" + say(
            "chat.bill",
            amount=thousands(view.payment.amount),
            billing_code=view.payment.billing_code,
            due=format_datetime(view.payment.due_at, say.lang),
        )
    return said


def _rescheduled(view: BookingView, turn: Turn) -> str:
    return turn.say(
        "flow.rescheduled",
        code=view.code,
        day=turn.say.day(view.visit_date),
        hour=_slot(view, turn),
        queue=_queue_line(view, turn),
        arrive_by=turn.say.hour(view.arrive_by.timetz()),
    )


def _status(view: BookingView, turn: Turn) -> str:
    if view.status == "waitlisted":
        return turn.say(
            "chat.waiting",
            code=view.code,
            day=turn.say.day(view.visit_date),
            place=view.waitlist_place or 1,
            minutes=view.claim_minutes,
        )
    return turn.say(
        "flow.status",
        code=view.code,
        status=turn.say(f"status.{view.status}"),
        office=view.office_name or turn.office.name,
        day=turn.say.day(view.visit_date),
        hour=_slot(view, turn),
        queue=_queue_line(view, turn),
    )
