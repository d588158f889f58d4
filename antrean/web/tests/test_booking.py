"""Booking on the web with the Django test client: every step, every refusal."""

import datetime

import pytest

from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking
from antrean.web.tests.helpers import (
    applicant_fields,
    choose,
    messages_to,
    sent_code,
    verify_phone,
)

from conftest import NOW, new_phone, nik_for

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1987, 1, 25)
CHILD = datetime.date(2016, 5, 9)
SPOUSE = datetime.date(1990, 6, 21)
VISIT = datetime.date(2027, 8, 10)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def ready(client, office, clock):
    """A visitor who chose the office and verified their number."""
    phone = new_phone()
    choose(client, office)
    verify_phone(client, phone)
    return phone


def submit(client, people, day=VISIT, hour="09:00", **extra):
    data = applicant_fields(people) | {"day": day.isoformat(), "hour": hour, "action": "book"}
    return client.post("/pesan/data", data | extra)


def test_a_single_booking_is_confirmed_and_told_over_whatsapp(client, ready, office):
    response = submit(client, [("Budi Santoso", nik_for(BIRTH), BIRTH)])

    booking = Booking.objects.get(phone=ready)
    assert response.status_code == 302 and response["Location"] == f"/bukti/{booking.code}"
    assert booking.status == Status.CONFIRMED and booking.channel == "web"
    assert booking.queue_number == "A-001" and booking.applicants == 1
    assert booking.slot_at.astimezone(datetime.UTC).hour == 2  # 09.00 WIB
    page = client.get(response["Location"]).content.decode()
    assert booking.code in page and "A-001" in page and "<svg" in page
    assert "Selasa, 10 Agustus 2027 pukul 09.00 WIB" in page
    assert "3171 01•• •••• " in page  # the NIK, masked
    assert nik_for(BIRTH)[6:12] not in page.split("<main", 1)[1]
    booked = messages_to(ready)[-1]
    assert booked["kind"] == "Template" and booked["params"][0] == booking.code


def test_a_family_booking_holds_every_person_and_gives_children_their_requirements(client, ready):
    people = [
        ("Budi Santoso", nik_for(BIRTH), BIRTH),
        (
            "Sri Wahyuni",
            nik_for(datetime.date(1990, 6, 21), female=True),
            datetime.date(1990, 6, 21),
        ),
        ("Dewi Santoso", nik_for(CHILD, female=True), CHILD),
    ]
    response = submit(client, people)

    booking = Booking.objects.get(phone=ready)
    assert response.status_code == 302
    assert booking.applicants == 3
    assert [p.name for p in booking.people.order_by("position")] == [n for n, _, _ in people]
    page = client.get(response["Location"]).content.decode()
    assert page.count("Kedua orang tua wajib hadir") == 1  # only the child's list says so
    assert "anak (di bawah 17 tahun)" in page


@pytest.mark.parametrize(
    ("nik", "says"),
    [
        ("", "Mohon isi NIK"),
        ("31710125018700", "NIK harus 16 angka, sedangkan yang Bapak/Ibu kirim 14 angka"),
        ("3171O12501870001", "NIK hanya berisi angka"),
        ("9971012501870001", "Dua angka pertama NIK (99) bukan kode provinsi"),
        ("3100002501870001", "tidak boleh 00"),
        ("3171013202870001", "bukan tanggal yang ada"),
        ("3171012501870000", "Empat angka terakhir NIK tidak boleh 0000"),
        (
            "3171012601870001",
            "NIK tidak sesuai dengan tanggal lahir: angka ke-7 sampai ke-12 NIK adalah 260187",
        ),
    ],
)
def test_every_nik_fault_is_named_beside_the_field(client, ready, nik, says):
    response = submit(client, [("Budi Santoso", nik, BIRTH)])

    assert response.status_code == 400
    page = response.content.decode()
    assert says in page
    assert 'id="p1_nik-error"' in page and 'href="#p1_nik"' in page
    assert not Booking.objects.filter(phone=ready).exists()


