"""Dates and times written the way applicants read them, in Indonesian or English."""

from datetime import date, datetime, time

DAYS = {
    "id": ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def _lang(lang: str) -> str:
    return lang if lang in DAYS else "id"


def weekday_name(day: date, lang: str = "id") -> str:
    return DAYS[_lang(lang)][day.weekday()]


def format_date(day: date, lang: str = "id") -> str:
    """`Sabtu, 7 Agustus 2027` / `Saturday, 7 August 2027`."""
    lang = _lang(lang)
    return f"{DAYS[lang][day.weekday()]}, {day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_short_date(day: date, lang: str = "id") -> str:
    """`7 Agustus 2027` (a birth date needs no weekday)."""
    lang = _lang(lang)
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def format_time(value: time, lang: str = "id") -> str:
    """`08.00` in Indonesian usage, `08:00` in English."""
    sep = "." if _lang(lang) == "id" else ":"
    return f"{value.hour:02d}{sep}{value.minute:02d}"


def zone_name(value: datetime | str) -> str:
    key = value if isinstance(value, str) else str(getattr(value.tzinfo, "key", ""))
    return ZONE_NAMES.get(key, key)


def format_datetime(value: datetime, lang: str = "id") -> str:
    """`Sabtu, 7 Agustus 2027 pukul 07.30 WIB` / `Saturday, 7 August 2027 at 07:30 WIB`."""
    word = "pukul" if _lang(lang) == "id" else "at"
    return (
        f"{format_date(value.date(), lang)} {word} "
        f"{format_time(value.time(), lang)} {zone_name(value)}".rstrip()
    )
