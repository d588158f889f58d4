"""The inbound token bucket as arithmetic: no database, the clock passed in."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from antrean.whatsapp.inbound_limit import QUIET, Bucket, admit

T0 = datetime(2027, 8, 9, 6, 0, tzinfo=UTC)

bursts = st.integers(min_value=0, max_value=30)
rates = st.integers(min_value=1, max_value=120)
gaps = st.lists(st.floats(min_value=0, max_value=120, allow_nan=False), max_size=80)


def play(gap_seconds, *, burst, per_minute, start=None):
    """Messages `gap_seconds` apart: the verdicts, in order."""
    bucket, now, verdicts = start, T0, []
    for gap in gap_seconds:
        now += timedelta(seconds=gap)
        verdict = admit(bucket, now, burst=burst, per_minute=per_minute)
        verdicts.append((now, verdict))
        bucket = verdict.bucket
    return verdicts


def test_a_burst_then_the_next_one_is_limited_and_told():
    verdicts = play([0] * 12, burst=10, per_minute=12)
    assert [v.allowed for _, v in verdicts] == [True] * 10 + [False, False]
    assert [v.tell for _, v in verdicts] == [False] * 10 + [True, False]


def test_a_token_comes_back_every_five_seconds_at_twelve_a_minute():
    (_, empty), (_, early), (_, on_time) = play([0, 4.9, 0.2], burst=1, per_minute=12)
    assert empty.allowed and not early.allowed and on_time.allowed


def test_told_again_only_after_a_quiet_minute():
    silent = QUIET.total_seconds()
    verdicts = play([0, 0, 30, 30, silent, 0], burst=1, per_minute=1)
    assert [v.allowed for _, v in verdicts] == [True, False, False, True, True, False]
    assert [v.tell for _, v in verdicts] == [False, True, False, False, False, True]


def test_a_message_written_before_the_last_one_refills_nothing():
    bucket = Bucket(tokens=0.5, at=T0)
    verdict = admit(bucket, T0 - timedelta(minutes=5), burst=10, per_minute=12)
    assert not verdict.allowed
    assert verdict.bucket.at == T0 and verdict.bucket.tokens == 0.5


@given(gaps, bursts, rates)
def test_tokens_stay_between_zero_and_the_burst(gap_seconds, burst, per_minute):
    for _, verdict in play(gap_seconds, burst=burst, per_minute=per_minute):
        assert 0 <= verdict.bucket.tokens <= burst


@given(gaps, bursts, rates)
def test_no_more_are_allowed_than_the_burst_and_the_refill(gap_seconds, burst, per_minute):
    verdicts = play(gap_seconds, burst=burst, per_minute=per_minute)
    for i, (start, _) in enumerate(verdicts):
        allowed = 0
        for end, verdict in verdicts[i:]:
            allowed += verdict.allowed
            minutes = (end - start).total_seconds() / 60
            assert allowed <= burst + per_minute * minutes + 1e-9


@given(st.lists(st.floats(min_value=0, max_value=600), max_size=40), bursts, rates)
def test_whoever_writes_no_faster_than_the_rate_is_never_limited(extra, burst, per_minute):
    interval = 60 / per_minute + 0.001  # a millisecond over: the clock has microseconds
    gap_seconds = [interval + e for e in extra]
    start = Bucket(tokens=1.0, at=T0)
    verdicts = play(gap_seconds, burst=max(burst, 1), per_minute=per_minute, start=start)
    assert all(v.allowed for _, v in verdicts)


@given(gaps, bursts, rates)
def test_told_at_most_once_between_quiet_periods(gap_seconds, burst, per_minute):
    told_since_quiet, previous = 0, None
    for now, verdict in play(gap_seconds, burst=burst, per_minute=per_minute):
        if previous is not None and now - previous >= QUIET:
            told_since_quiet = 0
        told_since_quiet += verdict.tell
        assert told_since_quiet <= 1
        assert not (verdict.tell and verdict.allowed)
        previous = now
