"""The pure booking rules: days, hours, horizon, registration hours, the applicant."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.booking import errors
from antrean.booking.rules import (
    Closure,
    PriorityReason,
    Quota,
    Schedule,
    age_on,
    check_applicants,
    check_birth_date,
    check_reschedule,
    choose_quota,
    clean_name,
    confirm_deadline,
    is_child,
)

WIB = ZoneInfo("Asia/Jakarta")
WIT = ZoneInfo("Asia/Jayapura")
MONDAY = date(2027, 8, 9)
INDEPENDENCE = Closure(date(2027, 8, 17), "Hari Kemerdekaan Republik Indonesia", "Independence Day")


def schedule(**changes) -> Schedule:
    values = {
        "timezone": WIB,
        "working_days": frozenset({1, 2, 3, 4, 5}),
        "opens": time(8, 0),
        "closes": time(12, 0),
        "horizon_days": 14,
        "closures": {INDEPENDENCE.day: INDEPENDENCE},
    }
    values.update(changes)
    return Schedule(**values)


def at(day: date, hour: int, minute: int = 0, zone=WIB) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


class TestHours:
    def test_slots_run_hourly_from_opening_and_end_by_closing(self):
        assert schedule().slots == (time(8), time(9), time(10), time(11))
        assert schedule(closes=time(11, 30)).slots == (time(8), time(9), time(10))

    def test_a_slot_can_be_booked_until_its_arrival_deadline(self):
        rules = schedule()
        assert rules.open_starts(MONDAY, at(MONDAY, 6)) == [time(8), time(9), time(10), time(11)]
        # 08.29: the 09.00 slot still needs arrival by 08.30; the 08.00 slot is gone.
        assert rules.open_starts(MONDAY, at(MONDAY, 8, 29)) == [time(9), time(10), time(11)]
        assert rules.open_starts(MONDAY, at(MONDAY, 8, 30)) == [time(10), time(11)]
        assert rules.open_starts(MONDAY, at(MONDAY, 10, 31)) == []

    @given(
        zone=st.sampled_from(
            ["Asia/Jakarta", "Asia/Jayapura", "Europe/Berlin", "America/Santiago"]
        ),
        now=st.datetimes(
            min_value=datetime(2027, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(WIB)
        ),
        ahead=st.integers(min_value=-2, max_value=6),
        lead=st.integers(min_value=0, max_value=3 * 24 * 60),
        opens=st.sampled_from([time(0), time(7, 30), time(8), time(22)]),
    )
    def test_open_starts_are_the_slots_whose_deadline_is_ahead(self, zone, now, ahead, lead, opens):
        # Against the rule written plainly: the shortcut for later days changes nothing,
        # in zones with clock changes too.
        rules = schedule(
            timezone=ZoneInfo(zone),
            working_days=frozenset(range(1, 8)),
            opens=opens,
            closes=time(23, 59),
            arrival_lead=timedelta(minutes=lead),
        )
        day = rules.today(now) + timedelta(days=ahead + rules.arrival_lead.days)
        plainly = (
            []
            if day in rules.closures
            else [start for start in rules.slots if now < rules.arrival_deadline(day, start)]
        )
        assert rules.open_starts(day, now) == plainly

    def test_arrival_deadline_is_thirty_minutes_before_in_the_office_zone(self):
        deadline = schedule(timezone=WIT).arrival_deadline(MONDAY, time(9))
        assert deadline == datetime(2027, 8, 9, 8, 30, tzinfo=WIT)
        assert deadline.utcoffset() == timedelta(hours=9)


class TestDays:
    def test_bookable_days_skip_weekends_and_holidays_up_to_the_horizon(self):
        days = list(schedule().bookable_days(at(MONDAY, 6)))
        assert days[0] == MONDAY
        assert date(2027, 8, 14) not in days  # Saturday
        assert date(2027, 8, 17) not in days  # Independence Day
        assert days[-1] == date(2027, 8, 23)  # horizon: today + 14, inclusive
        assert len(days) == 10

    def test_today_drops_out_once_its_last_slot_is_past(self):
        assert schedule().first_bookable_day(at(MONDAY, 10, 31)) == date(2027, 8, 10)

    def test_the_local_date_decides_today_in_each_zone(self):
        # 23.30 WIB on Monday is already 01.30 WIT on Tuesday.
        instant = at(MONDAY, 23, 30)
        assert schedule().today(instant) == MONDAY
        assert schedule(timezone=WIT).today(instant) == date(2027, 8, 10)
        with pytest.raises(errors.VisitDateInPast):
            schedule(timezone=WIT).check_day(MONDAY, instant)

    def test_a_past_day_is_refused_with_a_bookable_suggestion(self):
        with pytest.raises(errors.VisitDateInPast) as caught:
            schedule().check_day(date(2027, 8, 6), at(MONDAY, 6))
        assert caught.value.details["suggestion"] == MONDAY

    def test_a_holiday_is_refused_with_its_name_and_the_next_open_day(self):
        with pytest.raises(errors.DayClosed) as caught:
            schedule().check_day(date(2027, 8, 17), at(MONDAY, 6))
        assert caught.value.details["closure"].name("id") == "Hari Kemerdekaan Republik Indonesia"
        assert caught.value.details["suggestion"] == date(2027, 8, 18)

    def test_a_weekend_is_refused_without_a_closure_and_names_the_working_days(self):
        with pytest.raises(errors.DayClosed) as caught:
            schedule().check_day(date(2027, 8, 15), at(MONDAY, 6))
        assert caught.value.details["closure"] is None
        assert caught.value.details["working_days"] == (1, 2, 3, 4, 5)
        assert caught.value.details["suggestion"] == date(2027, 8, 16)

    def test_a_day_beyond_the_horizon_suggests_the_last_bookable_day(self):
        with pytest.raises(errors.BeyondHorizon) as caught:
            schedule().check_day(date(2027, 9, 1), at(MONDAY, 6))
        assert caught.value.details["last_day"] == date(2027, 8, 23)
        assert caught.value.details["suggestion"] == date(2027, 8, 23)

    def test_today_after_the_last_slot_is_refused_with_tomorrow(self):
        with pytest.raises(errors.NoSlotsLeftToday) as caught:
            schedule().check_day(MONDAY, at(MONDAY, 11))
        assert caught.value.details["suggestion"] == date(2027, 8, 10)

    def test_an_hour_that_is_not_offered_lists_the_open_ones(self):
        with pytest.raises(errors.HourNotOffered) as caught:
            schedule().check_hour(MONDAY, time(13), at(MONDAY, 8, 45))
        assert caught.value.details["hours"] == [time(10), time(11)]

    @given(offset=st.integers(min_value=-20, max_value=40), minutes=st.integers(0, 24 * 60 - 1))
    def test_check_day_agrees_with_bookable_days(self, offset, minutes):
        now = at(MONDAY, 0) + timedelta(minutes=minutes)
        rules = schedule()
        day = MONDAY + timedelta(days=offset)
        bookable = day in set(rules.bookable_days(now))
        try:
            rules.check_day(day, now)
        except errors.BookingError as refusal:
            assert not bookable
            suggestion = refusal.details.get("suggestion")
            assert suggestion is None or rules.is_bookable(suggestion, now)
        else:
            assert bookable


class TestRegistrationHours:
    batam = staticmethod(lambda: schedule(registration=(time(7, 30), time(10, 0))))

    def test_open_within_the_hours_on_a_working_day(self):
        self.batam().check_registration(at(MONDAY, 7, 30))
        self.batam().check_registration(at(MONDAY, 9, 59))

    @pytest.mark.parametrize(
        ("now", "next_opening"),
        [
            (at(MONDAY, 7, 29), at(MONDAY, 7, 30)),
            (at(MONDAY, 10, 0), at(date(2027, 8, 10), 7, 30)),
            # Friday evening: the next opening skips the weekend.
            (at(date(2027, 8, 13), 18), at(date(2027, 8, 16), 7, 30)),
            # Monday 16th: the next day is Independence Day, so Wednesday.
            (at(date(2027, 8, 16), 11), at(date(2027, 8, 18), 7, 30)),
        ],
    )
    def test_closed_outside_them_and_says_when_it_opens(self, now, next_opening):
        with pytest.raises(errors.OutsideRegistrationHours) as caught:
            self.batam().check_registration(now)
        assert caught.value.details["next_opening"] == next_opening

    def test_offices_without_registration_hours_take_requests_any_time(self):
        schedule().check_registration(at(date(2027, 8, 15), 3))


class TestArrival:
    def test_on_time_up_to_the_deadline(self):
        schedule().check_arrival(MONDAY, time(9), at(MONDAY, 8, 30))

    def test_late_after_the_deadline(self):
        with pytest.raises(errors.ArrivalTooLate) as caught:
            schedule().check_arrival(MONDAY, time(9), at(MONDAY, 8, 31))
        assert caught.value.details["deadline"] == at(MONDAY, 8, 30)

    def test_only_on_the_visit_day(self):
        with pytest.raises(errors.NotVisitDay):
            schedule().check_arrival(date(2027, 8, 10), time(9), at(MONDAY, 8))


class TestApplicant:
    def test_age_counts_whole_years(self):
        assert age_on(date(2010, 8, 10), date(2027, 8, 9)) == 16
        assert age_on(date(2010, 8, 9), date(2027, 8, 9)) == 17
        assert is_child(date(2010, 8, 10), date(2027, 8, 9))
        assert not is_child(date(2010, 8, 9), date(2027, 8, 9))

    @pytest.mark.parametrize(
        ("birth", "why"),
        [(date(2027, 8, 10), "future"), (MONDAY, "today"), (date(1900, 1, 1), "too_old")],
    )
    def test_birth_date_must_be_a_plausible_past_date(self, birth, why):
        with pytest.raises(errors.InvalidBirthDate) as caught:
            check_birth_date(birth, MONDAY)
        assert caught.value.details["why"] == why

    def test_a_baby_born_yesterday_is_fine(self):
        check_birth_date(date(2027, 8, 8), MONDAY)

    @pytest.mark.parametrize(
        ("raw", "clean"),
        [
            ("  budi   SANTOSO ", "budi SANTOSO"),
            ("Siti Nur'aini", "Siti Nur'aini"),
            ("M. Rizky, S.T.", "M. Rizky, S.T."),
            ("Ni Made Ayu-Lestari", "Ni Made Ayu-Lestari"),
        ],
    )
    def test_names_keep_what_people_write(self, raw, clean):
        assert clean_name(raw) == clean

    @pytest.mark.parametrize(
        ("raw", "why"),
        [
            ("   ", "empty"),
            ("x" * 101, "too_long"),
            ("Budi123", "characters"),
            ("...", "characters"),
            ("Budi#25011987", "characters"),
        ],
    )
    def test_bad_names_say_why(self, raw, why):
        with pytest.raises(errors.InvalidName) as caught:
            clean_name(raw)
        assert caught.value.details["why"] == why

    @pytest.mark.parametrize("count", [0, 6, -1])
    def test_one_to_five_applicants(self, count):
        check_applicants(1)
        check_applicants(5)
        with pytest.raises(errors.InvalidApplicants):
            check_applicants(count)


class TestQuota:
    def test_percepatan_service_draws_on_its_own_quota(self):
        quota = choose_quota(
            Quota.PERCEPATAN, priority=None, birth=date(1990, 1, 1), visit_day=MONDAY
        )
        assert quota == Quota.PERCEPATAN

    def test_priority_is_checked_against_age_where_age_decides(self):
        elderly = date(1967, 8, 9)  # 60 on the visit day
        assert (
            choose_quota(
                Quota.REGULAR, priority=PriorityReason.ELDERLY, birth=elderly, visit_day=MONDAY
            )
            == Quota.PRIORITY
        )
        with pytest.raises(errors.PriorityNotEligible):
            choose_quota(
                Quota.REGULAR,
                priority=PriorityReason.ELDERLY,
                birth=date(1967, 8, 10),
                visit_day=MONDAY,
            )
        with pytest.raises(errors.PriorityNotEligible):
            choose_quota(
                Quota.REGULAR,
                priority=PriorityReason.SMALL_CHILD,
                birth=date(2022, 8, 9),
                visit_day=MONDAY,
            )
        assert (
            choose_quota(
                Quota.REGULAR,
                priority=PriorityReason.PREGNANT,
                birth=date(1995, 1, 1),
                visit_day=MONDAY,
            )
            == Quota.PRIORITY
        )


class TestDeadlines:
    def test_a_code_lapses_after_the_confirmation_time(self):
        created = at(MONDAY, 6)
        assert confirm_deadline(created, 60, at(date(2027, 8, 10), 7, 30)) == at(MONDAY, 7)

    def test_but_never_after_the_arrival_deadline(self):
        created = at(MONDAY, 7, 45)
        assert confirm_deadline(created, 60, at(MONDAY, 8, 30)) == at(MONDAY, 8, 30)

    def test_reschedule_once_up_to_the_day_before(self):
        check_reschedule(
            done=0, limit=1, visit_date=date(2027, 8, 12), cutoff_days=1, today=date(2027, 8, 11)
        )
        with pytest.raises(errors.RescheduleTooLate) as caught:
            check_reschedule(
                done=0,
                limit=1,
                visit_date=date(2027, 8, 12),
                cutoff_days=1,
                today=date(2027, 8, 12),
            )
        assert caught.value.details["last_day"] == date(2027, 8, 11)
        with pytest.raises(errors.RescheduleLimit):
            check_reschedule(
                done=1, limit=1, visit_date=date(2027, 8, 20), cutoff_days=1, today=MONDAY
            )


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        schedule().today(datetime(2027, 8, 9, 6, 0))


def test_rules_import_no_django():
    import subprocess
    import sys

    code = (
        "import sys, antrean.booking.rules, antrean.booking.codes, antrean.booking.nik, "
        "antrean.booking.lifecycle, antrean.booking.explain; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
