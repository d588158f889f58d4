"""Reading the LAW booking message `#NAMA#TGLLAHIR#TGLKEDATANGAN` the way people type it.

Plain Python: any case, spaces around fields, a missing leading or an extra trailing `#`,
fields on separate lines; dates as DDMMYYYY, DDMMYY, D/M/YYYY with `-`, `/`, `.` or spaces,
Indonesian (and English) month names and abbreviations, two-digit years (a birth year is
in the past, a visit year is not), and a weekday before the date as our own answers write
it ("Sabtu, 7 Agustus 2027"), which must be that date's. Batam's variant puts the address
where the visit date is. Every refusal says which field is wrong and why.
"""

import re
from dataclasses import dataclass
from datetime import date

from antrean.content.dates import DAYS

# fmt: off
MONTHS = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "feb": 2, "pebruari": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
# fmt: on
_SEPARATORS = re.compile(r"[\s\-/.,]+")
# A weekday written before a date (Monday is 0): our names, English short ones, and the
# other ways Indonesians write Friday and Sunday.
WEEKDAYS = {name.lower(): n for names in DAYS.values() for n, name in enumerate(names)}
WEEKDAYS |= {name[:3].lower(): n for n, name in enumerate(DAYS["en"])}
WEEKDAYS |= {"jum'at": 4, "ahad": 6}
ADDRESS_MAX_LENGTH = 200


class LawError(Exception):
    """Why a LAW message could not be read: `field` is format, name, birth_date or visit_date."""

    def __init__(self, field: str, why: str, **details):
        super().__init__(f"{field}: {why}")
        self.field, self.why, self.details = field, why, details


@dataclass(frozen=True)
class LawRequest:
    name: str
    birth_date: date
    visit_date: date | None = None  # standard LAW
    address: str | None = None  # Batam: #Nama#TglLahir#Alamat


def looks_like_law(text: str) -> bool:
    return text.count("#") >= 2 or (text.lstrip().startswith("#") and len(text.strip()) > 1)


def split_fields(text: str) -> list[str]:
    """`#a#b#c`, `a#b#c#`, `##a##b`, or one field per line after a `#`.

    A field left empty between two `#`s stays, empty: "# #25011987#..." is a message with
    no name, not one with two fields.
    """
    flat = re.sub(r"#+", "#", text.replace("\r", "\n")).strip().strip("#")
    if "#" not in flat:
        return [part.strip() for part in flat.split("\n") if part.strip()]
    # People sometimes put the fields on separate lines as well as between #s.
    return [
        " ".join(line.split())
        for part in flat.split("#")
        for line in (part.strip().split("\n") if part.strip() else [""])
    ]


def parse_law(text: str, *, today: date, batam: bool = False) -> LawRequest:
    fields = split_fields(text)
    expected = 3
    if len(fields) != expected:
        raise LawError("format", "field_count", count=len(fields), expected=expected)
    name, birth_raw, third = fields
    birth = parse_date(birth_raw, today=today, past=True, field="birth_date")
    if batam:
        address = " ".join(third.split())
        if len(address) > ADDRESS_MAX_LENGTH:
            raise LawError("address", "too_long", maximum=ADDRESS_MAX_LENGTH)
        if _is_a_date(address, today):
            raise LawError("address", "is_a_date")
        return LawRequest(name=name, birth_date=birth, address=address)
    visit = parse_date(third, today=today, past=False, field="visit_date")
    return LawRequest(name=name, birth_date=birth, visit_date=visit)


def _is_a_date(text: str, today: date) -> bool:
    try:
        parse_date(text, today=today, past=False, field="address")
    except LawError as error:
        # date-shaped, still a date
        return error.why in ("not_a_date", "no_such_month", "wrong_weekday")
    return True


def parse_date(raw: str, *, today: date, past: bool, field: str) -> date:
    """A date as people write it. `past`: a two-digit year is in the past (birth dates)."""
    text = raw.strip().lower()
    weekday = None  # the one written before the date, if any
    # isdecimal, not isdigit: "²" is a digit that int() refuses. Digits of other scripts
    # and full-width ones are decimal, and int() reads them.
    if text.isdecimal():
        if len(text) not in (6, 8):  # DDMMYY or DDMMYYYY; anything else is ambiguous
            raise LawError(field, "unreadable", raw=raw.strip())
        day, month, year = text[:2], text[2:4], text[4:]
    else:
        parts = [p for p in _SEPARATORS.split(text) if p]
        if len(parts) == 4 and parts[0] in WEEKDAYS:
            weekday = WEEKDAYS[parts.pop(0)]
        if len(parts) == 1:
            match = re.fullmatch(r"(\d{1,2})([a-z]+)(\d{2}|\d{4})", parts[0])  # 7agustus2027
            parts = list(match.groups()) if match else parts
        if len(parts) != 3:
            raise LawError(field, "unreadable", raw=raw.strip())
        day, month, year = parts
    # A day or a month has at most two digits (and int() refuses a 5,000-digit one).
    numeric_month = month.isdecimal() and len(month) <= 2
    month_number = int(month) if numeric_month else MONTHS.get(month.rstrip("."))
    if (
        not (day.isdecimal() and len(day) <= 2)
        or not year.isdecimal()
        or month_number is None
        or len(year) not in (2, 4)
    ):
        raise LawError(field, "unreadable", raw=raw.strip())
    if not 1 <= month_number <= 12:
        raise LawError(field, "no_such_month", raw=raw.strip(), month=month_number)
    full_year = int(year) if len(year) == 4 else 2000 + int(year)
    try:
        found = date(full_year, month_number, int(day))
        if len(year) == 2 and past and found > today:
            found = found.replace(year=full_year - 100)  # a birth date is in the past
    except ValueError:
        raise LawError(
            field, "not_a_date", day=int(day), month=month_number, year=full_year
        ) from None
    if weekday is not None and found.weekday() != weekday:
        raise LawError(field, "wrong_weekday", raw=raw.strip(), date=found, written=weekday)
    return found
