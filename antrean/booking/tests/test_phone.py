import pytest

from antrean.booking.errors import InvalidPhone
from antrean.booking.phone import normalize_phone


@pytest.mark.parametrize(
    "raw",
    [
        "0812-3456-7890",
        "+62 812 3456 7890",
        "6281234567890",
        "0062 812 3456 7890",
        "(0812) 3456 7890",
    ],
)
def test_indonesian_numbers_in_every_common_shape(raw):
    assert normalize_phone(raw) == "6281234567890"


def test_the_seed_numbers():
    assert normalize_phone("0812 9900 4406") == "6281299004406"
    assert normalize_phone("08 1111 00 333") == "628111100333"
    assert normalize_phone("0822 8886 2017") == "6282288862017"


def test_foreign_numbers_in_international_form():
    assert normalize_phone("+1 202 555 0123") == "12025550123"


@pytest.mark.parametrize("raw", ["", "123", "abc", "0812", "+62 000 0000 0000", "9" * 20])
def test_what_is_not_a_number(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)
