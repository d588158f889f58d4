"""Turn a `BookingError` into the sentence an applicant reads, in their language."""

from datetime import date, datetime, time

from antrean.booking.errors import BookingError
from antrean.booking.rules import Closure
from antrean.content import has_text, text
from antrean.content.dates import (
    format_date,
    format_datetime,
    format_short_date,
    format_time,
    weekday_name,
    zone_name,
)

# Details that are dates of birth read without a weekday.
_SHORT_DATES = {"birth_date"}


def _key(error: BookingError) -> str:
    details = error.details
    if "why" in details:
        return f"{error.reason}.{details['why']}"
    if error.reason == "day_closed":
        return "day_closed.closure" if details.get("closure") else "day_closed.weekday"
    if error.reason == "day_full" and details.get("next_day") is None:
        return "day_full.none"
    if error.reason == "hour_not_offered" and not details.get("hours"):
        return "hour_not_offered.none"
    return error.reason


def describe_weekdays(days, lang: str) -> str:
    """ISO weekdays as `Senin–Jumat`, or a list when they are not one run."""
    ordered = sorted(set(days))
    if len(ordered) == 7:
        return text("word.every_day", lang)
    names = [weekday_name(date(2024, 1, day), lang) for day in ordered]  # 2024-01-01: Monday
    if len(ordered) > 2 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    if len(names) == 1:
        return names[0]
    return f"{', '.join(names[:-1])} {text('word.and', lang)} {names[-1]}"


def _render(name: str, value, lang: str, zone: str):
    if value is None:
        return "-"
    if isinstance(value, Closure):
        return value.name(lang)
    if isinstance(value, datetime):
        return format_datetime(value, lang)
    if isinstance(value, date):
        return format_short_date(value, lang) if name in _SHORT_DATES else format_date(value, lang)
    if isinstance(value, time):
        return f"{format_time(value, lang)} {zone}".rstrip()
    if name == "working_days":
        return describe_weekdays(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(_render(name, item, lang, zone)) for item in value)
    if name == "status" and has_text(f"status.{value}"):
        return text(f"status.{value}", lang)
    if name == "action" and has_text(f"action.{value}"):
        return text(f"action.{value}", lang)
    return value


def explain(error: BookingError, lang: str = "id", *, office: str = "", zone: str = "") -> str:
    """The applicant-facing sentence for `error`. `zone` is WIB/WITA/WIT or an IANA name."""
    key = _key(error)
    if not has_text(key):
        key = error.reason if has_text(error.reason) else "booking_error"
    zone = zone_name(zone) if zone else ""
    params = {name: _render(name, value, lang, zone) for name, value in error.details.items()}
    if "day" in error.details and isinstance(error.details["day"], date):
        params.setdefault("weekday", weekday_name(error.details["day"], lang))
    params.setdefault("office", office or "Kantor Imigrasi")
    params.setdefault("zone", zone)
    return text(key, lang, **params)
