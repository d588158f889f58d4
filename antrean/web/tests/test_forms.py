"""The booking form's own reading of dates and hours: whatever is typed (or posted by hand)
is a date or nothing, never an error page."""

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.web.forms import parse_date, parse_hour


@pytest.mark.parametrize(
    "typed", ["1987-01-25", "25-01-1987", "25/1/1987", "25.01.1987", "25 1 1987", "25011987"]
)
def test_the_forms_a_date_is_typed_in(typed):
    assert parse_date(f"  {typed} ") == date(1987, 1, 25)


@pytest.mark.parametrize("typed", ["", "31-02-1987", "0000-01-01", "25-13-1987", "kemarin"])
def test_what_is_no_date_is_none(typed):
    assert parse_date(typed) is None


@given(st.text(max_size=40))
def test_any_text_is_a_date_or_none(typed):
    assert parse_date(typed) is None or isinstance(parse_date(typed), date)
    assert parse_hour(typed) is None or isinstance(parse_hour(typed), time)


@given(st.dates())
def test_any_date_a_browser_posts_is_read_back(day):
    assert parse_date(day.isoformat()) == day
