"""segno's choice of a QR code's data mask, the same choice made about three times faster.

A QR encoder tries all eight data masks and keeps the one with the lowest penalty
(ISO/IEC 18004:2015 §7.8.3): runs of one colour, 2x2 blocks, finder-like patterns, the
share of dark modules. segno does it module by module in Python, which was the largest
single cost of delivering a booking (~17 % of the worker's time in bench/e2e.py: the
booking's QR code goes with every booking made over WhatsApp). Here the same rules work on
whole rows at once: a row is an int (XOR applies a mask, bit operations find the 2x2
blocks, `int.bit_count` the dark modules) and a bytes object (a regex finds the runs,
`bytes.find` the finder-like patterns, exactly as segno scans them).

The result must be segno's, module for module: `test_media_qr` compares the two for
thousands of codes of every size. `install()`, called when the app is ready, puts it in
segno's place for QR codes (Micro QR codes and codes with a given mask still take segno's
own path).
"""

import re
from functools import cache
from itertools import pairwise

import segno.encoder as encoder

_segno_choice = encoder.find_and_apply_best_mask
_RUN = re.compile(rb"\x00{5,}|\x01{5,}")  # N1: five or more modules of one colour
_N3 = b"\x01\x00\x01\x01\x01\x00\x01"  # N3: dark light dark dark dark light dark
_LIGHT = b"\0\0\0\0"
_BITS = bytes.maketrans(b"\x00\x01", b"01")


def install() -> None:
    encoder.find_and_apply_best_mask = find_and_apply_best_mask


def find_and_apply_best_mask(matrix, width, height, proposed_mask=None):
    """segno's `find_and_apply_best_mask`, same arguments and result."""
    if proposed_mask is not None or width != height or width < 21:
        return _segno_choice(matrix, width, height, proposed_mask)
    rows = [int.from_bytes(row, "big") for row in matrix]
    best_score, best = None, None
    for number, pattern in enumerate(_patterns(width)):
        flipped = zip(rows, pattern, strict=True)
        masked = [(row ^ flip).to_bytes(width, "big") for row, flip in flipped]
        score = _penalty(masked, width)
        if best_score is None or score < best_score:
            best_score, best = score, (number, masked)
    number, masked = best
    return number, tuple(bytearray(row) for row in masked)


@cache
def _patterns(size: int) -> tuple[tuple[int, ...], ...]:
    """Per mask, per row: an int whose bytes are 1 where the mask flips a module (the
    mask's pattern, in the encoding region only), as segno's `apply_mask` flips them."""
    function = encoder.make_matrix(size, size)
    encoder.add_finder_patterns(function, size, size)
    encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module
    masks = encoder.get_data_mask_functions(False)
    return tuple(
        tuple(
            int.from_bytes(
                bytes(
                    mask(i, j) if function[i][j] > 0x1 else 0  # > 1: encoding region
                    for j in range(size)
                ),
                "big",
            )
            for i in range(size)
        )
        for mask in masks
    )


def _penalty(rows: list[bytes], size: int) -> int:
    """segno's `evaluate_mask`: N1 + N2 + N3 + N4."""
    lines = rows + [bytes(column) for column in zip(*rows, strict=True)]
    # N1: a run of 5 + i scores 3 + i. A byte no module has keeps runs within a line.
    runs = _RUN.findall(b"\2".join(lines))
    score = sum(map(len, runs)) - 2 * len(runs)
    # N3: with four light modules between lines (and around them), a pattern at a line's
    # edge has light on that side, as segno counts it; and no pattern spans two lines.
    score += _n3(_LIGHT + _LIGHT.join(lines) + _LIGHT)
    bits = [int(row.translate(_BITS), 2) for row in rows]
    full = (1 << size) - 1
    pairs = full >> 1
    for above, row in pairwise(bits):  # N2: 3 for each 2x2 block of one colour
        same = ~(row ^ above) & full
        score += 3 * (same & (same >> 1) & ~(row ^ (row >> 1)) & pairs).bit_count()
    dark = sum(row.bit_count() for row in bits)
    percent = float(dark) / (size**2)  # N4, with segno's arithmetic
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _n3(lines: bytes) -> int:
    """segno's count of finder-like patterns, scanned the same way: a match counts when
    the four modules before it or the four after it are light."""
    count = 0
    index = lines.find(_N3)
    while index != -1:
        offset = index + 7
        if not any(lines[index - 4 : index]) or not any(lines[offset : offset + 4]):
            count += 40
        else:
            offset = index + 4  # dark light dark [dark] dark light dark: the next start
        index = lines.find(_N3, offset)
    return count
