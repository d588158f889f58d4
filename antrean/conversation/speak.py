"""Wording our answers: the catalog's text, or the office staff's own version of it."""

from datetime import date, time

from antrean.content import text
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
                return wording.format_map(values)
            except (KeyError, IndexError, ValueError):
                pass  # a placeholder the staff mistyped: the catalog's text still reads right
        return text(key, self.lang, **values)

    def facts(self) -> dict:
        office, lang = self.office, self.lang
        example = office.example_day
        opens, closes = office.registration or (time(7, 30), time(10))
        return {
            "office": office.name,
            "address": office.address,
            "zone": zone_name(office.zone),
            "opens": format_time(opens, lang),
            "closes": format_time(closes, lang),
            "example": format_date(example, lang) if example else "-",
            "example_short": format_short_date(example, lang) if example else "-",
            "example_digits": f"{example:%d%m%Y}" if example else "DDMMYYYY",
        }

    def day(self, value: date) -> str:
        return format_date(value, self.lang)

    def day_title(self, value: date) -> str:
        """`Selasa, 10 Agu` - short enough for a list row (24 characters)."""
        lang = self.lang if self.lang in DAYS else "id"
        return f"{DAYS[lang][value.weekday()]}, {value.day} {MONTHS[lang][value.month - 1][:3]}"

    def hour(self, value: time) -> str:
        return f"{format_time(value, self.lang)} {zone_name(self.office.zone)}"


def law_error(error: LawError, say: Speaker) -> str:
    """What is wrong with a LAW message or a typed date, with a correct example."""
    if error.field == "format":
        key = "chat.field_count_batam" if say.office.batam else "chat.field_count"
        return say(key, count=error.details["count"])
    if error.field == "address":
        return say("chat.address_too_long", maximum=error.details["maximum"])
    field_name = say(f"field.{error.field}")
    if error.why == "no_such_month":
        return say(
            "chat.no_such_month",
            field=field_name,
            raw=error.details["raw"],
            month=error.details["month"],
        )
    if error.why == "not_a_date":
        month = MONTHS[say.lang if say.lang in MONTHS else "id"][error.details["month"] - 1]
        return say(
            "chat.date_not_a_date",
            field=field_name,
            day=error.details["day"],
            month=month,
            year=error.details["year"],
        )
    return say("chat.date_unreadable", field=field_name, raw=error.details["raw"])
