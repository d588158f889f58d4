"""The back office through its pages, as officers use it."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse

from antrean.backoffice.models import AuditEntry
from antrean.booking.models import DayLoad, SlotLoad
from antrean.booking.rules import Person
from antrean.feedback.actions import file_ticket
from antrean.offices.models import Closure, OfficeText
from antrean.whatsapp.models import Contact, OutboundMessage

from .conftest import ON_TIME, VISIT
from conftest import WIB, nik_for

LATE = datetime.datetime(2027, 8, 10, 7, 45, tzinfo=WIB)


def sent_to(phone):
    return [
        row.message for row in OutboundMessage.objects.filter(contact__wa_id=phone).order_by("pk")
    ]


def bodies(phone):
    return [m.get("body", "") for m in sent_to(phone)]


def chatting(booking, at):
    """The applicant wrote to the office at `at` (the 24-hour window is open from then)."""
    number = booking.office.numbers.get()
    Contact.objects.update_or_create(
        number=number, wa_id=booking.phone, defaults={"last_inbound_at": at}
    )


def test_check_in_shows_the_documents_to_compare_and_gives_a_ticket(
    as_user, confirmed, time_machine
):
    booking = confirmed(nik=None)
    time_machine.move_to(ON_TIME)
    client = as_user("officer")
    page = client.get(reverse("backoffice:check_in"), {"code": booking.code.lower()})
    text = page.content.decode()
    assert page.status_code == 200
    assert booking.name in text and "25 Januari 1987" in text
    assert "Nama dan tanggal lahir sesuai e-KTP/KK" in text and 'name="nik_1"' not in text
    response = client.post(
        reverse("backoffice:check_in"), {"code": booking.code, "identity_checked": "1"}
    )
    assert response["Location"] == reverse("backoffice:queue_ticket", args=[booking.code])
    ticket = client.get(response["Location"]).content.decode()
    assert booking.queue_number in ticket and "Cetak tiket" in ticket
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    assert AuditEntry.objects.filter(action="checked_in", booking_code=booking.code).exists()


def test_check_in_of_a_family_lists_every_person_to_compare(as_user, confirmed, time_machine):
    child = datetime.date(2016, 5, 9)
    child_nik = nik_for(child, female=True)
    booking = confirmed(
        nik=nik_for(datetime.date(1987, 1, 25)), family=[Person("Dewi Santoso", child, child_nik)]
    )
    time_machine.move_to(ON_TIME)
    text = (
        as_user("officer")
        .get(reverse("backoffice:check_in"), {"code": booking.code})
        .content.decode()
    )
    assert "Semua pemohon dalam pemesanan ini (2)" in text
    assert "Dewi Santoso" in text and child_nik in text and "9 Mei 2016" in text


@pytest.fixture
def family_booking(confirmed, time_machine):
    """A confirmed booking for the booker and a child, both with NIK; the clock at ON_TIME."""
    child = datetime.date(2016, 5, 9)
    niks = [nik_for(datetime.date(1987, 1, 25)), nik_for(child, female=True)]
    booking = confirmed(nik=niks[0], family=[Person("Dewi Santoso", child, niks[1])])
    time_machine.move_to(ON_TIME)
    return booking, niks


def test_check_in_asks_for_each_recorded_nik_and_the_officer_s_word(as_user, family_booking):
    booking, (booker, child) = family_booking
    officer = as_user("officer")
    text = officer.get(reverse("backoffice:check_in"), {"code": booking.code}).content.decode()
    for place in (1, 2):
        assert f"NIK pada e-KTP pemohon {place}" in text
        assert f'id="nik_{place}" name="nik_{place}" inputmode="numeric" maxlength="16"' in text
    assert 'name="identity_checked" value="1" required' in text
    response = officer.post(
        reverse("backoffice:check_in"),
        {"code": booking.code, "nik_1": booker, "nik_2": child, "identity_checked": "1"},
    )
    assert response["Location"] == reverse("backoffice:queue_ticket", args=[booking.code])
    booking.refresh_from_db()
    assert booking.status == "checked_in"


def test_someone_else_s_nik_is_refused_and_audited_without_the_nik(as_user, family_booking, caplog):
    booking, (booker, _) = family_booking
    stranger = nik_for(datetime.date(2016, 5, 9), female=True)
    response = as_user("officer").post(
        reverse("backoffice:check_in"),
        {"code": booking.code, "nik_1": booker, "nik_2": stranger, "identity_checked": "1"},
    )
    text = response.content.decode()
    assert response.status_code == 409
    assert "NIK pemohon 2 tidak cocok dengan pemesanan" in text
    assert "tidak dapat dipindahtangankan" in text
    assert re.search(r'name="nik_2"[^>]* aria-invalid="true"', text)  # the field to look at
    assert stranger not in text and stranger not in caplog.text
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    entry = AuditEntry.objects.get(action="identity_mismatch")
    assert (entry.username, entry.booking_code, entry.detail) == (
        "petugas",
        booking.code,
        {"place": 2},
    )
    assert stranger not in str(entry.detail) and stranger not in entry.target


def test_check_in_needs_the_officer_s_word_on_name_and_birth_date(as_user, family_booking):
    booking, niks = family_booking
    response = as_user("officer").post(
        reverse("backoffice:check_in"), {"code": booking.code, "nik_1": niks[0], "nik_2": niks[1]}
    )
    assert response.status_code == 400
    assert "centang" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    assert not AuditEntry.objects.filter(action__startswith="checked_in").exists()


def test_a_late_applicant_let_in_by_a_supervisor_shows_their_nik_too(
    as_user, family_booking, time_machine
):
    booking, (booker, child) = family_booking
    time_machine.move_to(LATE)
    supervisor = as_user("supervisor")
    page = supervisor.get(reverse("backoffice:check_in"), {"code": booking.code}).content.decode()
    assert 'id="override"' in page and 'name="nik_2"' in page
    late = {"code": booking.code, "override": "banjir", "identity_checked": "1"}
    response = supervisor.post(reverse("backoffice:check_in"), {**late, "nik_1": child})
    assert response.status_code == 409  # the child's NIK counts; the booker's is missing
    assert AuditEntry.objects.get(action="identity_mismatch").detail == {"place": 1}
    supervisor.post(reverse("backoffice:check_in"), {**late, "nik_1": booker, "nik_2": child})
    booking.refresh_from_db()
    assert booking.status == "checked_in"


def test_an_unknown_code_is_explained(as_user, db):
    response = as_user("officer").get(reverse("backoffice:check_in"), {"code": "ABCD"})
    assert response.status_code == 404
    assert "tidak ditemukan di kantor ini" in response.content.decode()


def test_a_late_arrival_is_refused_and_only_a_supervisor_overrides(
    as_user, confirmed, time_machine
):
    booking = confirmed()
    time_machine.move_to(LATE)
    officer = as_user("officer")
    page = officer.get(reverse("backoffice:check_in"), {"code": booking.code}).content.decode()
    assert "Batas kedatangan" in page and "Hanya supervisor" in page
    response = officer.post(reverse("backoffice:check_in"), {"code": booking.code, "override": "x"})
    assert response.status_code == 403
    supervisor = as_user("supervisor")
    response = supervisor.post(
        reverse("backoffice:check_in"), {"code": booking.code, "override": ""}
    )
    assert response.status_code == 400
    assert "Tulis alasan" in response.content.decode()
    supervisor.post(
        reverse("backoffice:check_in"),
        {"code": booking.code, "override": "banjir", "identity_checked": "1"},
    )
    booking.refresh_from_db()
    assert booking.status == "checked_in"
    entry = AuditEntry.objects.get(action="checked_in_late")
    assert (entry.username, entry.booking_code, entry.detail) == (
        "supervisor",
        booking.code,
        {"reason": "banjir"},
    )


def test_calling_tells_the_applicant_which_counter(as_user, arrived, counters, time_machine):
    booking = arrived()
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=5))
    chatting(booking, ON_TIME)
    client = as_user("officer")
    client.post(reverse("backoffice:counter_action", args=[2, "next"]))
    assert (
        bodies(booking.phone)[-1]
        == f"🔔 Nomor antrean *{booking.queue_number}* silakan menuju *loket 2*."
    )
    page = client.get(reverse("backoffice:counter", args=[2])).content.decode()
    assert booking.queue_number in page and "Selesai dilayani" in page
    client.post(reverse("backoffice:counter_action", args=[2, "recall"]), {"code": booking.code})
    assert len(sent_to(booking.phone)) == 2
    client.post(reverse("backoffice:counter_action", args=[2, "served"]), {"code": booking.code})
    booking.refresh_from_db()
    assert booking.status == "served"
    actions_logged = list(AuditEntry.objects.order_by("at", "id").values_list("action", flat=True))
    assert actions_logged == ["called", "recall", "served"]


def test_a_call_outside_the_window_goes_as_the_approved_template(
    as_user, arrived, counters, time_machine
):
    booking = arrived()
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=5))
    as_user("officer").post(reverse("backoffice:counter_action", args=[1, "next"]))
    (message,) = sent_to(booking.phone)
    assert message["kind"] == "Template"
    assert message["name"] == "antrean_panggilan"
    assert list(message["params"]) == [booking.queue_number, "1"]


def test_the_board_shows_numbers_and_counters_and_no_names(
    client, as_user, arrived, counters, office, time_machine
):
    first, second = arrived(), arrived()
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=5))
    officer = as_user("officer")
    officer.post(reverse("backoffice:counter_action", args=[1, "next"]))
    officer.post(reverse("backoffice:counter_action", args=[3, "next"]))
    officer.logout()
    board = client.get(reverse("board", args=[office.code]))
    text = board.content.decode()
    assert board.status_code == 200
    assert 'id="board-number">' + second.queue_number in text
    assert "Loket 3" in text and first.queue_number in text
    assert first.name not in text
    fragment = client.get(reverse("board", args=[office.code]), HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content and second.queue_number.encode() in fragment.content


def test_a_stage_change_is_sent_to_the_applicant(as_user, arrived, time_machine):
    booking = arrived()
    moment = ON_TIME + datetime.timedelta(hours=3)
    time_machine.move_to(moment)
    chatting(booking, moment)
    client = as_user("officer")
    client.post(reverse("backoffice:set_stage", args=[booking.code]), {"stage": "ready"})
    booking.refresh_from_db()
    assert booking.stage == "ready"
    assert "sudah selesai dan dapat diambil" in bodies(booking.phone)[-1]
    response = client.post(reverse("backoffice:set_stage", args=[booking.code]), {"stage": "nope"})
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages[-1] == "Pilih salah satu tahap permohonan dari daftar."


def test_passport_ready_after_days_goes_as_its_template(as_user, arrived, time_machine):
    booking = arrived()
    time_machine.move_to(ON_TIME + datetime.timedelta(days=5))
    as_user("officer").post(
        reverse("backoffice:set_stage", args=[booking.code]), {"stage": "ready"}
    )
    (message,) = sent_to(booking.phone)
    assert (message["name"], list(message["params"])) == (
        "antrean_paspor_selesai",
        [booking.name, booking.office.name],
    )


def test_the_today_page_counts_per_hour_and_finds_by_name(
    as_user, arrived, confirmed, time_machine
):
    came = arrived()
    confirmed(name="Siti Aminah")
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=1))
    client = as_user("officer")
    page = client.get(reverse("backoffice:today")).content.decode()
    assert 'data-total="booked">2<' in page and 'data-total="arrived">1<' in page
    found = client.get(reverse("backoffice:today"), {"q": "siti"}).content.decode()
    assert "Siti Aminah" in found and came.code not in found


def test_the_feedback_inbox_replies_over_whatsapp(as_user, office, now, time_machine):
    ticket = file_ticket(
        office=office, phone="6281299990000", kind="complaint", text="Antre lama", now=now
    )
    time_machine.move_to(now + datetime.timedelta(hours=1))
    Contact.objects.create(number=office.numbers.get(), wa_id="6281299990000", last_inbound_at=now)
    client = as_user("supervisor")
    inbox = client.get(reverse("backoffice:feedback")).content.decode()
    assert ticket.number in inbox
    assert (
        "Antre lama" in client.get(reverse("backoffice:ticket", args=[ticket.pk])).content.decode()
    )
    client.post(reverse("backoffice:ticket_action", args=[ticket.pk]), {"reply": "  "})
    assert not ticket.replies.exists()
    client.post(
        reverse("backoffice:ticket_action", args=[ticket.pk]), {"reply": "Mohon maaf, Bapak/Ibu."}
    )
    ticket.refresh_from_db()
    assert ticket.state == "answered" and ticket.replies.get().text == "Mohon maaf, Bapak/Ibu."
    assert "Mohon maaf, Bapak/Ibu." in bodies("6281299990000")[-1]
    client.post(reverse("backoffice:ticket_action", args=[ticket.pk]), {"state": "closed"})
    ticket.refresh_from_db()
    assert ticket.state == "closed"


def test_settings_change_capacities_closures_and_texts(as_user, office, book, now, time_machine):
    book()
    time_machine.move_to(now)
    client = as_user("supervisor")
    form = {
        "form": "capacity",
        "capacity-capacity_per_hour": "7",
        "capacity-daily_regular": "40",
        "capacity-daily_percepatan": "2",
        "capacity-daily_priority": "2",
        "capacity-opens_at": "08:00",
        "capacity-closes_at": "12:00",
        "capacity-registration_opens_at": "",
        "capacity-registration_closes_at": "",
    }
    assert client.post(reverse("backoffice:settings"), form).status_code == 302
    assert set(SlotLoad.objects.values_list("capacity", flat=True)) == {7}
    assert DayLoad.objects.get(quota="regular").capacity == 40
    bad = client.post(reverse("backoffice:settings"), form | {"capacity-closes_at": "07:00"})
    assert bad.status_code == 400 and "Jam tutup harus setelah jam buka" in bad.content.decode()
    closure = {"form": "closure", "closure-day": "2027-08-20", "closure-name_id": "Renovasi"}
    client.post(reverse("backoffice:settings"), closure)
    assert Closure.objects.get(office=office).name_id == "Renovasi"
    again = client.post(reverse("backoffice:settings"), closure)
    assert "sudah tutup pada tanggal tersebut" in again.content.decode()
    counter = {"form": "counter", "counter-number": "4"}
    client.post(reverse("backoffice:settings"), counter)
    assert office.counters.get().number == 4
    twice = client.post(reverse("backoffice:settings"), counter)
    assert "Nomor loket ini sudah ada" in twice.content.decode()
    text = {"form": "text", "text-key": "flow.ended", "text-text_id": "Selesai {nope}."}
    refused = client.post(reverse("backoffice:settings"), text)
    assert "Isian {nope} tidak dikenal" in refused.content.decode()
    client.post(reverse("backoffice:settings"), text | {"text-text_id": "Baik, selesai."})
    client.post(reverse("backoffice:settings"), text | {"text-text_id": "Baik, sudah selesai."})
    assert OfficeText.objects.get(office=office, key="flow.ended").text_id == "Baik, sudah selesai."
    logged = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"settings", "closure_added", "text_saved"} <= logged


def test_a_supervisor_creates_officers_but_not_headquarters(as_user, office, django_user_model):
    client = as_user("supervisor")
    form = {"username": "andi", "full_name": "Andi", "role": "hq", "password": "Loket-Tiga-2027"}
    refused = client.post(reverse("backoffice:staff"), form)
    assert (
        refused.status_code == 400
        and not django_user_model.objects.filter(username="andi").exists()
    )
    client.post(reverse("backoffice:staff"), form | {"role": "officer", "office": office.pk})
    andi = django_user_model.objects.get(username="andi")
    assert (andi.staff.role, andi.staff.office) == ("officer", office)
    client.post(reverse("backoffice:staff_active", args=[andi.staff.pk]), {"active": "0"})
    andi.refresh_from_db()
    assert not andi.is_active


def test_statistics_and_their_csv(as_user, arrived, counters, office, time_machine):
    booking = arrived()
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=10))
    client = as_user("supervisor")
    client.post(reverse("backoffice:counter_action", args=[1, "next"]))
    time_machine.move_to(ON_TIME + datetime.timedelta(minutes=16))
    client.post(reverse("backoffice:counter_action", args=[1, "served"]), {"code": booking.code})
    response = client.get(
        reverse("backoffice:statistics"),
        {"from": VISIT.isoformat(), "to": VISIT.isoformat(), "format": "csv"},
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "tanggal"
    assert rows[1] == [VISIT.isoformat(), "1", "1", "1", "1", "0", "1.000"]
    assert rows[4] == ["1", "1", "10.0", "6.0"]
    page = client.get(reverse("backoffice:statistics"), {"from": "kemarin"}).content.decode()
    assert "Tanggal tidak terbaca" in page


def test_the_audit_log_is_append_only(as_user, confirmed):
    booking = confirmed()
    as_user("officer").get(reverse("backoffice:booking", args=[booking.code]))
    entry = AuditEntry.objects.get()
    entry.action = "nothing happened"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(action="x")
    assert AuditEntry.objects.get().action == "viewed"


def test_sign_in_locks_after_five_failures(client, django_user_model, office):
    user = django_user_model.objects.create_user("loket", password="Sandi-Loket-2027")
    from antrean.backoffice.models import Staff

    Staff.objects.create(user=user, role="officer", office=office)
    url = reverse("backoffice:login")
    for _ in range(4):
        response = client.post(url, {"username": "loket", "password": "salah"})
        assert response.status_code == 200
        assert "Nama pengguna atau kata sandi salah" in response.content.decode()
    locked = client.post(url, {"username": "loket", "password": "salah"})
    assert locked.status_code == 429
    refused = client.post(url, {"username": "loket", "password": "Sandi-Loket-2027"})
    assert refused.status_code == 429 and "dikunci" in refused.content.decode()


def test_behind_the_proxy_a_lockout_holds_for_the_address_that_failed_only(
    client, django_user_model, office, settings
):
    """All requests come from nginx; the address it saw is the one that fails."""
    from django.test import Client

    from antrean.backoffice.models import Staff

    settings.WEB_TRUST_FORWARDED_FOR = True
    user = django_user_model.objects.create_user("loket", password="Sandi-Loket-2027")
    Staff.objects.create(user=user, role="officer", office=office)
    url = reverse("backoffice:login")
    guesser = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.66")
    for _ in range(5):
        guesser.post(url, {"username": "loket", "password": "salah"})
    assert guesser.post(url, {"username": "loket", "password": "salah"}).status_code == 429
    officer = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    signed_in = officer.post(url, {"username": "loket", "password": "Sandi-Loket-2027"})
    assert signed_in.status_code == 302


def test_signing_in_leads_to_today(client, django_user_model, office):
    user = django_user_model.objects.create_user("loket", password="Sandi-Loket-2027")
    from antrean.backoffice.models import Staff

    Staff.objects.create(user=user, role="officer", office=office)
    response = client.post(
        reverse("backoffice:login"), {"username": "loket", "password": "Sandi-Loket-2027"}
    )
    assert response["Location"] == reverse("backoffice:today")
    assert client.session.get_expire_at_browser_close()
    assert client.get(response["Location"]).status_code == 200
