"""Property-based tests of the LAW message and its dates (antrean/conversation/law.py).

Anything a person can type is answered with a booking request or a `LawError` that says
which field is wrong, never with an exception; and a real booking, written any of the
ways people write it, is read back as exactly that booking. The writer below is the
test's own: it knows the spellings from people (and from content/dates.py), not from the
parser's tables.
"""

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from antrean.content.dates import MONTHS as MONTH_NAMES
from antrean.content.dates import format_short_date
from antrean.conversation.law import (
    ADDRESS_MAX_LENGTH,
    LawError,
    LawRequest,
    looks_like_law,
    parse_date,
    parse_law,
    split_fields,
)

TODAY = date(2027, 8, 9)
FIELDS = {"format", "name", "birth_date", "visit_date", "address"}

# --- Anything at all: LawError or a request, nothing else ------------------------------

# Digits as str.isdigit() sees them: ASCII, superscripts (digits, but not to int()),
# other scripts' digits and full-width digits from CJK keyboards.
DIGITS = "0123456789" * 3 + "²³¹⁴₂٠١٢٣٤٥٦٧٨٩０１２３４５６７８９߀"
NUMBERISH = st.one_of(
    st.text(alphabet=DIGITS, min_size=1, max_size=9),
    st.builds(lambda digit, n: digit * n, st.sampled_from("19²٣"), st.integers(1, 6_000)),
)
MONTHISH = st.sampled_from(["agustus", "Agt.", "MEI", "jan", "Pebruari", "x", "mar."])
# Something shaped like a date, so the generated text reaches the date parser's branches
# and not only "wrong number of fields".
DATEISH = st.one_of(
    st.text(alphabet=DIGITS, min_size=6, max_size=8),
    st.lists(NUMBERISH | MONTHISH, min_size=1, max_size=4).flatmap(
        lambda parts: st.sampled_from(["", " ", "-", "/", ".", ", "]).map(
            lambda separator: separator.join(parts)
        )
    ),
)
TOKENS = st.one_of(
    st.sampled_from(["#", "##", " ", "\n", "\r\n", "\t", "Budi"]),
    DATEISH,
    st.text(max_size=12),  # any unicode: emoji, control characters, right-to-left marks
    st.characters(codec="utf-8").map(str),
    st.characters(categories=["Cs"]).map(str),  # a lone surrogate, as "\\ud800" in JSON
)
LAWISH = st.one_of(
    st.lists(TOKENS, max_size=24).map("".join),
    st.tuples(st.text(max_size=5), DATEISH, DATEISH | st.text(max_size=30)).map("#".join),
)
ANY_TEXT = st.one_of(st.text(), LAWISH)


@given(text=ANY_TEXT, batam=st.booleans(), today=st.dates(date(2000, 1, 1), date(2099, 12, 31)))
@example(text="#Budi#²²²²²²#10082027", batam=False, today=TODAY)  # isdigit() but not int()
@example(text="#Budi#1 ² 1987#10082027", batam=False, today=TODAY)
@example(text="#Budi#" + "1" * 5_000 + " 1 1987#10082027", batam=False, today=TODAY)
@example(text="#Budi#1 " + "1" * 5_000 + " 1987#10082027", batam=False, today=TODAY)
@example(text="#Budi#25011987#" + "\U0001f600" * 50_000, batam=True, today=TODAY)
@example(text="#\x00#\x00#\x00", batam=False, today=TODAY)
@example(text="#Budi#29022000#29 feb 00", batam=False, today=date(2000, 1, 1))
def test_no_text_makes_the_law_parser_raise(text, batam, today):
    looks_like_law(text)
    split_fields(text)
    try:
        request = parse_law(text, today=today, batam=batam)
    except LawError as error:
        assert error.field in FIELDS and error.why
        return
    assert isinstance(request, LawRequest)
    assert isinstance(request.birth_date, date)
    if batam:
        assert request.visit_date is None
        assert len(request.address) <= ADDRESS_MAX_LENGTH
    else:
        assert isinstance(request.visit_date, date) and request.address is None


