"""Wording our answers: the catalog's text, or the office staff's own version of it."""

from datetime import date, time

from antrean.content import limit_for, text
from antrean.content.dates import (
    DAYS,
    MONTHS,
    format_date,
    format_short_date,
    format_time,
    zone_name,
)
from antrean.conversation.law import LawError
from antrean.conversation.model import OfficeInfo

ECHO_MAX = 40  # what we quote back of what a person typed
BIRTH_EXAMPLE = date(1987, 1, 25)


class Speaker:
    """Texts for one office in one language, with the office's facts filled in."""

    def __init__(self, office: OfficeInfo, lang: str):
        self.office, self.lang = office, lang

    def __call__(self, key: str, **params) -> str:
        values = self.facts() | params
        own = self.office.texts.get(key, {})
        wording = own.get(self.lang) or (own.get("id") if self.lang == "id" else "")
        if wording:
            try:
                said = wording.format_map(values)
            except (KeyError, IndexError, ValueError):
                said = ""  # a placeholder the staff mistyped: the catalog's text still reads
            if said and len(said) <= limit_for(key):
                return said
        return text(key, self.lang, **values)

    def facts(self) -> dict:
        office, lang = self.office, self.lang
        example = office.example_day
        opens, closes = office.registration or (time(7, 30), time(10))
        facts = {
            "office": office.name,
            "address": office.address,
            "zone": zone_name(office.zone),
            "opens": format_time(opens, lang),
            "closes": format_time(closes, lang),
            "example": format_date(example, lang) if example else "-",
            "example_short": format_short_date(example, lang) if example else "-",
            "example_digits": f"{example:%d%m%Y}" if example else "DDMMYYYY",
            "reschedule_limit": office.reschedule_limit,
            "reschedule_cutoff": office.reschedule_cutoff,
        }
        hint = "hint.batam" if office.batam else "hint.law"
        facts["how_to_book"] = text(hint, lang, **facts)
        return facts

    def day(self, value: date) -> str:
        return format_date(value, self.lang)

    def short_day(self, value: date) -> str:
        return format_short_date(value, self.lang)

    def day_title(self, value: date) -> str:
        """`Selasa, 10 Agu` - short enough for a list row (24 characters)."""
        lang = self.lang if self.lang in DAYS else "id"
        return f"{DAYS[lang][value.weekday()]}, {value.day} {MONTHS[lang][value.month - 1][:3]}"

    def hour(self, value: time) -> str:
        return f"{format_time(value, self.lang)} {zone_name(self.office.zone)}"


def echo(typed: str) -> str:
    """What a person typed, quoted back in a few words."""
    typed = " ".join(typed.split())
    return typed if len(typed) <= ECHO_MAX else typed[: ECHO_MAX - 1] + "…"


def law_error(error: LawError, say: Speaker) -> str:
    """What is wrong with a LAW message or a typed date, with a correct example."""
    if error.field == "format":
        key = "chat.field_count_batam" if say.office.batam else "chat.field_count"
        return say(key, count=error.details["count"])
    if error.field == "address":
        if error.why == "is_a_date":
            return say("chat.address_is_a_date")
        return say("chat.address_too_long", maximum=error.details["maximum"])
    examples = {}
    if error.field == "birth_date":  # an example of a birth date, not of a visit
        examples = {
            "example_digits": f"{BIRTH_EXAMPLE:%d%m%Y}",
            "example_short": say.short_day(BIRTH_EXAMPLE),
        }
    field_name = say(f"field.{error.field}")
    if error.why == "no_such_month":
        return say(
            "chat.no_such_month",
            field=field_name,
            raw=echo(error.details["raw"]),
            month=error.details["month"],
            **examples,
        )
    if error.why == "wrong_weekday":
        lang = say.lang if say.lang in DAYS else "id"
        found = error.details["date"]
        return say(
            "chat.date_wrong_weekday",
            field=field_name,
            raw=echo(error.details["raw"]),
            date=say.short_day(found),
            weekday=DAYS[lang][found.weekday()],
            written=DAYS[lang][error.details["written"]],
            **examples,
        )
    if error.why == "not_a_date":
        month = MONTHS[say.lang if say.lang in MONTHS else "id"][error.details["month"] - 1]
        return say(
            "chat.date_not_a_date",
            field=field_name,
            day=error.details["day"],
            month=month,
            year=error.details["year"],
            **examples,
        )
    return say("chat.date_unreadable", field=field_name, raw=echo(error.details["raw"]), **examples)
