"""The guided flows: booking step by step, rescheduling, feedback, asking for a status.

A flow lives in the conversation state as `state["flow"]` with its name, step and what
was chosen so far; 30 minutes without a reply ends it. Every step answers with the next
question, or the same question again with a note on what went wrong.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from antrean.booking.codes import normalize_code
from antrean.booking.errors import BookingError, DayFull, FullyBooked, HourFull, HourNotOffered
from antrean.booking.explain import explain
from antrean.booking.rules import check_birth_date, clean_name
from antrean.conversation import menu, words
from antrean.conversation.law import LawError, parse_date
from antrean.conversation.model import (
    Book,
    BookingView,
    FileTicket,
    Incoming,
    Reschedule,
    ShowStatus,
    Situation,
    Step,
)
from antrean.conversation.speak import Speaker, law_error
from antrean.whatsapp.messages import Button, Buttons, Choices, Row, Section, Text

FLOW_TIMEOUT = timedelta(minutes=30)
FEEDBACK_MAX = 1000
FEEDBACK_KINDS = ("appreciation", "aspiration", "complaint")


@dataclass(frozen=True)
class Turn:
    now: datetime
    situation: Situation
    say: Speaker

    @property
    def office(self):
        return self.situation.office

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.office.zone)).date()

    def why(self, error: BookingError) -> str:
        """The applicant-facing sentence for a refusal, in this office's words and zone."""
        return explain(error, self.say.lang, office=self.office.name, zone=self.office.zone)


def begin(state: dict, name: str, turn: Turn, **data) -> dict:
    state["flow"] = {"name": name, "at": turn.now.isoformat(), **data}
    return state["flow"]


def end(state: dict) -> dict:
    state.pop("flow", None)
    return state


def current(state: dict, now: datetime) -> tuple[dict | None, bool]:
    """The running flow, and whether one just ran out of time."""
    flow = state.get("flow")
    if not flow:
        return None, False
    if now - datetime.fromisoformat(flow["at"]) > FLOW_TIMEOUT:
        end(state)
        return None, True
    flow["at"] = now.isoformat()
    return flow, False


def _again(step: Step, turn: Turn, note: str = "") -> Step:
    """Repeat the question with a note: what went wrong, and how to get out."""
    hint = turn.say("flow.stop_hint")
    step.replies.insert(0, Text(f"{note}\n\n{hint}" if note else hint))
    return step


# --- Booking, step by step ---------------------------------------------------------------
def start_booking(state: dict, turn: Turn) -> Step:
    if turn.situation.live is not None:
        return Step(end(state), [booking_choices(turn.situation.live, turn)])
    if turn.office.batam:
        return Step(end(state), [Text(turn.say("flow.batam_format"))])
    begin(state, "book", turn, step="service")
    return Step(state, [_service_list(turn)])


