"""The LAW message as people really type it."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.conversation.law import LawError, looks_like_law, parse_date, parse_law, split_fields

TODAY = date(2027, 8, 9)


@pytest.mark.parametrize(
    "typed",
    [
        "#Budi#25011987#10082027",
        "#BUDI#25011987#10082027",
        "Budi#25011987#10082027",
        "#Budi#25011987#10082027#",
        "# Budi # 25011987 # 10082027 ",
        "#Budi\n#25011987\n#10082027",
        "#\nBudi\n25011987\n10082027",
        "#Budi#25-01-1987#10/08/2027",
        "#Budi#25.1.1987#10.8.2027",
        "#Budi#25 01 1987#10 8 2027",
        "#Budi#250187#100827",
        "#Budi#25 Januari 1987#10 Agustus 2027",
        "#Budi#25 jan 87#10 agt 2027",
        "#Budi#25-Jan-1987#10-Agu-27",
        "#Budi#25januari1987#10agustus2027",
        "#Budi#25 Jan. 1987#10 Agus 2027",
    ],
)
def test_the_same_booking_however_it_is_typed(typed):
    request = parse_law(typed, today=TODAY)
    assert request.name.lower() == "budi"
    assert request.birth_date == date(1987, 1, 25)
    assert request.visit_date == date(2027, 8, 10)


def test_two_digit_years_birth_in_the_past_visit_not():
    birth = {"past": True, "field": "birth_date", "today": TODAY}
    assert parse_date("010127", **birth) == date(2027, 1, 1)  # earlier this year
    assert parse_date("011227", **birth) == date(1927, 12, 1)  # later this year: a century ago
    assert parse_date("010128", **birth) == date(1928, 1, 1)
    assert parse_date("010187", **birth) == date(1987, 1, 1)
    assert parse_date("011227", today=TODAY, past=False, field="visit_date") == date(2027, 12, 1)


def test_batam_puts_the_address_third():
    request = parse_law("#Siti#01021990#Jl. Engku  Putri No. 3, Batam", today=TODAY, batam=True)
    assert (request.name, request.address, request.visit_date) == (
        "Siti",
        "Jl. Engku Putri No. 3, Batam",
        None,
    )


@pytest.mark.parametrize(
    ("typed", "field", "why"),
    [
        ("#Budi#25011987", "format", "field_count"),
        ("#Budi#25011987#10082027#Jakarta", "format", "field_count"),
        ("#Budi#2501198#10082027", "birth_date", "unreadable"),
        ("#Budi#25 Janu 1987#10082027", "birth_date", "unreadable"),
        ("#Budi#31021987#10082027", "birth_date", "not_a_date"),
        ("#Budi#25011987#31022027", "visit_date", "not_a_date"),
        ("#Budi#25011987#besok", "visit_date", "unreadable"),
        ("#Budi#25011987#10/13/2027", "visit_date", "no_such_month"),
    ],
)
def test_what_is_wrong_and_where(typed, field, why):
    with pytest.raises(LawError) as caught:
        parse_law(typed, today=TODAY)
    assert (caught.value.field, caught.value.why) == (field, why)


def test_not_a_date_says_which_date():
    with pytest.raises(LawError) as caught:
        parse_law("#Budi#25011987#31 Februari 2027", today=TODAY)
    assert caught.value.details == {"day": 31, "month": 2, "year": 2027}


def test_what_looks_like_a_booking():
    assert looks_like_law("#Budi#25011987#10082027")
    assert looks_like_law("#Budi")
    assert not looks_like_law("halo")
    assert not looks_like_law("#")
    assert split_fields("##a##b#") == ["a", "b"]


@given(
    day=st.dates(min_value=date(1930, 1, 1), max_value=date(2027, 8, 8)),
    separator=st.sampled_from(["", "-", "/", ".", " "]),
    month_style=st.sampled_from(["digits", "name", "short"]),
)
def test_any_real_birth_date_written_any_way_is_read_back(day, separator, month_style):
    from antrean.content.dates import MONTHS

    if month_style == "digits":
        month = f"{day.month:02d}"
    elif month_style == "name":
        month = MONTHS["id"][day.month - 1]
    else:
        month = MONTHS["id"][day.month - 1][:3]
    if month_style != "digits" and separator == "":
        separator = " "
    written = f"{day.day:02d}{separator}{month}{separator}{day.year}"
    assert parse_date(written, today=TODAY, past=True, field="birth_date") == day


@given(
    day=st.dates(min_value=date(2027, 8, 9), max_value=date(2099, 12, 31)),
    lang=st.sampled_from(["id", "en"]),
)
def test_a_date_as_our_answers_write_it_is_read_back(day, lang):
    """People copy a day from our answers ("Sabtu, 7 Agustus 2027") into their message."""
    from antrean.content.dates import format_date

    assert parse_date(format_date(day, lang), today=TODAY, past=False, field="visit_date") == day


@pytest.mark.parametrize("written", ["Jumat 13 Agustus 2027", "jum'at, 13-08-2027", "Fri 13/8/27"])
def test_a_weekday_may_come_before_a_date(written):
    assert parse_date(written, today=TODAY, past=False, field="visit_date") == date(2027, 8, 13)


def test_a_weekday_that_is_not_the_dates_is_refused_with_both():
    with pytest.raises(LawError) as caught:
        parse_date("Sabtu, 13 Agustus 2027", today=TODAY, past=False, field="visit_date")
    assert caught.value.why == "wrong_weekday"
    assert caught.value.details["date"] == date(2027, 8, 13)
    assert caught.value.details["written"] == 5  # Saturday; the 13th is a Friday