def test_a_family_members_nik_already_booked_is_shown_at_their_place(client, ready, book):
    spouse = datetime.date(1990, 6, 21)
    spouse_nik = nik_for(spouse, female=True)
    book(name="Sri Wahyuni", birth_date=spouse, nik=spouse_nik)  # over WhatsApp

    response = submit(
        client, [("Budi Santoso", nik_for(BIRTH), BIRTH), ("Sri Wahyuni", spouse_nik, spouse)]
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="p2_nik-error"' in page and "NIK ini sudah terdaftar" in page


def test_a_wrong_code_says_how_many_tries_are_left_then_needs_a_new_code(client, office, clock):
    phone = new_phone()
    choose(client, office)
    client.post("/pesan/nomor", {"phone": phone})
    right = sent_code(phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    for left in (4, 3, 2, 1):
        page = client.post("/pesan/verifikasi", {"code": wrong}).content.decode()
        assert f"sisa percobaan: {left}" in page
    page = client.post("/pesan/verifikasi", {"code": wrong}).content.decode()
    assert "terlalu sering" in page
    page = client.post("/pesan/verifikasi", {"code": right}).content.decode()
    assert "terlalu sering" in page  # the right code too: five tries were all there was
    assert client.get("/pesan/data")["Location"] == "/pesan/nomor"


def test_a_code_expires_after_ten_minutes(client, office, clock):
    phone = new_phone()
    choose(client, office)
    client.post("/pesan/nomor", {"phone": phone})
    clock.shift(datetime.timedelta(minutes=10, seconds=1))

    page = client.post("/pesan/verifikasi", {"code": sent_code(phone)}).content.decode()
    assert "kedaluwarsa" in page


def test_codes_are_rate_limited_per_number_and_never_sent_twice_a_minute(client, office, clock):
    phone = new_phone()
    choose(client, office)
    assert client.post("/pesan/nomor", {"phone": phone}).status_code == 302
    page = client.post("/pesan/nomor", {"phone": phone}).content.decode()
    assert "Mohon tunggu" in page
    for _ in range(2):
        clock.shift(datetime.timedelta(seconds=61))
        assert client.post("/pesan/nomor", {"phone": phone}).status_code == 302
    clock.shift(datetime.timedelta(seconds=61))
    refused = client.post("/pesan/nomor", {"phone": phone})
    assert refused.status_code == 429 and "Terlalu banyak permintaan" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0


def test_a_bad_number_is_explained(client, office, clock):
    choose(client, office)
    response = client.post("/pesan/nomor", {"phone": "12345"})
    assert response.status_code == 400
    assert "Nomor WhatsApp tidak dikenali. Mohon tulis nomor lengkap" in response.content.decode()


def test_nobody_skips_the_verification(client, office, clock):
    choose(client, office)
    client.post("/pesan/nomor", {"phone": new_phone()})
    assert client.get("/pesan/data")["Location"] == "/pesan/nomor"
    assert client.post("/pesan/data", {"action": "book"})["Location"] == "/pesan/nomor"


def test_a_full_hour_is_refused_without_writing_anything(client, ready, office):
    from antrean.booking.models import SlotLoad

    SlotLoad.objects.create(office=office, day=VISIT, start=datetime.time(9), capacity=3, taken=3)
    response = submit(client, [("Budi Santoso", nik_for(BIRTH), BIRTH)])
    assert response.status_code == 400
    assert not Booking.objects.filter(phone=ready).exists()
    page = response.content.decode()
    assert "penuh" in page


def test_the_hours_show_seats_left_and_refresh_for_htmx(client, ready, office, book):
    book(visit_date=VISIT, hour=datetime.time(9), applicants=2)
    page = client.get("/pesan/jam", {"day": VISIT.isoformat(), "jumlah": "1"}).content.decode()
    assert "sisa 1 kuota" in page and "sisa 3 kuota" in page
    two = client.get("/pesan/jam", {"day": VISIT.isoformat(), "jumlah": "2"}).content.decode()
    assert 'value="09:00" disabled>' in two and 'value="09:00" disabled>' not in page


def test_the_pages_speak_english_after_the_switch(client, office, clock):
    response = client.get("/bahasa/en?next=/pesan/")
    assert response.status_code == 302 and response["Location"] == "/pesan/"
    page = client.get("/pesan/").content.decode()
    assert 'lang="en"' in page and "Book a passport appointment" in page
    assert client.get("/bahasa/en?next=https://evil.example/")["Location"] == "/"


def test_the_proof_is_only_for_the_browser_that_booked(client, ready, office):
    from django.test import Client

    response = submit(client, [("Budi Santoso", nik_for(BIRTH), BIRTH)])
    code = response["Location"].rsplit("/", 1)[1]
    stranger = Client()
    for path in (f"/bukti/{code}", f"/bukti/{code}/pdf", "/bukti/ABCD2345"):
        # Asked for the NIK, whether the code exists or not: nothing learnt, nothing shown.
        response = stranger.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/kelola/?kode=")
    page = stranger.get(f"/kelola/?kode={code}").content.decode()
    assert f'value="{code}"' in page and "masukkan NIK salah satu pemohonnya" in page
    assert "Budi Santoso" not in page
    pdf = client.get(f"/bukti/{code}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")


def test_outside_registration_hours_the_form_says_so_before_anything_is_typed(
    client, make_office, clock
):
    office = make_office(
        registration_opens_at=datetime.time(7, 30), registration_closes_at=datetime.time(10)
    )
    choose(client, office)
    verify_phone(client, new_phone())  # 06.00 WIB: the code can be had, a booking not yet

    page = client.get("/pesan/data")
    assert page.status_code == 200
    assert "07.30" in page.content.decode() and 'role="alert"' in page.content.decode()
    refused = submit(client, [("Budi Santoso", nik_for(BIRTH), BIRTH)])
    assert refused.status_code == 400 and not Booking.objects.exists()


def test_a_web_booking_is_seen_and_cancelled_over_whatsapp(client, ready, office, clock):
    from antrean.conversation.tests.transcripts import Conversation, Player, Say
    from antrean.whatsapp.models import Contact

    submit(client, [("Budi Santoso", nik_for(BIRTH), BIRTH)])
    contact = Contact.objects.get(wa_id=ready, number__office=office)  # the chat we told

    Player(contact, clock).play(
        Conversation(
            "web booking on WhatsApp",
            [
                Say("cek status"),
                "terkonfirmasi",
                "Nomor antrean: A-001",
                Say("#batal"),
                "sudah dibatalkan",
            ],
        )
    )
    assert Booking.objects.get(phone=ready).status == Status.CANCELLED