@given(
    text=st.one_of(st.text(), DATEISH),
    past=st.booleans(),
    today=st.dates(date(2000, 1, 1), date(2099, 12, 31)),
)
@example(text="²²²²²²", past=True, today=TODAY)
@example(text="7²2027", past=False, today=TODAY)
@example(text="1." + "1" * 5_000 + ".2027", past=False, today=TODAY)
def test_no_text_makes_the_date_parser_raise(text, past, today):
    try:
        found = parse_date(text, today=today, past=past, field="visit_date")
    except LawError as error:
        assert error.field == "visit_date"
        assert error.why in {"unreadable", "no_such_month", "not_a_date"}
        return
    assert isinstance(found, date)


# --- A real booking, written the ways people write it, comes back ----------------------

SEPARATORS = ["-", "/", ".", " ", " - ", ". "]


@st.composite
def written_date(draw, day: date, *, two_digit_year: bool):
    """`day` as a person may type it: 25011987, 250187, 25-1-1987, 25 Jan. 87, ..."""
    year = f"{day.year % 100:02d}" if two_digit_year else f"{day.year}"
    style = draw(st.sampled_from(["digits", "numbers", "name", "glued"]))
    if style == "digits":
        return f"{day.day:02d}{day.month:02d}{year}"
    day_text = draw(st.sampled_from([f"{day.day}", f"{day.day:02d}"]))
    if style == "numbers":
        month = draw(st.sampled_from([f"{day.month}", f"{day.month:02d}"]))
    else:
        lang = draw(st.sampled_from(["id", "en"]))
        full = MONTH_NAMES[lang][day.month - 1]
        month = draw(st.sampled_from([full, full[:3]]))
        month = draw(st.sampled_from([month, month.lower(), month.upper()]))
        if style == "glued":  # 7agustus2027, as typed without spaces
            return f"{day_text}{month}{year}"
        if month != full and draw(st.booleans()):
            month += "."  # "Jan."
    separator = draw(st.sampled_from(SEPARATORS))
    if style == "name" and draw(st.booleans()):
        return f"{day_text} {month} {year}"
    return f"{day_text}{separator}{month}{separator}{year}"


@st.composite
def written_law(draw, fields: list[str]) -> str:
    """The fields of a LAW message, joined the ways people join them."""
    style = draw(st.sampled_from(["hashes", "hash_per_line", "lines"]))
    pad = st.sampled_from(["", " ", "  ", "\t"])
    padded = [f"{draw(pad)}{field}{draw(pad)}" for field in fields]
    if style == "lines":  # "#" on the first line, then one field per line
        return "#\n" + draw(st.sampled_from(["\n", "\r\n"])).join(padded)
    joiner = draw(st.sampled_from(["#", "##", "\n#", "#\n"]))
    if style == "hash_per_line":
        joiner = "\n#"
    lead = draw(st.sampled_from(["#", "#", "##", "# ", ""]))
    trail = draw(st.sampled_from(["", "", "#", " ", "\n"]))
    return f"{lead}{joiner.join(padded)}{trail}"


NAME_WORDS = st.text(
    alphabet=st.characters(categories=["Lu", "Ll", "Lo"]) | st.sampled_from(".'-"),
    min_size=1,
    max_size=12,
)
NAMES = st.lists(NAME_WORDS, min_size=1, max_size=4).map(" ".join)


def births(today: date) -> st.SearchStrategy[date]:
    return st.dates(date(1900, 1, 1), today)


