from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.booking.errors import InvalidNik
from antrean.booking.nik import PROVINCES, check_nik

from conftest import nik_for


def test_a_man_and_a_woman():
    man = check_nik("3171012501870001", date(1987, 1, 25))
    assert not man.female and man.province == "31"
    woman = check_nik("3171016501870001", date(1987, 1, 25))
    assert woman.female and woman.day == 25


def test_spaces_and_dots_are_ignored():
    assert check_nik("3171 0125 0187 0001").nik == "3171012501870001"
    assert check_nik("31.71.01.250187.0001").nik == "3171012501870001"


@pytest.mark.parametrize(
    ("nik", "why"),
    [
        ("31710125018700", "length"),
        ("317101250187000100", "length"),
        ("31710125O1870001", "digits"),
        ("9971012501870001", "province"),
        ("3100012501870001", "region"),
        ("3171013102870001", "date"),  # 31 February
        ("3171017201870001", "date"),  # 72 - 40 = 32
        ("3171012501870000", "serial"),
    ],
)
def test_each_fault_has_its_reason(nik, why):
    with pytest.raises(InvalidNik) as caught:
        check_nik(nik)
    assert caught.value.details["why"] == why


def test_the_birth_date_must_match_digits_7_to_12():
    with pytest.raises(InvalidNik) as caught:
        check_nik("3171012501870001", date(1987, 1, 26))
    assert caught.value.details == {"why": "mismatch", "expected": "260187", "found": "250187"}


def test_a_womans_nik_holds_her_day_plus_40_and_she_gives_her_real_birth_date():
    assert check_nik("3171016501870001", date(1987, 1, 25)).female
    with pytest.raises(InvalidNik) as caught:
        check_nik("3171016501870001", date(1987, 1, 26))  # one day off
    assert caught.value.details == {"why": "mismatch", "expected": "260187", "found": "650187"}


def test_29_february_of_2000_is_real():
    check_nik("3171012902000001", date(2000, 2, 29))


@given(
    birth=st.dates(min_value=date(1920, 1, 1), max_value=date(2027, 8, 8)),
    female=st.booleans(),
    province=st.sampled_from(sorted(PROVINCES)),
    serial=st.integers(1, 9999),
)
def test_every_well_formed_nik_passes_and_matches_its_birth_date(birth, female, province, serial):
    nik = nik_for(birth, female=female, province=province, serial=f"{serial:04d}")
    info = check_nik(nik, birth)
    assert info.female == female
    other = birth.replace(day=1 if birth.day != 1 else 2)
    with pytest.raises(InvalidNik):
        check_nik(nik, other)