def booking(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    step, tapped = flow["step"], incoming.reply_id
    if step == "service" and tapped.startswith("svc:"):
        return _chose_service(state, flow, tapped[4:], turn)
    if step in ("day", "hour") and tapped.startswith("day:"):  # at "hour": another day
        return _chose_day(state, flow, tapped[4:], turn, next_step="hour", label="flow.step_3")
    if step == "hour" and tapped.startswith("hour:"):
        flow |= {"hour": tapped[5:], "step": "name"}
        return Step(state, [Text(turn.say("flow.ask_name"))])
    if step == "name" and incoming.kind == "text":
        try:
            flow["applicant"] = clean_name(incoming.text)
        except BookingError as error:
            return _again(Step(state, [Text(turn.say("flow.ask_name"))]), turn, turn.why(error))
        flow["step"] = "birth"
        return Step(state, [Text(turn.say("flow.ask_birth_date"))])
    if step == "birth" and incoming.kind == "text":
        return _typed_birth_date(state, flow, incoming.text, turn)
    typed_yes = incoming.kind == "text" and words.plain(incoming.text) in words.YES
    if step == "confirm" and (tapped == "flow:go" or typed_yes):
        flow["step"] = "booking"  # ended by the answer, or back to the hours if one filled
        effect = Book(
            name=flow["applicant"],
            birth_date=date.fromisoformat(flow["birth_date"]),
            visit_date=date.fromisoformat(flow["day"]),
            hour=time.fromisoformat(flow["hour"]),
            service=flow["service"],
            confirm=True,
        )
        return Step(state, effect=effect)
    return _again(_repeat_booking(state, flow, turn), turn)


def _service_list(turn: Turn) -> Choices:
    rows = [
        Row(f"svc:{option.code}", *_service_titles(option.named(turn.say.lang)))
        for option in turn.office.services
        if option.bookable
    ]
    rows.append(Row("svc:lost", turn.say("flow.lost_row"), turn.say("flow.lost_row_note")))
    return Choices(
        turn.say("flow.choose_service"),
        turn.say("flow.service_button"),
        (Section("", tuple(rows)),),
    )


def _service_titles(name: str) -> tuple[str, str]:
    """`Penggantian paspor (habis masa berlaku/penuh)` -> title and description, each cut
    at a word to fit a list row."""
    title, _, note = name.partition(" (")
    return _fit(title, 24), _fit(note.rstrip(")"), 72)


def _fit(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _chose_service(state: dict, flow: dict, code: str, turn: Turn) -> Step:
    option = next((o for o in turn.office.services if o.code == code), None)
    if option is None or not option.bookable:
        return Step(end(state), [menu.answer("lost", turn.say)])
    flow |= {"service": code, "quota": option.quota, "step": "day"}
    days = _days(turn, option.quota)
    if days is None:
        return Step(end(state), [Text(turn.say("flow.no_days"))])
    return Step(state, [days])


def _days(turn: Turn, quota: str, intro: str = "flow.choose_day") -> Choices | None:
    offers = [offer for offer in turn.situation.offers(quota) if offer.seats > 0][:10]
    if not offers:
        return None
    rows = tuple(
        Row(
            f"day:{offer.day.isoformat()}",
            turn.say.day_title(offer.day),
            turn.say("flow.seats_left", seats=offer.seats),
        )
        for offer in offers
    )
    return Choices(turn.say(intro), turn.say("flow.day_button"), (Section("", rows),))


def _chose_day(
    state: dict, flow: dict, iso: str, turn: Turn, *, next_step: str, label: str = ""
) -> Step:
    try:
        day = date.fromisoformat(iso)
    except ValueError:
        return _again(_repeat_booking(state, flow, turn), turn)
    offer = next((o for o in turn.situation.offers(flow["quota"]) if o.day == day), None)
    hours = [(start, left) for start, left in (offer.hours if offer else ()) if left > 0][:10]
    if not hours:
        days = _days(turn, flow["quota"])
        replies = [Text(turn.say("flow.no_hours", day=turn.say.day(day)))]
        return Step(state, replies + ([days] if days else []))
    flow |= {"day": iso, "step": next_step}
    rows = tuple(
        Row(
            f"hour:{start.isoformat('minutes')}",
            turn.say.hour(start),
            turn.say("flow.seats_left", seats=left),
        )
        for start, left in hours
    )
    question = (turn.say(label) if label else "") + turn.say(
        "flow.choose_hour", day=turn.say.day(day)
    )
    return Step(state, [Choices(question, turn.say("flow.hour_button"), (Section("", rows),))])


def _typed_birth_date(state: dict, flow: dict, typed: str, turn: Turn) -> Step:
    ask = Step(state, [Text(turn.say("flow.ask_birth_date"))])
    try:
        birth = parse_date(typed, today=turn.today, past=True, field="birth_date")
        check_birth_date(birth, turn.today)
    except LawError as error:
        return _again(ask, turn, law_error(error, turn.say))
    except BookingError as error:
        return _again(ask, turn, turn.why(error))
    flow |= {"birth_date": birth.isoformat(), "step": "confirm"}
    return _summary(state, flow, turn)


def _summary(state: dict, flow: dict, turn: Turn) -> Step:
    option = next(o for o in turn.office.services if o.code == flow["service"])
    birth = date.fromisoformat(flow["birth_date"])
    summary = turn.say(
        "flow.summary",
        service=option.named(turn.say.lang),
        name=flow["applicant"],
        birth_date=turn.say.day(birth).split(", ", 1)[1],
        day=turn.say.day(date.fromisoformat(flow["day"])),
        hour=turn.say.hour(time.fromisoformat(flow["hour"])),
    )
    buttons = (
        Button("flow:go", turn.say("flow.book_button")),
        Button("flow:stop", turn.say("chat.button_cancel")),
    )
    return Step(state, [Buttons(summary, buttons)])


def _repeat_booking(state: dict, flow: dict, turn: Turn) -> Step:
    step = flow["step"]
    if step == "service":
        return Step(state, [_service_list(turn)])
    if step == "day":
        days = _days(turn, flow["quota"])
        return Step(state, [days] if days else [Text(turn.say("flow.no_days"))])
    if step == "hour":
        flow["step"] = "day"
        return _chose_day(state, flow, flow["day"], turn, next_step="hour", label="flow.step_3")
    if step == "name":
        return Step(state, [Text(turn.say("flow.ask_name"))])
    if step == "birth":
        return Step(state, [Text(turn.say("flow.ask_birth_date"))])
    return _summary(state, flow, turn)


def offer_again(state: dict, error: BookingError, turn: Turn, note: str) -> Step | None:
    """The guided booking's last tap lost its seat: offer the hours (or days) again."""
    flow = state.get("flow")
    if not flow or flow.get("name") != "book":
        return None
    if isinstance(error, HourFull):
        flow["step"] = "day"
        step = _chose_day(state, flow, flow["day"], turn, next_step="hour", label="flow.step_3")
    elif isinstance(error, DayFull | FullyBooked | HourNotOffered):
        flow["step"] = "day"
        days = _days(turn, flow["quota"])
        step = Step(state, [days] if days else [Text(turn.say("flow.no_days"))])
    else:
        return None
    step.replies.insert(0, Text(note))
    return step


# --- Change or cancel --------------------------------------------------------------------
def booking_choices(live: BookingView, turn: Turn, note: str = "") -> Buttons:
    """The person's live booking, with what they can do with it."""
    body = turn.say(
        "flow.your_booking",
        code=live.code,
        status=turn.say(f"status.{live.status}"),
        day=turn.say.day(live.visit_date),
        hour=turn.say.hour(live.slot_start),
        queue=turn.say("flow.queue_line", queue=live.queue_number) if live.queue_number else "",
    )
    return Buttons(
        f"{note}\n\n{body}" if note else body,
        (
            Button("chg:reschedule", turn.say("flow.reschedule_button")),
            Button(f"cancel:{live.code}", turn.say("flow.cancel_booking_button")),
            Button("menu:main", turn.say("flow.menu_button")),
        ),
    )


def start_reschedule(state: dict, turn: Turn) -> Step:
    live = turn.situation.live
    if live is None:
        return Step(end(state), [Text(turn.say("chat.nothing_to_change")), menu.menu(turn.say)])
    if live.reschedule_refusal is not None:  # say so now, not after two lists
        return Step(end(state), [Text(turn.why(live.reschedule_refusal))])
    begin(state, "reschedule", turn, step="day", code=live.code, quota=live.quota)
    days = _days(turn, live.quota, intro="flow.choose_new_day")
    if days is None:
        return Step(end(state), [Text(turn.say("flow.no_days"))])
    return Step(state, [days])


def reschedule(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    tapped = incoming.reply_id
    if flow["step"] == "day" and tapped.startswith("day:"):
        return _chose_day(state, flow, tapped[4:], turn, next_step="hour")
    if flow["step"] == "hour" and tapped.startswith("hour:"):
        effect = Reschedule(
            flow["code"], date.fromisoformat(flow["day"]), time.fromisoformat(tapped[5:])
        )
        return Step(end(state), effect=effect)
    days = _days(turn, flow["quota"], intro="flow.choose_new_day")
    return _again(Step(state, [days] if days else []), turn)


# --- Feedback ----------------------------------------------------------------------------
def start_feedback(state: dict, turn: Turn) -> Step:
    begin(state, "feedback", turn, step="kind")
    return Step(state, [_feedback_kinds(turn)])


def _feedback_kinds(turn: Turn) -> Buttons:
    return Buttons(
        turn.say("flow.feedback_kind"),
        tuple(Button(f"fb:{kind}", turn.say(f"flow.feedback_{kind}")) for kind in FEEDBACK_KINDS),
    )


def feedback(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    tapped = incoming.reply_id
    if flow["step"] == "kind" and tapped.startswith("fb:") and tapped[3:] in FEEDBACK_KINDS:
        flow |= {"kind": tapped[3:], "step": "text"}
        return Step(state, [Text(turn.say("flow.feedback_write", maximum=FEEDBACK_MAX))])
    if flow["step"] == "text":
        written = incoming.text.strip() if incoming.kind == "text" else ""
        ask = Step(state, [Text(turn.say("flow.feedback_write", maximum=FEEDBACK_MAX))])
        if not written:
            return _again(ask, turn, turn.say("flow.feedback_empty"))
        if len(written) > FEEDBACK_MAX:
            note = turn.say("flow.feedback_too_long", length=len(written), maximum=FEEDBACK_MAX)
            return Step(state, [Text(note)])
        return Step(end(state), effect=FileTicket(flow["kind"], written))
    return _again(Step(state, [_feedback_kinds(turn)]), turn)


# --- Status ------------------------------------------------------------------------------
def status(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    code = normalize_code(incoming.text) if incoming.kind == "text" else None
    if code is None:
        return _again(Step(state, [Text(turn.say("flow.ask_code"))]), turn)
    return Step(end(state), effect=ShowStatus(code))
