"""An office's schedule as the booking rules see it: zone, hours, and every closure."""

import datetime

import pytest

from antrean.offices.models import Closure
from antrean.offices.public_holidays import national_closures
from antrean.offices.schedules import schedule_for

pytestmark = pytest.mark.django_db


def test_national_holidays_and_collective_leave_in_both_languages():
    closures = national_closures(2027)
    independence = closures[datetime.date(2027, 8, 17)]
    assert "Kemerdekaan" in independence.name_id
    assert independence.name_en == "Independence Day"
    christmas_leave = closures[datetime.date(2027, 12, 24)]  # cuti bersama (government)
    assert christmas_leave.name_id.startswith("Cuti Bersama")


def test_the_schedule_closes_on_holidays_and_the_office_own_days(office, now):
    Closure.objects.create(office=office, day=datetime.date(2027, 8, 12), name_id="Renovasi")
    Closure.objects.create(office=None, day=datetime.date(2027, 8, 13), name_id="Libur nasional")
    schedule = schedule_for(office, now)
    assert not schedule.is_open(datetime.date(2027, 8, 17))
    assert schedule.closures[datetime.date(2027, 8, 12)].name_id == "Renovasi"
    assert schedule.closures[datetime.date(2027, 8, 13)].name_id == "Libur nasional"
    assert schedule.is_open(datetime.date(2027, 8, 11))


def test_another_office_closure_does_not_close_this_one(office, make_office, now):
    Closure.objects.create(office=make_office(), day=datetime.date(2027, 8, 12), name_id="X")
    assert schedule_for(office, now).is_open(datetime.date(2027, 8, 12))


def test_an_office_own_entry_wins_over_the_national_name(office, now):
    Closure.objects.create(
        office=office, day=datetime.date(2027, 8, 17), name_id="Upacara dan libur kantor"
    )
    assert schedule_for(office, now).closures[datetime.date(2027, 8, 17)].name_id == (
        "Upacara dan libur kantor"
    )


def test_zone_hours_and_registration(make_office, now):
    office = make_office(
        timezone="Asia/Jayapura",
        registration_opens_at=datetime.time(7, 30),
        registration_closes_at=datetime.time(10),
        working_days="123456",
    )
    schedule = schedule_for(office, now)
    assert str(schedule.timezone) == "Asia/Jayapura"
    assert schedule.registration == (datetime.time(7, 30), datetime.time(10))
    assert schedule.is_open(datetime.date(2027, 8, 14))  # a Saturday, for this office
    assert schedule.today(now) == datetime.date(2027, 8, 9)  # 06.00 WIB is 08.00 WIT
