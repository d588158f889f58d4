"""Reading what visitors typed into the public forms.

Plain functions, not Django forms: every answer is a catalog text in the visitor's
language, and a family booking's fields are numbered per person. Each returns the values
and a dict of field name -> message; an empty dict means all is well.
"""

import re
from dataclasses import dataclass
from datetime import date, time

from antrean.booking.errors import BookingError
from antrean.booking.explain import explain
from antrean.booking.nik import check_nik
from antrean.booking.rules import MAX_APPLICANTS, Person, check_birth_date, clean_name
from antrean.content import text

_DATE_FORMS = [
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),  # <input type=date>
    re.compile(r"^(?P<d>\d{1,2})[-/. ](?P<m>\d{1,2})[-/. ](?P<y>\d{4})$"),
    re.compile(r"^(?P<d>\d{2})(?P<m>\d{2})(?P<y>\d{4})$"),  # as in the WhatsApp format
]


def parse_date(raw: str) -> date | None:
    value = (raw or "").strip()
    for form in _DATE_FORMS:
        if match := form.match(value):
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def parse_hour(raw: str) -> time | None:
    try:
        return time.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def applicant_count(raw) -> int:
    """How many people the form shows: 1-5 whatever the query string says."""
    try:
        count = int(raw)
    except (TypeError, ValueError):
        return 1
    return min(max(count, 1), MAX_APPLICANTS)


@dataclass
class ApplicantFields:
    """One person's fields as typed, to show them again beside their messages."""

    place: int
    name: str = ""
    nik: str = ""
    birth_date: str = ""
    errors: dict | None = None  # field -> message, filled in by `with_errors`


def with_errors(typed: list[ApplicantFields], errors: dict) -> list[ApplicantFields]:
    for fields in typed:
        prefix = f"p{fields.place}_"
        fields.errors = {
            key.removeprefix(prefix): message
            for key, message in errors.items()
            if key.startswith(prefix)
        }
    return typed


def read_applicants(data, count: int, today: date, lang: str):
    """(typed fields, people or None, errors keyed `p{place}_{field}`)."""
    typed, people, errors = [], [], {}
    for place in range(1, count + 1):
        fields = ApplicantFields(
            place=place,
            name=data.get(f"p{place}_name", "").strip(),
            nik=data.get(f"p{place}_nik", "").strip(),
            birth_date=data.get(f"p{place}_birth_date", "").strip(),
        )
        typed.append(fields)
        prefix = f"p{place}_"
        try:
            name = clean_name(fields.name)
        except BookingError as error:
            errors[prefix + "name"] = explain(error, lang)
            name = None
        birth = parse_date(fields.birth_date)
        if birth is None:
            key = "web.form.birth_date_missing" if not fields.birth_date else "web.form.birth_date"
            errors[prefix + "birth_date"] = text(key, lang)
        else:
            try:
                check_birth_date(birth, today)
            except BookingError as error:
                errors[prefix + "birth_date"] = explain(error, lang)
                birth = None
        if not fields.nik:
            errors[prefix + "nik"] = text("web.form.nik_missing", lang)
        else:
            try:
                # The birth date is checked against the NIK only when it is itself valid.
                check_nik(fields.nik, birth)
            except BookingError as error:
                errors[prefix + "nik"] = explain(error, lang)
        if name and birth:
            people.append(Person(name, birth, fields.nik))
    return typed, (people if not errors else None), errors
