"""Any sequence of bookings, confirmations, cancellations, reschedules and lapses leaves
every seat counter equal to the seats its bookings hold, within capacity, with unique
queue numbers - and every refusal is a BookingError, never anything else."""

import datetime
import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from antrean.booking import actions, errors
from antrean.booking.tests.invariants import check_counters, check_queue_numbers
from antrean.offices.models import Office, ServiceType, WhatsAppNumber

from conftest import NOW

_run = itertools.count(1)
DAYS = [NOW.date() + timedelta(days=n) for n in range(0, 9)]  # horizon 7, plus two beyond
HOURS = [datetime.time(h) for h in (8, 9, 10, 11, 13)]  # 13.00 is never offered


class BookingMachine(RuleBasedStateMachine):
    codes = Bundle("codes")

    def __init__(self):
        super().__init__()
        run = next(_run)
        self.office = Office.objects.create(
            code=f"state-{run}",
            name=f"Kantor Uji {run}",
            office_class="I_TPI",
            city="Bogor",
            province="Jawa Barat",
            timezone="Asia/Jakarta",
            opens_at=datetime.time(8),
            closes_at=datetime.time(12),
            capacity_per_hour=2,
            daily_regular=5,
            daily_percepatan=1,
            daily_priority=1,
            horizon_days=7,
        )
        WhatsAppNumber.objects.create(
            office=self.office, phone_number_id=f"7{run:014d}", display_phone_number="+62 811"
        )
        self.services = list(ServiceType.objects.filter(code__in=["baru", "percepatan"]))
        self.phone_prefix = f"62813{run % 10000:04d}"
        self.now = NOW

    def phone(self, n: int) -> str:
        return f"{self.phone_prefix}{n:04d}"

    @rule(
        target=codes,
        who=st.integers(0, 15),
        day=st.sampled_from([*DAYS, None]),
        hour=st.sampled_from([None, *HOURS]),
        applicants=st.integers(1, 3),
        percepatan=st.booleans(),
        move=st.booleans(),
    )
    def book(self, who, day, hour, applicants, percepatan, move):
        try:
            booked = actions.book(
                office=self.office,
                service=self.services[percepatan],
                phone=self.phone(who),
                name="Pemohon",
                birth_date=datetime.date(1990, 5, 17),
                now=self.now,
                channel="web",
                actor="test",
                visit_date=day,
                hour=hour if day else None,
                applicants=applicants,
                move_if_full=move,
            )
        except errors.BookingError:
            return multiple()
        return booked.booking.code

    @rule(code=codes)
    def confirm(self, code):
        try:
            actions.confirm(code=code, now=self.now, actor="test")
        except errors.BookingError:
            pass

    @rule(code=codes)
    def cancel(self, code):
        try:
            actions.cancel(code=code, now=self.now, actor="test")
        except errors.BookingError:
            pass

    @rule(code=codes, day=st.sampled_from(DAYS), hour=st.sampled_from([None, *HOURS]))
    def reschedule(self, code, day, hour):
        try:
            actions.reschedule(code=code, visit_date=day, hour=hour, now=self.now, actor="test")
        except errors.BookingError:
            pass

    @rule(minutes=st.integers(1, 120))
    def time_passes(self, minutes):
        self.now += timedelta(minutes=minutes)
        actions.lapse_unconfirmed(now=self.now)
        actions.expire_late(now=self.now)

    @invariant()
    def counters_are_exact(self):
        check_counters(self.office)
        check_queue_numbers(self.office)


@pytest.mark.django_db
def test_counters_stay_exact_under_any_sequence():
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        BookingMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
