"""segno's choice of a QR code's data mask, the same choice made about fourteen times faster.

A QR encoder tries all eight data masks and keeps the one with the lowest penalty
(ISO/IEC 18004:2015 §7.8.3): runs of one colour, 2x2 blocks, finder-like patterns, the
share of dark modules. segno does it module by module in Python, which was the largest
single cost of delivering a booking (~17 % of the worker's time in bench/e2e.py: the
booking's QR code goes with every booking made over WhatsApp). Here the same rules work on
all the code's rows and columns at once: they are laid out in one int (`_big`), a mask is
one XOR, and each rule a few shifts, ANDs and `int.bit_count` over the whole int
(`_penalty`). Where two finder-like patterns overlap (rare), segno's scan steps over the
second one, so that mask is scored line by line instead (`_penalty_of_lines`: a regex
finds the runs, `bytes.find` the patterns, exactly as segno scans them).

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
    size = width
    layout = _layout(size)
    base = _big(matrix)
    best_score, best = None, None
    for number, pattern in enumerate(_big_patterns(size)):
        score = _penalty(base ^ pattern, layout)
        if score is None:  # finder-like patterns too close for the shortcut (rare)
            score = _penalty_by_lines(matrix, number, size)
        if best_score is None or score < best_score:
            best_score, best = score, number
    return best, tuple(bytearray(row) for row in _masked(matrix, best, size))


# --- the penalty on one big int -------------------------------------------------------------
# Every row and every column of the code, one after another in one int: a line's modules
# are bits (1 dark), and four guard bits (0) stand before, between and after the lines.
# Python's operations on the whole int then work on all 2 x size lines at once.
_GUARD = b"0000"
_G = len(_GUARD)


class _Layout:
    """Bit masks of one code size's big int."""

    def __init__(self, size: int):
        stride = size + _G
        lines = 2 * size
        line = (1 << size) - 1
        self.size, self.stride = size, stride
        self.all = (1 << (lines * stride + _G)) - 1
        self.lines = sum(line << (k * stride + _G) for k in range(lines))
        # The rows are the upper half (written first); columns the lower.
        self.rows = sum(line << (k * stride + _G) for k in range(size, lines))
        # N2's corners: a row with another row written before it (lines are `stride`
        # apart), a module with another module next to it.
        pairs = line >> 1
        self.corners = sum(pairs << (k * stride + _G) for k in range(size, lines - 1))


@cache
def _layout(size: int) -> _Layout:
    return _Layout(size)


def _big(rows) -> int:
    """The rows (bytes of 0 and 1) and their columns in one int."""
    lines = [bytes(row) for row in rows]
    lines += [bytes(column) for column in zip(*lines, strict=True)]
    return int(_GUARD + _GUARD.join(line.translate(_BITS) for line in lines) + _GUARD, 2)


@cache
def _big_patterns(size: int) -> tuple[int, ...]:
    """`_patterns` in the big int's layout: each mask's flips of the rows and the columns."""
    return tuple(_big([flip.to_bytes(size, "big") for flip in flips]) for flips in _patterns(size))


def _penalty(dark: int, layout: _Layout) -> int | None:
    """segno's `evaluate_mask` (N1 + N2 + N3 + N4) of the code whose modules are `dark`;
    None when two finder-like patterns overlap, where segno's scan counts differently
    from counting every match."""
    light = dark ^ layout.lines  # light modules (guards are neither)
    score = 0
    for one in (dark, light):  # N1: a run of 5 + i modules of one colour scores 3 + i
        starts = one & one >> 1 & one >> 2 & one >> 3 & one >> 4  # each 5 in a row
        # A run of n has n - 4 of those, in one block: n - 2 is them plus two per block.
        score += starts.bit_count() + 2 * (starts & ~(starts >> 1)).bit_count()
    # N2: 3 for each 2x2 block of one colour (in the rows; the columns would count them
    # again). A row and the row above it (written before it) are `stride` bits apart.
    stride = layout.stride
    same = ~(dark ^ dark >> stride)  # as the module above
    blocks = same & same >> 1 & ~(dark ^ dark >> 1) & layout.corners
    score += 3 * blocks.bit_count()
    # N3: dark light dark dark dark light dark, with four light modules on one side; a
    # line's edge counts as light, as segno counts it (the guards).
    open_ = dark ^ layout.all  # light, or a guard
    found = dark & light >> 1 & dark >> 2 & dark >> 3 & dark >> 4 & light >> 5 & dark >> 6
    before = open_ << 1 & open_ << 2 & open_ << 3 & open_ << 4
    after = open_ >> 7 & open_ >> 8 & open_ >> 9 & open_ >> 10
    counted = found & (before | after)
    # segno scans on past a counted match, so another match starting 4 or 6 modules on
    # (they can overlap so) is never looked at; such codes take the scan line by line.
    if counted & (found << 4 | found >> 4 | found << 6 | found >> 6):
        return None
    score += 40 * counted.bit_count()
    # N4: the share of dark modules, with segno's arithmetic
    size = layout.size
    percent = float((dark & layout.rows).bit_count()) / (size**2)
    return score + 10 * int(abs(percent * 100 - 50) / 5)


def _penalty_by_lines(matrix, number: int, size: int) -> int:
    """The penalty of mask `number`, line by line (segno's scan of finder-like patterns)."""
    return _penalty_of_lines(_masked(matrix, number, size), size)


def _masked(matrix, number: int, size: int) -> list[bytes]:
    """The rows with mask `number` applied."""
    flips = _patterns(size)[number]
    return [
        (int.from_bytes(row, "big") ^ flip).to_bytes(size, "big")
        for row, flip in zip(matrix, flips, strict=True)
    ]


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


def _penalty_of_lines(rows: list[bytes], size: int) -> int:
    """segno's `evaluate_mask`: N1 + N2 + N3 + N4, line by line."""
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
