"""The lifecycle jobs with frozen time, in each office's own zone: reminders, lapses and
late arrivals, the end of the day, unpaid bills, passports waiting - each told once, as a
template when the person has not written for 24 hours."""

import datetime
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from antrean.booking import actions, errors, office_actions, payments
from antrean.booking.lifecycle import Stage, Status
from antrean.booking.models import Booking, Payment
from antrean.jobs import lifecycle
from antrean.jobs.models import Notice
from antrean.jobs.tasks import lifecycle_task
from antrean.whatsapp.messages import Buttons, Template, cloud_body, from_json
from antrean.whatsapp.models import Contact, OutboundMessage

from conftest import NOW

TUESDAY = date(2027, 8, 10)
ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]


def local(zone: str, day: date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def sent_to(phone: str) -> list:
    rows = OutboundMessage.objects.filter(contact__wa_id=phone).order_by("id")
    return [from_json(row.message) for row in rows]


def body(message) -> str:
    return message.body


def wrote(office, phone: str, at: datetime.datetime) -> Contact:
    """The person wrote to the office at `at`: the 24-hour window is open after it."""
    return Contact.objects.create(number=office.numbers.get(), wa_id=phone, last_inbound_at=at)


@pytest.fixture(params=ZONES)
def zone(request):
    return request.param


@pytest.fixture
def zoned(make_office, zone):
    return make_office(timezone=zone)


@pytest.fixture
def confirmed(book):
    def make(**overrides):
        booking = book(**overrides).booking
        return actions.confirm(code=booking.code, now=NOW, actor="t")

    return make


class TestReminders:
    def test_the_evening_before_and_the_morning_of_once_each(self, zoned, zone, confirmed):
        booking = confirmed(office=zoned, hour=time(9))
        wrote(zoned, booking.phone, local(zone, date(2027, 8, 9), 16))

        assert lifecycle.remind(local(zone, date(2027, 8, 9), 16, 59)) == 0
        assert lifecycle.remind(local(zone, date(2027, 8, 9), 17)) == 1
        assert lifecycle.remind(local(zone, date(2027, 8, 9), 17, 1)) == 0  # twice: nothing
        (eve,) = sent_to(booking.phone)
        assert isinstance(eve, Buttons)
        assert "besok" in eve.body and booking.queue_number in eve.body
        assert [(b.id, b.title) for b in eve.buttons] == [
            (f"confirm:{booking.code}", "Hadir"),
            (f"cancel:{booking.code}", "Batal"),
        ]
        assert lifecycle.remind(local(zone, TUESDAY, 5, 59)) == 0
        assert lifecycle.remind(local(zone, TUESDAY, 6)) == 1
        assert lifecycle.remind(local(zone, TUESDAY, 6, 30)) == 0
        morning = sent_to(booking.phone)[-1]
        assert "Selamat pagi" in body(morning)

    def test_a_closed_window_gets_the_template_with_quick_replies(self, zoned, zone, confirmed):
        booking = confirmed(office=zoned, hour=time(10))
        lifecycle.remind(local(zone, date(2027, 8, 9), 18))
        (reminder,) = sent_to(booking.phone)
        assert isinstance(reminder, Template)
        assert reminder.name == "antrean_pengingat"
        assert reminder.quick_replies == (f"confirm:{booking.code}", f"cancel:{booking.code}")
        assert "10.00" in reminder.params[2]
        graph = cloud_body(reminder, booking.phone)["template"]["components"]
        assert graph[1] == {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": f"confirm:{booking.code}"}],
        }

    def test_a_pending_code_is_asked_to_confirm(self, book, office):
        booking = book(hour=time(9)).booking
        wrote(office, booking.phone, NOW)
        lifecycle.remind(local("Asia/Jakarta", date(2027, 8, 9), 17))
        # The code lapsed at 07.00 already; a fresh pending one instead:
        assert sent_to(booking.phone) == []  # lapsed codes are not reminded
        booking = book(hour=time(11), now=local("Asia/Jakarta", date(2027, 8, 9), 16, 30)).booking
        wrote(office, booking.phone, NOW)
        lifecycle.remind(local("Asia/Jakarta", date(2027, 8, 9), 17))
        (reminder,) = sent_to(booking.phone)
        assert "belum dikonfirmasi" in reminder.body

    def test_booked_after_the_reminder_hour_or_cancelled_gets_none(self, book, confirmed):
        evening = local("Asia/Jakarta", date(2027, 8, 9), 19)
        late = book(hour=time(9), now=evening).booking
        gone = confirmed(hour=time(10))
        actions.cancel(code=gone.code, now=NOW, actor="t")
        assert lifecycle.remind(local("Asia/Jakarta", date(2027, 8, 9), 20)) == 0
        assert sent_to(late.phone) == sent_to(gone.phone) == []

    def test_a_rescheduled_booking_is_reminded_of_its_new_day(self, confirmed):
        booking = confirmed(hour=time(9))
        lifecycle.remind(local("Asia/Jakarta", date(2027, 8, 9), 17))
        actions.reschedule(
            code=booking.code, visit_date=date(2027, 8, 11), now=NOW + timedelta(hours=12),
            actor="t",
        )  # fmt: skip
        assert lifecycle.remind(local("Asia/Jakarta", TUESDAY, 17)) == 1
        keys = set(Notice.objects.filter(booking=booking).values_list("key", flat=True))
        assert keys == {"eve:2027-08-10", "eve:2027-08-11"}

    def test_no_reminder_once_it_is_too_late_to_come(self, confirmed):
        booking = confirmed(hour=time(8))
        assert lifecycle.remind(local("Asia/Jakarta", TUESDAY, 7, 31)) == 0
        assert sent_to(booking.phone) == []


class TestEndings:
    def test_a_lapsed_code_is_told_how_to_book_again_once(self, book, office):
        booking = book().booking
        wrote(office, booking.phone, NOW)
        lifecycle.run(booking.confirm_by)
        lifecycle.run(booking.confirm_by + timedelta(minutes=1))
        booking.refresh_from_db()
        assert booking.status == Status.EXPIRED
        (told,) = sent_to(booking.phone)
        assert "hangus" in told.body and "MENU" in told.body

    def test_a_lapse_its_owner_just_heard_of_is_not_told_again(self, book, office):
        booking = book().booking
        later = booking.confirm_by + timedelta(minutes=5)
        with pytest.raises(errors.ConfirmationLapsed):
            actions.confirm(code=booking.code, now=later, actor="t")
        lifecycle.run(later)
        assert sent_to(booking.phone) == []

    def test_late_arrival_in_each_zone(self, zoned, zone, confirmed):
        booking = confirmed(office=zoned, hour=time(9))
        lifecycle.run(local(zone, TUESDAY, 8, 30))
        booking.refresh_from_db()
        assert booking.status == Status.CONFIRMED
        lifecycle.run(local(zone, TUESDAY, 8, 31))
        lifecycle.run(local(zone, TUESDAY, 8, 32))
        booking.refresh_from_db()
        assert booking.status == Status.EXPIRED
        (told,) = sent_to(booking.phone)
        assert told.name == "antrean_pemesanan_berakhir"  # no chat: the template
        assert told.params[2] == "belum check-in 30 menit sebelum jadwal"

    def test_end_of_day_no_shows_in_each_zone(self, zoned, zone, confirmed):
        called = confirmed(office=zoned, hour=time(9))  # first in line: the counter calls them
        waiting = confirmed(office=zoned, hour=time(9))
        at_eight = local(zone, TUESDAY, 8)
        for booking in (called, waiting):
            actions.check_in(
                code=booking.code, now=at_eight, actor="officer:a", identity_checked=True
            )
        counter = zoned.counters.create(number=1)
        office_actions.call_next(counter=counter, now=at_eight, actor="officer:a")
        lifecycle.run(local(zone, TUESDAY, 11, 59))
        waiting.refresh_from_db()
        assert waiting.status == Status.CHECKED_IN
        lifecycle.run(local(zone, TUESDAY, 12))
        lifecycle.run(local(zone, TUESDAY, 12, 1))
        waiting.refresh_from_db()
        called.refresh_from_db()
        assert (waiting.status, called.status) == (Status.NO_SHOW, Status.CHECKED_IN)
        (told,) = sent_to(waiting.phone)
        assert told.params[2] == "belum terlayani hingga kantor tutup"
        assert sent_to(called.phone) == []

    def test_a_counter_no_show_is_told(self, confirmed, office):
        booking = confirmed(hour=time(9))
        at = local("Asia/Jakarta", TUESDAY, 8)
        actions.check_in(code=booking.code, now=at, actor="officer:a", identity_checked=True)
        counter = office.counters.create(number=1)
        office_actions.call_next(counter=counter, now=at, actor="officer:a")
        office_actions.finish(code=booking.code, office=office, now=at, actor="o", served=False)
        wrote(office, booking.phone, at)
        lifecycle.tell_events(at + timedelta(minutes=1))
        (told,) = sent_to(booking.phone)
        assert "tidak hadir" in told.body


class TestPayment:
    @pytest.fixture
    def paying(self, office):
        office.payment = "before"
        office.save()
        return office

    def test_a_confirmed_booking_is_billed(self, paying, book, services):
        booked = book(service=services["percepatan"], visit_date=date(2027, 8, 12)).booking
        booking = actions.confirm(code=booked.code, now=NOW, actor="t")
        payment = Payment.objects.get(booking=booking)
        assert len(payment.billing_code) == 15 and payment.billing_code.isdigit()
        assert payment.amount == 1_650_000
        assert payment.due_at == NOW + timedelta(hours=2)

    def test_the_bill_is_due_by_the_arrival_deadline_at_the_latest(self, paying, confirmed):
        booking = confirmed(visit_date=date(2027, 8, 9), hour=time(8))  # today, 08.00
        assert booking.payment.due_at == local("Asia/Jakarta", date(2027, 8, 9), 7, 30)

    def test_offices_paying_at_the_counter_get_no_bill(self, confirmed):
        assert not Payment.objects.filter(booking=confirmed()).exists()

    def test_warned_then_lapsed_once_and_the_seat_returns(self, paying, confirmed, office):
        booking = confirmed(hour=time(9))
        due = booking.payment.due_at
        wrote(office, booking.phone, NOW)
        lifecycle.run(due - timedelta(minutes=31))
        assert sent_to(booking.phone) == []
        lifecycle.run(due - timedelta(minutes=30))
        lifecycle.run(due - timedelta(minutes=29))
        (warning,) = sent_to(booking.phone)
        assert booking.payment.billing_code in warning.body
        lifecycle.run(due)
        lifecycle.run(due + timedelta(minutes=1))
        booking.refresh_from_db()
        assert booking.status == Status.EXPIRED
        assert [body(m) for m in sent_to(booking.phone)][1].startswith("Pemesanan")
        assert len(sent_to(booking.phone)) == 2
        assert booking.events.filter(action="unpaid").count() == 1
        with pytest.raises(errors.PaymentTooLate):
            payments.pay(billing_code=booking.payment.billing_code, now=due, actor="bank")

    def test_a_paid_bill_never_lapses_and_paying_twice_is_harmless(self, paying, confirmed):
        booking = confirmed(hour=time(9))
        code = booking.payment.billing_code
        payments.pay(billing_code=code, now=NOW, actor="bank", amount=650_000, reference="T1")
        again = payments.pay(billing_code=code, now=NOW, actor="bank", reference="T2")
        assert again.reference == "T1"
        lifecycle.run(booking.payment.due_at + timedelta(minutes=1))
        booking.refresh_from_db()
        assert booking.status == Status.CONFIRMED
        assert booking.events.filter(action="paid").count() == 1

    def test_a_wrong_amount_is_refused(self, paying, confirmed):
        booking = confirmed()
        with pytest.raises(errors.PaymentAmountWrong):
            payments.pay(billing_code=booking.payment.billing_code, now=NOW, actor="b", amount=1)


class TestPickup:
    def test_a_passport_waiting_a_week_is_reminded_once_in_the_daytime(
        self, zoned, zone, confirmed
    ):
        booking = confirmed(office=zoned, hour=time(9))
        at = local(zone, TUESDAY, 8)
        actions.check_in(code=booking.code, now=at, actor="officer:a", identity_checked=True)
        ready_at = local(zone, TUESDAY, 11)
        office_actions.set_stage(
            code=booking.code, office=zoned, stage=Stage.READY, now=ready_at, actor="o"
        )
        assert lifecycle.remind_pickup(ready_at + timedelta(days=6, hours=23)) == 0
        night = local(zone, TUESDAY + timedelta(days=7), 21)
        assert lifecycle.remind_pickup(night) == 0
        morning = local(zone, TUESDAY + timedelta(days=8), 8)
        assert lifecycle.remind_pickup(morning) == 1
        assert lifecycle.remind_pickup(morning + timedelta(hours=1)) == 0
        (told,) = sent_to(booking.phone)
        assert told.name == "antrean_paspor_selesai"


def test_the_periodic_task_runs_the_whole_minute(book, office, time_machine):
    booking = book().booking
    wrote(office, booking.phone, NOW)
    time_machine.move_to(booking.confirm_by + timedelta(seconds=1), tick=False)
    lifecycle_task.call_local()
    lifecycle_task.call_local()
    assert Booking.objects.get(pk=booking.pk).status == Status.EXPIRED
    assert len(sent_to(booking.phone)) == 1


def test_nobody_to_send_from_is_recorded_and_not_retried(book, office):
    office.numbers.all().delete()
    booking = book().booking
    lifecycle.run(booking.confirm_by)
    lifecycle.run(booking.confirm_by + timedelta(minutes=1))
    notice = Notice.objects.get(booking=booking)
    assert (notice.key, notice.sent) == ("lapsed", False)
    assert not OutboundMessage.objects.exists()


def test_a_served_applicant_is_invited_to_the_survey_once(confirmed, office):
    booking = confirmed(hour=time(9))
    at = local("Asia/Jakarta", TUESDAY, 8)
    actions.check_in(code=booking.code, now=at, actor="officer:a", identity_checked=True)
    counter = office.counters.create(number=1)
    office_actions.call_next(counter=counter, now=at, actor="officer:a")
    office_actions.finish(code=booking.code, office=office, now=at, actor="o", served=True)
    wrote(office, booking.phone, at)
    assert lifecycle.tell_events(at + timedelta(minutes=1)) == 1
    assert lifecycle.tell_events(at + timedelta(minutes=2)) == 0
    (invitation,) = sent_to(booking.phone)
    assert [b.id for b in invitation.buttons] == [f"survey:{booking.code}"]
