import random

from hypothesis import given
from hypothesis import strategies as st

from antrean.booking.codes import ALPHABET, CODE_LENGTH, new_code, normalize_code, queue_label


def test_alphabet_has_no_look_alikes():
    assert not set("01OI") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 32


def test_codes_use_only_the_alphabet():
    for _ in range(200):
        code = new_code()
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(ALPHABET)


def test_codes_are_spread_out():
    rng = random.Random(7)
    codes = {new_code(rng.choice) for _ in range(10_000)}
    assert len(codes) == 10_000


@given(st.text(alphabet=ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH))
def test_a_code_survives_how_people_retype_it(code):
    assert normalize_code(code) == code
    assert normalize_code(f" {code.lower()} ") == code
    assert normalize_code(f"#{code[:4]}-{code[4:]}") == code


def test_what_cannot_be_a_code():
    assert normalize_code("") is None
    assert normalize_code("ABCDEFG") is None  # too short
    assert normalize_code("ABCDEFG0") is None  # zero is not in the alphabet
    assert normalize_code("#Budi#25011987#07082027") is None


def test_queue_labels():
    assert queue_label("A", 17) == "A-017"
    assert queue_label("P", 1) == "P-001"
    assert queue_label("B", 1234) == "B-1234"