@given(data=st.data(), name=NAMES, today=st.dates(date(2025, 1, 1), date(2040, 12, 31)))
def test_any_booking_written_any_way_is_read_back(data, name, today):
    birth = data.draw(births(today), label="birth")
    visit = data.draw(st.dates(today, today + timedelta(days=60)), label="visit")
    # A two-digit birth year is read as the latest year not after today, so it can only
    # be used by someone under 100; a visit year is in this century.
    short_birth = birth > today.replace(year=today.year - 100) and data.draw(st.booleans())
    short_visit = data.draw(st.booleans())
    fields = [
        name,
        data.draw(written_date(birth, two_digit_year=short_birth), label="birth written"),
        data.draw(written_date(visit, two_digit_year=short_visit), label="visit written"),
    ]
    typed = data.draw(written_law(fields), label="typed")
    assert looks_like_law(typed)
    assert parse_law(typed, today=today) == LawRequest(
        name=name, birth_date=birth, visit_date=visit
    )


STREET_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1)


@given(
    data=st.data(),
    name=NAMES,
    street=st.lists(STREET_WORDS, min_size=1, max_size=4).map(" ".join),
    number=st.integers(1, 999),
    area=st.sampled_from(["Batam Centre", "Batu Aji", "Sekupang", "Nongsa", "Lubuk Baja"]),
)
def test_batam_bookings_with_an_address_are_read_back(data, name, street, number, area):
    birth = data.draw(births(TODAY), label="birth")
    address = data.draw(
        st.sampled_from(
            [
                f"Jl. {street} No. {number}, {area}",
                f"Jalan {street}  no {number} {area}",
                f"Perumahan {street} Blok A{number} {area}",
            ]
        ),
        label="address",
    )
    written = data.draw(written_date(birth, two_digit_year=False), label="birth written")
    typed = data.draw(written_law([name, written, address]), label="typed")
    expected = LawRequest(name=name, birth_date=birth, address=" ".join(address.split()))
    assert parse_law(typed, today=TODAY, batam=True) == expected


@given(
    day=st.dates(date(1900, 1, 1), date(2099, 12, 31)),
    past=st.booleans(),
    data=st.data(),
)
def test_any_real_date_written_any_way_is_read_back(day, past, data):
    # Four-digit years: any date, in the past or not.
    written = data.draw(written_date(day, two_digit_year=False), label="written")
    assert parse_date(written, today=TODAY, past=past, field="birth_date") == day


@given(day=st.dates(date(1900, 1, 1), date(2099, 12, 31)), lang=st.sampled_from(["id", "en"]))
def test_a_date_as_our_replies_write_it_is_read_back(day, lang):
    written = format_short_date(day, lang)  # "7 Agustus 2027", as a reply quotes it
    assert parse_date(written, today=TODAY, past=True, field="birth_date") == day


@given(day=st.dates(TODAY.replace(year=TODAY.year - 99), TODAY), data=st.data())
def test_two_digit_birth_years_are_the_last_hundred_years(day, data):
    written = data.draw(written_date(day, two_digit_year=True), label="written")
    assert parse_date(written, today=TODAY, past=True, field="birth_date") == day


@given(day=st.dates(date(2000, 1, 1), date(2099, 12, 31)), data=st.data())
def test_two_digit_visit_years_are_this_century(day, data):
    written = data.draw(written_date(day, two_digit_year=True), label="written")
    assert parse_date(written, today=TODAY, past=False, field="visit_date") == day


@given(
    year=st.integers(1900, 2099),
    month=st.integers(1, 12),
    day=st.integers(1, 31),
    style=st.sampled_from(["{d:02d}{m:02d}{y}", "{d}-{m}-{y}", "{d} {name} {y}"]),
)
def test_a_day_that_does_not_exist_is_refused_with_its_parts(year, month, day, style):
    try:
        real = date(year, month, day)
    except ValueError:
        real = None
    written = style.format(d=day, m=month, y=year, name=MONTH_NAMES["id"][month - 1])
    if real is not None:
        assert parse_date(written, today=TODAY, past=True, field="birth_date") == real
        return
    with pytest.raises(LawError) as caught:
        parse_date(written, today=TODAY, past=True, field="birth_date")
    assert (caught.value.why, caught.value.details) == (
        "not_a_date",
        {"day": day, "month": month, "year": year},
    )
