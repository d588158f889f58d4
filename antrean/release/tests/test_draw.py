"""The lottery's order: reproducible from the published seed, and fair."""

from collections import Counter
from datetime import date, time
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from antrean.release import draw


@given(st.text(min_size=1, max_size=80), st.integers(min_value=0, max_value=300))
def test_the_order_is_a_permutation_that_the_seed_alone_reproduces(seed, entries):
    first = draw.order(seed, entries)
    assert sorted(first) == list(range(1, entries + 1))
    assert draw.order(seed, entries) == first


def test_the_published_hash_binds_the_seed():
    seed = draw.new_seed()
    assert len(seed) == 64
    assert draw.seed_hash(seed) == draw.seed_hash(seed)
    assert draw.seed_hash(seed) != draw.seed_hash(seed[:-1] + ("0" if seed[-1] != "0" else "1"))
    assert draw.new_seed() != seed


def test_another_seed_gives_another_order():
    assert draw.order("a", 50) != draw.order("b", 50)


def test_each_entrant_wins_with_the_same_chance_over_many_seeds():
    """12 entrants for 4 seats, 6,000 draws: each should win a third of the time. A
    chi-squared test over the 12 win counts (11 degrees of freedom) rejects a fair draw at
    the 0.1% level above 31.26; an order biased by ticket number fails it by far."""
    entrants, seats, draws = 12, 4, 6000
    wins = Counter()
    for n in range(draws):
        wins.update(draw.order(f"seed-{n}", entrants)[:seats])
    expected = draws * seats / entrants
    chi2 = sum((wins[t] - expected) ** 2 / expected for t in range(1, entrants + 1))
    assert chi2 < 31.26, (chi2, wins)


def test_every_place_in_the_order_is_equally_likely_for_one_entrant():
    """Ticket 1 (the first to enter) lands on each of 8 places equally often: entering
    early gives no advantage. Chi-squared, 7 degrees of freedom, 0.1% level: 24.32."""
    entrants, draws = 8, 4000
    places = Counter(draw.order(f"s{n}", entrants).index(1) for n in range(draws))
    expected = draws / entrants
    chi2 = sum((places[p] - expected) ** 2 / expected for p in range(entrants))
    assert chi2 < 24.32, (chi2, places)


def test_the_fairness_test_can_fail():
    """The same statistic on a rigged order (early tickets first) is far over the bound."""
    entrants, seats, draws = 12, 4, 6000
    wins = Counter()
    for n in range(draws):
        rigged = sorted(range(1, entrants + 1), key=lambda t: (t > 6, draw.ticket_key(str(n), t)))
        wins.update(rigged[:seats])
    expected = draws * seats / entrants
    chi2 = sum((wins[t] - expected) ** 2 / expected for t in range(1, entrants + 1))
    assert chi2 > 1000


def test_a_known_draw_stays_the_same():
    """Pinned so that the published method cannot drift: SHA-256 of "<seed>:<ticket>"."""
    import hashlib

    keys = {t: hashlib.sha256(f"pinned:{t}".encode()).hexdigest() for t in range(1, 6)}
    assert draw.order("pinned", 5) == sorted(keys, key=keys.get)


def test_the_monthly_window_is_the_last_working_day_before_the_month():
    zone = ZoneInfo("Asia/Makassar")
    weekdays = lambda day: day.isoweekday() <= 5  # noqa: E731
    # July 2027 ends on a Saturday: the window is Friday the 30th.
    opens, closes = draw.monthly_window(
        date(2027, 8, 1), is_working_day=weekdays, at=time(9), minutes=30, zone=zone
    )
    assert opens.isoformat() == "2027-07-30T09:00:00+08:00"
    assert (closes - opens).total_seconds() == 1800
    assert draw.next_month(date(2027, 12, 15)) == (date(2028, 1, 1), date(2028, 1, 31))
    assert draw.next_month(date(2028, 1, 31)) == (date(2028, 2, 1), date(2028, 2, 29))
