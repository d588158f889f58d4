"""The satisfaction survey (IKM, PermenPAN-RB No. 14/2017) over WhatsApp.

`invite` asks a served applicant to answer; tapping its button (`survey:CODE`) starts a
guided flow like the others in `flows`: the nine questions one message at a time, each a
list of four answers (reply buttons allow only three) or a typed digit 1-4, then a comment
that may be skipped. The flow ends with the effect `SubmitSurvey`, which the service
stores through `feedback.actions.record_survey`.

The dialog imports this module, and the dialog imports no Django: `invite`, which writes
to the outbox, imports what it needs when called.
"""

from datetime import datetime

from antrean.booking.codes import normalize_code
from antrean.content import text
from antrean.conversation import menu, words
from antrean.conversation.flows import Turn, begin, end
from antrean.conversation.model import Incoming, Step, SubmitSurvey, SurveyView
from antrean.whatsapp.messages import (
    BUTTON_TITLE_MAX,
    LIST_BUTTON_MAX,
    ROW_TITLE_MAX,
    Button,
    Buttons,
    Choices,
    Row,
    Section,
    Text,
)

QUESTIONS = 9  # the nine service elements, `survey.q1` .. `survey.q9`
SCORES = ("1", "2", "3", "4")  # tidak baik, kurang baik, baik, sangat baik
COMMENT_MAX = 1000
SKIP = "ikm:skip"
SKIP_WORDS = {"lewati", "lewat", "skip", "tidak", "tidak ada", "tdk", "no", "none", "-"}
REMEMBERED = 5  # answered codes kept in the conversation state, to say so at once
LABEL_MAX = ROW_TITLE_MAX - len("4. ")  # a row is the score and its label


def invite(booking, *, now: datetime) -> bool:
    """Queue the invitation to a served booking's number: the text with an "Isi survei"
    button, or outside the 24-hour window the approved template with the same payload as
    its quick reply. False when nothing was queued: not served, answered already, or the
    office has no WhatsApp number."""
    from antrean.booking.lifecycle import Status
    from antrean.conversation.notices import _tell
    from antrean.feedback.models import Survey
    from antrean.whatsapp.templates import template

    if booking.status != Status.SERVED or Survey.objects.filter(booking=booking).exists():
        return False
    start = f"survey:{booking.code}"
    return _tell(
        booking.office,
        booking.phone,
        booking.lang,
        "survey.invite",
        now=now,
        fallback=template("survey", booking.office.name, replies=(start,)),
        buttons=((start, "survey.invite_button"),),
        code=booking.code,
    )


# --- The flow ----------------------------------------------------------------------------
def start(state: dict, code: str, turn: Turn) -> Step:
    """The invitation's button was tapped: the first question (from the start again, if a
    survey was already under way)."""
    code = normalize_code(code)
    if code is None:
        return Step(end(state), [menu.menu(turn.say)])
    if code in state.get("surveyed", ()):
        return Step(end(state), [Text(turn.say("survey.again", code=code))])
    begin(state, "survey", turn, step="score", code=code, scores=[])
    return Step(state, [_question(1, turn)])


def questions(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    if flow["step"] == "score":
        return _scored(state, flow, incoming, turn)
    return _commented(state, flow, incoming, turn)


def answered(state: dict, outcome: SurveyView, turn: Turn) -> Step:
    """The answer to a stored survey: thanks, or that the first answers stand."""
    done = [code for code in state.get("surveyed", []) if code != outcome.code]
    state["surveyed"] = [*done, outcome.code][-REMEMBERED:]
    if outcome.first:
        return Step(state, [Text(turn.say("survey.thanks"))])
    return Step(state, [Text(turn.say("survey.again", code=outcome.code))])


def expired(state: dict, turn: Turn) -> Step:
    """An answer to a survey left for more than 30 minutes: how to start it again."""
    return Step(state, [Text(turn.say("survey.expired"))])


def _scored(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    number = len(flow["scores"]) + 1
    score = _score(incoming, number)
    if score is None:
        return _again(Step(state, [_question(number, turn)]), turn, turn.say("survey.pick"))
    flow["scores"].append(score)
    if number < QUESTIONS:
        return Step(state, [_question(number + 1, turn)])
    flow["step"] = "text"  # a step that reads typed text: a comment may say anything
    return Step(state, [_comment_question(turn)])


def _score(incoming: Incoming, number: int) -> int | None:
    """The score for question `number`: its row tapped, or a digit typed. A row of another
    question (an older list tapped again) does not count."""
    if incoming.kind == "text":
        typed = words.plain(incoming.text)
        return int(typed) if typed in SCORES else None
    action, _, rest = incoming.reply_id.partition(":")
    asked, _, score = rest.partition(":")
    if action == "ikm" and asked == str(number) and score in SCORES:
        return int(score)
    return None


def _commented(state: dict, flow: dict, incoming: Incoming, turn: Turn) -> Step:
    typed = incoming.text.strip() if incoming.kind == "text" else ""
    if incoming.reply_id == SKIP or words.plain(typed) in SKIP_WORDS:
        typed = ""
    elif not typed:
        note = turn.say("survey.comment_text_only")
        return _again(Step(state, [_comment_question(turn)]), turn, note)
    elif len(typed) > COMMENT_MAX:
        note = turn.say("survey.comment_long", length=len(typed), maximum=COMMENT_MAX)
        return Step(state, [Text(note)])
    return Step(end(state), effect=SubmitSurvey(flow["code"], tuple(flow["scores"]), typed))


def _question(number: int, turn: Turn) -> Choices:
    rows = []
    for score in SCORES:
        label = _title(turn, f"survey.scale.{score}", LABEL_MAX)
        rows.append(Row(f"ikm:{number}:{score}", f"{score}. {label}"))
    body = turn.say(
        "survey.ask", number=number, total=QUESTIONS, question=turn.say(f"survey.q{number}")
    )
    button = _title(turn, "survey.answer_button", LIST_BUTTON_MAX)
    return Choices(body, button, (Section("", tuple(rows)),))


def _comment_question(turn: Turn) -> Buttons:
    body = turn.say("survey.ask_comment", maximum=COMMENT_MAX)
    skip = _title(turn, "survey.skip_button", BUTTON_TITLE_MAX)
    return Buttons(body, (Button(SKIP, skip),))


def _title(turn: Turn, key: str, limit: int) -> str:
    """A button or row title: the office's wording if it fits WhatsApp's limit, else ours."""
    said = turn.say(key)
    return said if len(said) <= limit else text(key, turn.say.lang)


def _again(step: Step, turn: Turn, note: str) -> Step:
    """The same question again, after a note on what went wrong and how to get out."""
    step.replies.insert(0, Text(f"{note}\n\n{turn.say('flow.stop_hint')}"))
    return step
