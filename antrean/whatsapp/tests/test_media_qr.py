"""The booking's QR code image (media.qr_png): our PNG writer and mask choice against
segno's own."""

import io
import random
import string
import struct
import zlib
from contextlib import contextmanager

import pytest
import segno
import segno.encoder
from hypothesis import given, settings
from hypothesis import strategies as st

from antrean.booking.codes import ALPHABET
from antrean.whatsapp import qrmask
from antrean.whatsapp.media import PNG_LEVEL, qr_png


@contextmanager
def segno_as_it_comes():
    """segno without antrean.whatsapp.qrmask in its place."""
    segno.encoder.find_and_apply_best_mask = qrmask._segno_choice
    try:
        yield
    finally:
        qrmask.install()


@pytest.fixture
def segno_alone():
    with segno_as_it_comes():
        yield


def segno_png(content: str) -> bytes:
    buffer = io.BytesIO()
    code = segno.make(content, error="m", micro=False)
    code.save(buffer, kind="png", scale=10, border=4, compresslevel=PNG_LEVEL)
    return buffer.getvalue()


def test_qrmask_is_in_segnos_place():
    assert segno.encoder.find_and_apply_best_mask is qrmask.find_and_apply_best_mask


def test_the_png_is_byte_for_byte_what_segno_writes(segno_alone):
    rng = random.Random(9)
    alphabet = string.ascii_uppercase + string.digits
    codes = ["ABCD2345", "Q", "x" * 120, "Kode booking ABCD2345 " * 4]
    codes += ["".join(rng.choices(alphabet, k=rng.randint(4, 40))) for _ in range(60)]
    for code in codes:
        assert qr_png(code) == segno_png(code), code


def test_the_png_is_a_black_on_white_image_of_the_code_with_its_quiet_zone():
    png = qr_png("ABCD2345")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour = struct.unpack(">IIBB", png[16:26])
    code = segno.make("ABCD2345", error="m", micro=False)
    side = (len(code.matrix) + 8) * 10
    assert (width, height, depth, colour) == (side, side, 1, 0)  # 1-bit greyscale
    (length,) = struct.unpack(">I", png[33:37])
    assert png[37:41] == b"IDAT"
    raw = zlib.decompress(png[41 : 41 + length])
    stride = 1 + (side + 7) // 8
    pixels, above = [], bytes(stride - 1)
    for y in range(side):
        kind, line = raw[y * stride], raw[y * stride + 1 : (y + 1) * stride]
        assert kind in (0, 2)
        if kind == 2:  # "Up": each byte adds the one above it
            line = bytes((a + b) & 0xFF for a, b in zip(line, above, strict=True))
        pixels.append(line)
        above = line

    def dark(x, y):
        return not (pixels[y][x // 8] >> (7 - x % 8)) & 1

    for row, modules in enumerate(code.matrix):
        for column, module in enumerate(modules):
            for dy, dx in ((0, 0), (9, 9), (5, 3)):
                assert dark((column + 4) * 10 + dx, (row + 4) * 10 + dy) == bool(module)
    assert not any(dark(x, y) for y in (0, 39, side - 1) for x in range(side))


def _matrices(content: str, error: str) -> tuple:
    """The code's mask and modules, made by segno with and without qrmask."""
    ours = segno.make(content, error=error, micro=False, boost_error=False)
    with segno_as_it_comes():
        theirs = segno.make(content, error=error, micro=False, boost_error=False)
    return (ours.mask, ours.matrix), (theirs.mask, theirs.matrix)


@settings(max_examples=400, deadline=None)
@given(
    content=st.text(
        alphabet=string.ascii_letters + string.digits + " -#$%*+./:", min_size=1, max_size=400
    ),
    error=st.sampled_from("lmqh"),
)
def test_the_mask_is_segnos_choice_for_any_content_and_size(content, error):
    ours, theirs = _matrices(content, error)
    assert ours == theirs


def test_the_mask_is_segnos_choice_for_thousands_of_booking_codes():
    rng = random.Random(21)
    alphabet = ALPHABET
    masks = set()
    for _ in range(2000):
        ours, theirs = _matrices("".join(rng.choices(alphabet, k=8)), "m")
        assert ours == theirs
        masks.add(ours[0])
    assert masks == set(range(8))  # every mask chosen at least once: the scores differ


def _penalties(matrix) -> tuple[list[int], int]:
    """Each mask's penalty of `matrix` as qrmask scores it, and how many took the scan
    line by line."""
    size, scores, by_lines = len(matrix), [], 0
    base, layout = qrmask._big(matrix), qrmask._layout(size)
    for number, pattern in enumerate(qrmask._big_patterns(size)):
        score = qrmask._penalty(base ^ pattern, layout)
        if score is None:
            by_lines += 1
            score = qrmask._penalty_by_lines(matrix, number, size)
        scores.append(score)
    return scores, by_lines


def _segno_penalties(matrix) -> list[int]:
    size, scores = len(matrix), []
    for flips in qrmask._patterns(size):
        masked = [
            bytearray((int.from_bytes(row, "big") ^ flip).to_bytes(size, "big"))
            for row, flip in zip(matrix, flips, strict=True)
        ]
        scores.append(segno.encoder.evaluate_mask(masked, size, size))
    return scores


@settings(max_examples=300, deadline=None)
@given(
    size=st.sampled_from([21, 25, 33, 57]),
    seed=st.integers(0, 2**32 - 1),
    dark=st.floats(0.05, 0.95),
)
def test_every_masks_penalty_is_segnos(size, seed, dark):
    # Any modules, not only a code's: runs, blocks and finder-like patterns of every kind.
    rng = random.Random(seed)
    matrix = tuple(bytearray(rng.random() < dark for _ in range(size)) for _ in range(size))
    assert _penalties(matrix)[0] == _segno_penalties(matrix)


def test_overlapping_finder_like_patterns_are_counted_as_segno_scans_them():
    # Two patterns sharing modules (4 and 6 apart), light around: segno's scan counts the
    # first and steps over the second, where counting every match would count both. The
    # shortcut says so, and the line-by-line scan counts as segno does.
    size = 21
    for line in ("000010111011101000000", "000010111010111010000"):
        modules = bytes(int(bit) for bit in line)
        assert qrmask._n3(b"\0\0\0\0" + modules + b"\0\0\0\0") == 40  # not 80
        matrix = [bytearray(size) for _ in range(size)]
        matrix[10][:] = modules
        for i, module in enumerate(modules):  # and the same down a column
            matrix[i][3] = module
        assert qrmask._penalty(qrmask._big(matrix), qrmask._layout(size)) is None
        expected = segno.encoder.evaluate_mask(matrix, size, size)
        assert qrmask._penalty_of_lines([bytes(row) for row in matrix], size) == expected


def test_micro_codes_and_a_given_mask_take_segnos_own_way():
    made = [segno.make("12345", micro=True), segno.make("ABCD2345", error="m", micro=False, mask=3)]
    with segno_as_it_comes():
        theirs = [
            segno.make("12345", micro=True),
            segno.make("ABCD2345", error="m", micro=False, mask=3),
        ]
    assert made[0].is_micro and made[1].mask == 3
    assert [(code.mask, code.matrix) for code in made] == [
        (code.mask, code.matrix) for code in theirs
    ]
