"""The SIGAP menu and its fixed answers."""

from antrean.conversation.speak import Speaker
from antrean.whatsapp.messages import Button, Buttons, Choices, Row, Section, Text

ROWS = ["status", "pay", "requirements", "pickup", "book", "change", "feedback", "language"]


def menu(say: Speaker) -> Choices:
    rows = tuple(
        Row(f"menu:{name}", say(f"sigap.row.{name}"), say(f"sigap.row.{name}_note"))
        for name in ROWS
    )
    return Choices(
        body=say("sigap.menu_body"),
        button=say("sigap.menu_button"),
        sections=(Section(say("sigap.menu_section"), rows),),
    )


def requirements_question(say: Speaker) -> Buttons:
    return Buttons(
        say("sigap.requirements_question"),
        (
            Button("req:adult", say("sigap.requirements_adult_title")),
            Button("req:child", say("sigap.requirements_child_title")),
            Button("req:renewal", say("sigap.requirements_renewal_title")),
        ),
    )


def language_question(say: Speaker) -> Buttons:
    return Buttons(
        say("sigap.language_question"),
        (Button("lang:id", "Bahasa Indonesia"), Button("lang:en", "English")),
    )


def answer(name: str, say: Speaker) -> Text:
    """The fixed answers: how to pay, the pickup queue, lost passports, requirements."""
    return Text(say(f"sigap.{name}"))
