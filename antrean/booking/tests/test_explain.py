"""Every refusal has a specific, filled-in sentence in Indonesian and in English."""

import inspect
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from antrean.booking import errors
from antrean.booking.explain import describe_weekdays, explain
from antrean.booking.rules import Closure
from antrean.content import LANGUAGES, catalog

WIB = ZoneInfo("Asia/Jakarta")
D = date(2027, 8, 10)

# One realistic set of details per reason (and per variant of a reason).
SAMPLES = [
    errors.InvalidName(why="empty"),
    errors.InvalidName(why="too_long", maximum=100),
    errors.InvalidName(why="characters"),
    errors.InvalidBirthDate(why="future", birth_date=date(2030, 1, 1)),
    errors.InvalidBirthDate(why="today", birth_date=D),
    errors.InvalidBirthDate(why="too_old", birth_date=date(1900, 1, 1), maximum=120),
    errors.InvalidNik(why="digits"),
    errors.InvalidNik(why="length", length=15, expected=16),
    errors.InvalidNik(why="province", code="99"),
    errors.InvalidNik(why="region"),
    errors.InvalidNik(why="date"),
    errors.InvalidNik(why="mismatch", expected="250187", found="260187"),
    errors.InvalidNik(why="serial"),
    errors.InvalidPhone(),
    errors.InvalidApplicants(count=6, maximum=5),
    errors.ServiceNotBookable(service="Penggantian paspor hilang"),
    errors.PriorityNotEligible(why="elderly", minimum_age=60),
    errors.PriorityNotEligible(why="small_child", maximum_age=5),
    errors.OutsideRegistrationHours(
        opens=time(7, 30), closes=time(10), next_opening=datetime(2027, 8, 10, 7, 30, tzinfo=WIB)
    ),
    errors.VisitDateInPast(day=date(2027, 8, 6), today=D, suggestion=D),
    errors.DayClosed(
        day=date(2027, 8, 17),
        closure=Closure(date(2027, 8, 17), "Hari Kemerdekaan", "Independence Day"),
        working_days=(1, 2, 3, 4, 5),
        suggestion=date(2027, 8, 18),
    ),
    errors.DayClosed(
        day=date(2027, 8, 15), closure=None, working_days=(1, 2, 3, 4, 5), suggestion=D
    ),
    errors.BeyondHorizon(
        day=date(2027, 9, 30),
        last_day=date(2027, 8, 23),
        horizon_days=14,
        suggestion=date(2027, 8, 23),
    ),
    errors.NoSlotsLeftToday(day=D, suggestion=date(2027, 8, 11)),
    errors.HourNotOffered(day=D, hour=time(13), hours=[time(10), time(11)]),
    errors.HourNotOffered(day=D, hour=time(13), hours=[]),
    errors.HourFull(day=D, hour=time(9)),
    errors.DayFull(day=D, next_day=date(2027, 8, 11)),
    errors.DayFull(day=D, next_day=None),
    errors.FullyBooked(from_day=D, last_day=date(2027, 8, 23)),
    errors.AlreadyBooked(
        code="ABCD2345",
        office="Kantor Imigrasi Bogor",
        visit_date=D,
        slot_start=time(9),
        status="confirmed",
    ),
    errors.NikAlreadyBooked(),
    errors.NikAlreadyBooked(applicant=2),
    errors.NikRepeated(applicant=3, same_as=1),
    errors.BookingNotFound(),
    errors.WrongStatus(code="ABCD2345", status="served", action="cancel"),
    errors.ConfirmationLapsed(code="ABCD2345"),
    errors.ArrivalTooLate(deadline=datetime(2027, 8, 10, 8, 30, tzinfo=WIB)),
    errors.NotVisitDay(visit_date=D),
    errors.RescheduleLimit(limit=1),
    errors.RescheduleTooLate(last_day=date(2027, 8, 9), visit_date=D),
    errors.SameSlot(day=D, hour=time(9)),
    errors.OfficeUnavailable(),
    errors.Busy(),
    errors.CounterBusy(counter=3, queue_number="A-017"),
    errors.NotCalled(code="K7QX2MPA", queue_number="A-017", status="checked_in"),
    errors.StageNotAllowed(code="K7QX2MPA", status="confirmed", stage="ready"),
    errors.NotLate(code="K7QX2MPA", status="confirmed"),
    errors.NothingToWaitFor(code="K7QX2MPA"),
    errors.AlreadyWaiting(code="K7QX2MPA", day=D),
    errors.PaymentNotFound(),
    errors.PaymentAmountWrong(expected="650.000", got="600.000"),
    errors.PaymentTooLate(code="K7QX2MPA", status="expired"),
    errors.IdentityNotChecked(code="K7QX2MPA"),
    errors.IdentityMismatch(applicant=2),
    *(
        errors.NotYetReleased(
            why=why,
            day=date(2027, 9, 2),
            first_day=date(2027, 9, 1),
            last_day=date(2027, 9, 30),
            opens_at=datetime(2027, 8, 31, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")),
            closes_at=datetime(2027, 8, 31, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta")),
            suggestion=date(2027, 8, 31),
        )
        for why in ("before", "open", "drawing", "unplanned")
    ),
    errors.AlreadyEntered(
        ticket=17, closes_at=datetime(2027, 8, 31, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    ),
    errors.NikAlreadyEntered(
        closes_at=datetime(2027, 8, 31, 9, 30, tzinfo=ZoneInfo("Asia/Jakarta"))
    ),
]


def test_every_reason_has_a_sample():
    reasons = {
        cls.reason
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, errors.BookingError) and cls is not errors.BookingError
    }
    assert reasons == {sample.reason for sample in SAMPLES}


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("error", SAMPLES, ids=lambda e: f"{e.reason}-{e.details.get('why', '')}")
def test_each_refusal_reads_as_a_whole_sentence(error, lang):
    sentence = explain(error, lang, office="Kantor Imigrasi Jakarta Pusat", zone="Asia/Jakarta")
    assert "{" not in sentence and "}" not in sentence
    assert "None" not in sentence
    assert sentence.strip().endswith((".", ")"))
    assert len(sentence) <= 1024  # fits a WhatsApp interactive body


def test_indonesian_is_polite_and_names_the_facts():
    closed = SAMPLES[20]
    sentence = explain(closed, "id", office="Kantor Imigrasi Jakarta Pusat")
    assert "Selasa, 17 Agustus 2027" in sentence
    assert "Hari Kemerdekaan" in sentence
    assert "Rabu, 18 Agustus 2027" in sentence
    assert "Bapak/Ibu" in explain(errors.InvalidName(why="empty"))


def test_english_uses_english_names():
    assert "Independence Day" in explain(SAMPLES[20], "en")
    assert "Tuesday, 17 August 2027" in explain(SAMPLES[20], "en")


def test_times_carry_the_office_zone():
    sentence = explain(errors.HourFull(day=D, hour=time(9)), "id", zone="Asia/Makassar")
    assert "09.00 WITA" in sentence


def test_catalog_has_both_languages_for_every_text():
    for key, entry in catalog().items():
        assert set(entry) == set(LANGUAGES), key
        assert all(entry[lang].strip() for lang in LANGUAGES), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", entry[lang])) for lang in LANGUAGES}
        assert placeholders["id"] == placeholders["en"], key


def test_working_days_are_described_as_people_say_them():
    assert describe_weekdays((1, 2, 3, 4, 5), "id") == "Senin–Jumat"
    assert describe_weekdays((1, 3, 5), "en") == "Monday, Wednesday and Friday"
    assert describe_weekdays(range(1, 8), "id") == "setiap hari"


def test_the_text_of_a_refusal_keeps_personal_data_out_of_logs():
    logged = str(errors.InvalidNik(why="mismatch", expected="250187", found="260187"))
    assert "250187" not in logged and "260187" not in logged and "mismatch" in logged
    assert "1987" not in str(errors.InvalidBirthDate(why="future", birth_date=date(1987, 1, 25)))
    assert "2027-08-10" in str(errors.HourFull(day=D, hour=time(9))) or "2027, 8, 10" in str(
        errors.HourFull(day=D, hour=time(9))
    )
