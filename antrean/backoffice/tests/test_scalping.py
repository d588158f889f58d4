"""The scalping rules on plain rows: each pattern just below and at its threshold, the
window's edges, and what the evidence says."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.backoffice.scalping import Act, Limits, Rule, block_of, detect

NOW = datetime(2027, 8, 9, 12, 0, tzinfo=UTC)
LIMITS = Limits()
NIK = "a1b2c3d4" + "e" * 56
OTHER_NIK = "ffff0000" + "0" * 56


def act(phone, at=NOW, *, ref=None, niks=(), entry=False):
    return Act(
        ref=ref or f"{phone[-4:]}{at:%H%M%S}",
        phone=phone,
        at=at,
        niks=frozenset(niks),
        code="" if entry else (ref or "K7QX2MPA"),
        entry=entry,
    )


def phones(n, start=6281234500000, step=1000):
    """n phones in different blocks (they differ before the last three digits)."""
    return [str(start + i * step) for i in range(n)]


def old(*numbers, days=400):
    """First seen long ago: not new."""
    return dict.fromkeys(numbers, NOW - timedelta(days=days))


def by_rule(flags, rule):
    return [f for f in flags if f.rule == rule]


# --- One NIK from many phones ------------------------------------------------------------
def test_a_nik_from_two_phones_is_not_flagged():
    rows = [act(p, niks={NIK}) for p in phones(2)]
    assert detect(rows, first_seen=old(*phones(2)), now=NOW) == []


def test_a_nik_from_three_phones_is_flagged_with_every_booking_and_entry():
    a, b, c = phones(3)
    rows = [
        act(a, NOW - timedelta(days=3), ref="AAAA1111", niks={NIK}),
        act(b, NOW - timedelta(days=2), ref="BBBB2222", niks={NIK, OTHER_NIK}),  # as family
        act(c, NOW - timedelta(days=1), ref="undian tiket 7", niks={NIK}, entry=True),
        act(a, NOW - timedelta(hours=1), ref="AAAA3333", niks={NIK}),  # the same phone again
        act(phones(4)[3], NOW, ref="ZZZZ9999", niks={OTHER_NIK}),  # another person
    ]
    [flag] = detect(rows, first_seen=old(*phones(4)), now=NOW)
    assert flag.rule == Rule.SHARED_NIK
    assert flag.key == "a1b2c3d4"  # a label, never the whole hash
    assert flag.phones == (a, b, c)
    assert flag.count == 4 and flag.more == 0
    assert [r.act.ref for r in flag.rows] == ["AAAA1111", "AAAA3333", "BBBB2222", "undian tiket 7"]
    assert flag.first == NOW - timedelta(days=3) and flag.last == NOW - timedelta(hours=1)


def test_the_same_phone_many_times_is_one_phone():
    a, b = phones(2)
    rows = [act(a, NOW - timedelta(hours=h), niks={NIK}) for h in range(5)]
    rows.append(act(b, niks={NIK}))
    assert detect(rows, first_seen=old(a, b), now=NOW) == []


def test_the_threshold_is_a_setting():
    rows = [act(p, niks={NIK}) for p in phones(3)]
    assert detect(rows, first_seen=old(*phones(3)), now=NOW, limits=Limits(nik_phones=4)) == []
    rows.append(act(phones(4)[3], niks={NIK}))
    assert detect(rows, first_seen=old(*phones(4)), now=NOW, limits=Limits(nik_phones=4))


def test_acts_without_a_nik_are_never_grouped_by_it():
    rows = [act(p) for p in phones(10)]
    assert by_rule(detect(rows, first_seen=old(*phones(10)), now=NOW), Rule.SHARED_NIK) == []


# --- The window ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("oldest", "flagged"),
    [
        (NOW - LIMITS.window, True),  # the window's first instant counts
        (NOW - LIMITS.window - timedelta(microseconds=1), False),
    ],
)
def test_the_window_starts_exactly_thirty_days_back(oldest, flagged):
    a, b, c = phones(3)
    rows = [act(a, oldest, niks={NIK}), act(b, niks={NIK}), act(c, niks={NIK})]
    assert bool(detect(rows, first_seen=old(a, b, c), now=NOW)) is flagged


def test_what_happens_after_now_is_not_counted():
    a, b, c = phones(3)
    rows = [act(a, niks={NIK}), act(b, niks={NIK}), act(c, NOW + timedelta(seconds=1), niks={NIK})]
    assert detect(rows, first_seen=old(a, b, c), now=NOW) == []


def test_the_window_is_a_setting():
    a, b, c = phones(3)
    rows = [act(a, NOW - timedelta(days=8), niks={NIK}), act(b, niks={NIK}), act(c, niks={NIK})]
    limits = Limits(window=timedelta(days=7))
    assert detect(rows, first_seen=old(a, b, c), now=NOW, limits=limits) == []
    assert detect(rows, first_seen=old(a, b, c), now=NOW)


# --- A block of numbers ------------------------------------------------------------------
BLOCK = [f"6281234567{n:03d}" for n in (1, 17, 230, 555, 999, 42)]


def test_four_numbers_of_one_block_are_not_flagged():
    rows = [act(p) for p in BLOCK[:4]]
    rows.append(act("6281234568001"))  # the next block
    assert detect(rows, first_seen=old(*BLOCK, "6281234568001"), now=NOW) == []


def test_five_numbers_of_one_block_are_flagged_with_their_bookings():
    rows = [act(p, NOW - timedelta(minutes=i), ref=f"CODE{i:04d}") for i, p in enumerate(BLOCK[:5])]
    rows.append(act(BLOCK[0], NOW - timedelta(days=2), ref="undian 1", entry=True))
    [flag] = detect(rows, first_seen=old(*BLOCK), now=NOW)
    assert flag.rule == Rule.NUMBER_BLOCK
    assert flag.key == "6281234567xxx"
    assert flag.phones == tuple(sorted(BLOCK[:5]))
    assert flag.count == 6
    assert [(r.act.phone, r.act.ref) for r in flag.rows][:2] == [
        ("6281234567001", "undian 1"),  # per phone, then in time order
        ("6281234567001", "CODE0000"),
    ]


def test_a_wider_block_is_a_setting():
    numbers = [f"62812345{n:05d}" for n in (1, 1001, 2001, 3001, 4001)]  # last 4 digits differ
    rows = [act(p) for p in numbers]
    assert detect(rows, first_seen=old(*numbers), now=NOW) == []
    [flag] = detect(rows, first_seen=old(*numbers), now=NOW, limits=Limits(block_digits=4))
    assert flag.key == "628123450xxxx"


def test_short_or_odd_numbers_make_no_block():
    rows = [act(p) for p in ("628123001", "628123002", "628123003", "628123004", "628123005")]
    rows += [act(f"+62812345670{n}") for n in range(5)]
    assert detect(rows, first_seen={a.phone: NOW - timedelta(days=9) for a in rows}, now=NOW) == []


def test_block_of():
    assert block_of("6281234567890", 3) == "6281234567xxx"


# --- Bursts from new numbers ---------------------------------------------------------------
START = NOW - timedelta(hours=2)


def burst(n, *, every=timedelta(seconds=20), start=START, first=0):
    numbers = phones(n, start=6285700000000 + first * 1000)
    return [act(p, start + i * every, ref=f"NEW{first + i:05d}") for i, p in enumerate(numbers)]


def test_nineteen_from_new_numbers_in_ten_minutes_are_not_flagged():
    assert detect(burst(19), first_seen={}, now=NOW) == []


def test_twenty_from_new_numbers_in_ten_minutes_are_flagged_with_the_span_and_the_numbers():
    rows = burst(20)
    seen = {a.phone: a.at for a in rows}  # first seen at the booking itself
    [flag] = detect(rows, first_seen=seen, now=NOW)
    assert flag.rule == Rule.NEW_NUMBER_BURST
    assert (flag.first, flag.last) == (START, START + 19 * timedelta(seconds=20))
    assert flag.count == flag.peak == 20 and len(flag.phones) == 20
    assert [r.act.ref for r in flag.rows] == [f"NEW{i:05d}" for i in range(20)]
    assert all(r.first_seen == r.act.at for r in flag.rows)


@pytest.mark.parametrize(
    ("last", "flagged"),
    [
        (timedelta(minutes=10), False),  # a span is [t, t + 10 minutes): this one is outside
        (timedelta(minutes=10) - timedelta(microseconds=1), True),
    ],
)
def test_the_span_is_ten_minutes_not_an_instant_more(last, flagged):
    rows = burst(19, every=timedelta(seconds=30))  # up to 9 minutes on
    rows += burst(1, start=START + last, first=19)
    assert bool(detect(rows, first_seen={}, now=NOW)) is flagged


@pytest.mark.parametrize(
    ("seen_before", "new"),
    [
        (timedelta(hours=24) - timedelta(seconds=1), True),
        (timedelta(hours=24), False),  # a day old is no longer new
        (None, True),  # never seen (no chat): new
    ],
)
def test_new_means_first_seen_less_than_a_day_before(seen_before, new):
    rows = burst(20)
    seen = {} if seen_before is None else {a.phone: a.at - seen_before for a in rows}
    assert bool(detect(rows, first_seen=seen, now=NOW)) is new


def test_known_numbers_in_the_crowd_are_not_counted():
    rows = burst(20)
    seen = old(rows[0].phone)
    assert detect(rows, first_seen=seen, now=NOW) == []
    rows += burst(1, first=50, start=START + timedelta(minutes=1))
    [flag] = detect(rows, first_seen=seen, now=NOW)
    assert rows[0].phone not in flag.phones and flag.count == 20


def test_overlapping_spans_are_one_burst_and_separate_ones_are_two_latest_first():
    steady = burst(40, every=timedelta(seconds=15))  # 40 in 10 minutes: one burst
    later = burst(20, start=START + timedelta(minutes=50), first=100)
    flags = detect(steady + later, first_seen={}, now=NOW)
    assert [(f.count, f.peak) for f in flags] == [(20, 20), (40, 40)]
    assert flags[0].first == START + timedelta(minutes=50)


def test_a_long_burst_says_its_busiest_span():
    rows = burst(60, every=timedelta(seconds=30))  # 20 every 10 minutes, for 30 minutes
    [flag] = detect(rows, first_seen={}, now=NOW)
    assert flag.count == 60 and flag.peak == 20
    assert flag.last - flag.first == timedelta(seconds=30 * 59)


def test_the_evidence_is_capped_and_says_how_many_more():
    [flag] = detect(burst(73, every=timedelta(seconds=1)), first_seen={}, now=NOW)
    assert len(flag.rows) == 50 and flag.more == 23 and flag.count == 73
    assert flag.rows[-1].act.ref == "NEW00049"  # the earliest are shown


def test_a_burst_outside_the_window_is_not_flagged():
    old_burst = burst(20, start=NOW - LIMITS.window - timedelta(hours=1))
    assert detect(old_burst, first_seen={}, now=NOW) == []


def test_one_scalper_can_show_in_every_pattern():
    block = [f"6289912345{n:03d}" for n in range(20)]
    rows = [
        act(p, START + timedelta(seconds=i), ref=f"C{i:07d}", niks={NIK} if i < 3 else ())
        for i, p in enumerate(block)
    ]
    flags = detect(rows, first_seen={}, now=NOW)
    assert [f.rule for f in flags] == [Rule.SHARED_NIK, Rule.NUMBER_BLOCK, Rule.NEW_NUMBER_BURST]


# --- Limits -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "wrong",
    [
        {"nik_phones": 1},
        {"block_phones": 0},
        {"burst_count": 1},
        {"block_digits": 0},
        {"block_digits": 7},
        {"window": timedelta(0)},
        {"burst_span": timedelta(seconds=-1)},
        {"evidence": 0},
    ],
)
def test_limits_that_would_flag_everyone_or_nothing_are_refused(wrong):
    with pytest.raises(ValueError):
        Limits(**wrong)


# --- Properties ------------------------------------------------------------------------------
small = Limits(nik_phones=2, block_phones=3, burst_count=3, burst_span=timedelta(minutes=10))


def _numbered(rows):
    return [
        act(f"62812345{phone:05d}", START + timedelta(seconds=seconds), ref=f"R{i:03d}", niks=nik)
        for i, (phone, seconds, nik) in enumerate(rows)
    ]


acts_strategy = st.lists(
    st.tuples(
        st.integers(0, 3000),
        st.integers(0, 3600),
        st.sampled_from([(), (NIK,), (OTHER_NIK,), (NIK, OTHER_NIK)]),
    ),
    max_size=30,
).map(_numbered)


def _covered_by_bursts(rows, limits):
    """Brute force: the acts in some span [t, t + span) that holds at least burst_count."""
    covered = set()
    for a in rows:
        inside = [b for b in rows if a.at <= b.at < a.at + limits.burst_span]
        if len(inside) >= limits.burst_count:
            covered.update(inside)
    return covered


@given(acts_strategy)
def test_bursts_cover_exactly_the_acts_of_some_crowded_span(rows):
    flags = by_rule(detect(rows, first_seen={}, now=NOW, limits=small), Rule.NEW_NUMBER_BURST)
    flagged = [r.act.ref for f in flags for r in f.rows]
    assert sorted(flagged) == sorted(a.ref for a in _covered_by_bursts(rows, small))
    for f in flags:
        assert small.burst_count <= f.peak <= f.count


@given(acts_strategy)
def test_niks_and_blocks_are_flagged_exactly_when_enough_phones_share_them(rows):
    flags = detect(rows, first_seen=old(*(a.phone for a in rows)), now=NOW, limits=small)
    for nik in (NIK, OTHER_NIK):
        users = {a.phone for a in rows if nik in a.niks}
        mine = [f for f in by_rule(flags, Rule.SHARED_NIK) if f.key == nik[:8]]
        assert bool(mine) is (len(users) >= small.nik_phones)
        if mine:
            assert set(mine[0].phones) == users
    blocks = {block_of(a.phone, 3) for a in rows}
    flagged = {f.key for f in by_rule(flags, Rule.NUMBER_BLOCK)}
    for block in blocks:
        users = {a.phone for a in rows if block_of(a.phone, 3) == block}
        assert (block in flagged) is (len(users) >= small.block_phones)


@given(acts_strategy, st.randoms(use_true_random=False))
def test_the_order_of_the_rows_does_not_matter(rows, rnd: random.Random):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    assert detect(rows, first_seen={}, now=NOW, limits=small) == detect(
        shuffled, first_seen={}, now=NOW, limits=small
    )


@given(acts_strategy)
def test_every_flag_lists_what_it_counts(rows):
    for flag in detect(rows, first_seen={}, now=NOW, limits=small):
        assert len(flag.rows) + flag.more == flag.count
        assert len(set(flag.phones)) == len(flag.phones)
        assert {r.act.phone for r in flag.rows} <= set(flag.phones)
        assert flag.first <= flag.last
