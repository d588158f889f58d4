"""Property-based tests of the NIK check (antrean/booking/nik.py).

Whatever is typed, the answer is a NikInfo or an InvalidNik with its reason. A NIK has
no check digit, so a mistyped digit is caught only where the layout says it must be: a
province that does not exist, a regency or district 00, a birth date that does not exist
or is not the applicant's, a serial 0000. Those are tested digit by digit.
"""

from datetime import date

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from antrean.booking.errors import InvalidNik
from antrean.booking.nik import PROVINCES, check_nik

from conftest import nik_for

REASONS = {"length", "digits", "province", "region", "date", "mismatch", "serial"}

# Digits as str.isdigit() sees them: superscripts, other scripts', full-width.
STRANGE_DIGITS = "²³¹⁴₂٠١٢٣٤٥٦٧٨٩０１２３４５６７８９"
TYPED = st.one_of(
    st.text(),
    st.text(alphabet="0123456789 .-", max_size=24),
    st.text(alphabet="0123456789" * 4 + STRANGE_DIGITS + " .-\t", min_size=14, max_size=20),
)
BIRTHS = st.dates(date(1920, 1, 1), date(2027, 8, 8))


@st.composite
def valid_niks(draw):
    birth = draw(BIRTHS)
    nik = nik_for(
        birth,
        female=draw(st.booleans()),
        province=draw(st.sampled_from(sorted(PROVINCES))),
        serial=f"{draw(st.integers(1, 9999)):04d}",
    )
    # Regency and district: any pair of digits but 00.
    region = draw(st.integers(1, 99)), draw(st.integers(1, 99))
    return f"{nik[:2]}{region[0]:02d}{region[1]:02d}{nik[6:]}", birth


@given(typed=TYPED, birth=st.none() | BIRTHS)
@example(typed="31²1012501870001", birth=None)  # isdigit(), but int() refuses "²"
@example(typed="3171０１2501870001", birth=None)  # full-width digits
@example(typed="317101250187000١", birth=None)
@example(typed="", birth=None)
def test_nothing_typed_makes_the_check_raise_anything_but_invalid_nik(typed, birth):
    try:
        info = check_nik(typed, birth)
    except InvalidNik as error:
        assert error.details["why"] in REASONS
        return
    # What passes is what the database, the lookup hash and the officers will see.
    assert len(info.nik) == 16 and info.nik.isascii() and info.nik.isdigit()
    assert info.province in PROVINCES


@given(valid=valid_niks(), separator=st.sampled_from(["", " ", ".", "-", "  "]))
def test_every_valid_nik_passes_however_it_is_spaced(valid, separator):
    nik, birth = valid
    typed = separator.join([nik[:2], nik[2:4], nik[4:6], nik[6:12], nik[12:]])
    info = check_nik(typed, birth)
    assert info.nik == nik
    assert (info.day, info.month, info.year_2digit) == (birth.day, birth.month, birth.year % 100)
    assert info.female == (int(nik[6:8]) > 40)


def _with(nik: str, position: int, digit: str) -> str:
    return nik[:position] + digit + nik[position + 1 :]


@given(valid=valid_niks(), position=st.integers(0, 15), digit=st.sampled_from("0123456789"))
def test_a_mistyped_digit_is_caught_where_the_layout_allows(valid, position, digit):
    nik, birth = valid
    if digit == nik[position]:
        digit = str((int(digit) + 1) % 10)
    typo = _with(nik, position, digit)
    try:
        info = check_nik(typo, birth)
        why = None
    except InvalidNik as error:
        why = error.details["why"]

    if position < 2:  # the province: caught unless it is another province
        assert why == (None if typo[:2] in PROVINCES else "province")
    elif position < 6:  # regency, district: no list of them, but never 00
        assert why == ("region" if "00" in (typo[2:4], typo[4:6]) else None)
    elif position < 12:  # the birth date: always caught, but for the +40 of women
        sex_flipped = position == 6 and abs(int(typo[6]) - int(nik[6])) == 4
        if why is None:
            assert sex_flipped and info.female != (int(nik[6:8]) > 40)
        else:
            assert why in {"date", "mismatch"}
    else:  # the serial: caught only as 0000
        assert why == ("serial" if typo[12:] == "0000" else None)


@given(valid=valid_niks(), position=st.integers(6, 11), digit=st.sampled_from("0123456789"))
def test_without_the_birth_date_a_mistyped_date_is_caught_when_no_such_day(valid, position, digit):
    nik, _ = valid
    typo = _with(nik, position, digit)
    day, month, yy = int(typo[6:8]), int(typo[8:10]), int(typo[10:12])
    day -= 40 if day > 40 else 0
    exists = False
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
            exists = True
        except ValueError:
            pass
    if exists:
        check_nik(typo)
    else:
        with pytest.raises(InvalidNik) as caught:
            check_nik(typo)
        assert caught.value.details["why"] == "date"
