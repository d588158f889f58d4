"""The public booking pages in headless Chromium, on a cheap phone's screen (390 x 844).

A visitor books alone and as a family, meets every NIK error beside the field, finds the
booking again by code and NIK, moves and cancels it, and keeps the proof (page, print and
PDF). The server is pytest-django's live server, in this process, so the clock is the
test's: Sunday 8 August 2027, 10.00 WIB, at the demo office of Jakarta Pusat, which takes
web bookings at any hour. What the applicant's WhatsApp received (the one-time code) is
read from the outbox, as `helpers.sent_code` does.

Screenshots are saved in test-artifacts/ (git-ignored) as web-*.png.
"""

import datetime
import re

import pytest
from pypdf import PdfReader

from antrean.booking.lifecycle import Status
from antrean.booking.models import Booking
from antrean.offices.demo import seed_demo_offices
from antrean.ops.tests.chromium import ARTIFACTS, require_chromium
from antrean.web.tests.helpers import sent_code

from conftest import WIB, new_phone, nik_for

# serialized_rollback, as the other live-server tests: a plain flush would drop the
# reference data (service types) for the tests after these.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
require_chromium()

SUNDAY = datetime.datetime(2027, 8, 8, 10, 0, tzinfo=WIB)
MONDAY = datetime.date(2027, 8, 9)
TUESDAY = datetime.date(2027, 8, 10)
THURSDAY = datetime.date(2027, 8, 12)
OFFICE = "jakarta-pusat"
OFFICE_NAME = "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat"
PHONE_SCREEN = {"width": 390, "height": 844}

BUDI = ("Budi Santoso", datetime.date(1987, 1, 25))
SRI = ("Sri Wahyuni", datetime.date(1990, 6, 21))  # a woman: her NIK's day is +40
DEWI = ("Dewi Santoso", datetime.date(2016, 5, 9))  # eleven on the day of the visit


@pytest.fixture
def site(live_server, settings, time_machine):
    time_machine.move_to(SUNDAY, tick=True)
    settings.WHATSAPP_SIMULATOR = True
    settings.WHATSAPP_ACCESS_TOKEN = ""
    seed_demo_offices()
    return live_server.url


@pytest.fixture
def page(site, chromium):
    """A fresh phone: its own cookies (session, language), a small screen."""
    context = chromium.new_context(
        viewport=PHONE_SCREEN, base_url=site, accept_downloads=True, locale="id-ID"
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def verify_number(page, phone: str) -> None:
    """From the number step to the applicants: the code comes from the applicant's chat."""
    page.fill("#phone", "0" + phone.removeprefix("62"))  # as a person types it
    page.get_by_role("button", name="Kirim kode lewat WhatsApp").click()
    page.wait_for_url("**/pesan/verifikasi")
    page.fill("#code", sent_code(phone))
    page.get_by_role("button", name="Verifikasi", exact=True).click()
    page.wait_for_url("**/pesan/data")


def start_booking(page, phone: str, count: int = 1) -> None:
    """Jakarta Pusat (the link from the office list preselects it), a new passport."""
    page.goto(f"/pesan/?kantor={OFFICE}")
    page.check("input[name=service][value=baru]")
    page.get_by_role("button", name="Lanjut").click()
    page.wait_for_url("**/pesan/nomor")
    verify_number(page, phone)
    if count > 1:
        page.select_option("#jumlah", str(count))
        page.get_by_role("button", name="Terapkan").click()
        page.locator(f"#p{count}_name").wait_for()


def fill_person(page, place: int, name: str, nik: str, birth: datetime.date) -> None:
    page.fill(f"#p{place}_name", name)
    page.fill(f"#p{place}_nik", nik)
    page.fill(f"#p{place}_birth_date", birth.isoformat())


def choose_day_and_hour(page, day: datetime.date, hour: str) -> None:
    """Choosing a day swaps in that day's hours (htmx), without leaving the page."""
    with page.expect_response(re.compile(rf"/pesan/jam\?.*day={day.isoformat()}")):
        page.select_option("#day-select", day.isoformat())
    page.check(f"#hour input[value='{hour}']")


def submit(page) -> None:
    page.locator("button[name=action][value=book]").click()


def proof_code(page) -> str:
    page.wait_for_url(re.compile(r"/bukti/[A-Z0-9]{8}$"))
    return page.url.rsplit("/", 1)[1]


# --- 1. One applicant, end to end ----------------------------------------------------------
def test_a_single_booking_from_the_office_list_to_the_proof(page):
    phone = new_phone()
    page.goto("/pesan/")
    assert page.locator("input[name=office]").count() > 10
    shot(page, "1-where")

    # The language switch: the same page in English, and back to Indonesian.
    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="Book a passport appointment").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.url.endswith("/pesan/")
    shot(page, "1-where-english")
    page.get_by_role("link", name="Bahasa Indonesia").click()
    page.get_by_role("heading", name="Pesan antrean paspor").wait_for()
    assert page.locator("html").get_attribute("lang") == "id"

    # The keyboard alone: the search box leaves one office, Tab reaches it and Space
    # chooses it; Tab to the services, Space on the first (Paspor baru), Tab to "Lanjut".
    page.focus("#office-search")
    page.keyboard.type("jakarta pusat")
    shown = page.locator("label[data-item]:visible")
    assert shown.all_inner_texts() == [f"{OFFICE_NAME}\nJakarta Pusat · WIB"]
    assert page.locator("fieldset[data-group]:visible legend").all_inner_texts() == ["DKI Jakarta"]
    shot(page, "1-where-search")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == OFFICE
    page.keyboard.press("Space")
    assert page.locator("input[name=office]:checked").get_attribute("value") == OFFICE
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "service"
    page.keyboard.press("Space")
    assert page.locator("input[name=service]:checked").get_attribute("value") == "baru"
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.innerText]")
    assert focused == ["BUTTON", "Lanjut"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/pesan/nomor")
    assert OFFICE_NAME in page.locator("main").inner_text()
    shot(page, "1-phone")

    page.fill("#phone", "0" + phone.removeprefix("62"))
    page.get_by_role("button", name="Kirim kode lewat WhatsApp").click()
    page.wait_for_url("**/pesan/verifikasi")
    shot(page, "1-verify")
    page.focus("#code")
    page.keyboard.type(sent_code(phone))
    page.keyboard.press("Enter")  # the form submits from its only field
    page.wait_for_url("**/pesan/data")
    assert f"WhatsApp +{phone}" in page.locator(".summary").inner_text()

    name, birth = BUDI
    nik = nik_for(birth)
    fill_person(page, 1, name, nik, birth)
    choose_day_and_hour(page, TUESDAY, "10:00")
    shot(page, "1-details")
    submit(page)
    code = proof_code(page)

    booking = Booking.objects.get(phone=phone)
    assert booking.code == code
    assert (booking.status, booking.channel, booking.applicants) == (Status.CONFIRMED, "web", 1)
    assert booking.visit_date == TUESDAY and booking.name == name
    assert booking.slot_at.astimezone(WIB).time() == datetime.time(10, 0)
    assert re.fullmatch(r"A-\d{3}", booking.queue_number)
    main = page.locator("main")
    main.get_by_text("Pemesanan berhasil").wait_for()
    text = main.inner_text()
    assert code in text and booking.queue_number in text
    assert "Selasa, 10 Agustus 2027 pukul 10.00 WIB" in text
    assert "3171 01•• •••• " + nik[12:] in text and nik[6:12] not in text  # masked
    assert page.locator(".steps [aria-current=step]").inner_text() == "Bukti pemesanan"
    shot(page, "1-proof")


# --- 2. A family of three ------------------------------------------------------------------
def test_a_family_of_three_gets_one_booking_and_the_childs_requirements(page):
    phone = new_phone()
    start_booking(page, phone, count=3)
    assert page.locator("fieldset.person legend").all_inner_texts() == [
        "Pemohon 1",
        "Pemohon 2",
        "Pemohon 3",
    ]
    people = [(*BUDI, nik_for(BUDI[1])), (*SRI, nik_for(SRI[1], female=True))]
    people.append((*DEWI, nik_for(DEWI[1], female=True)))
    for place, (name, birth, nik) in enumerate(people, start=1):
        fill_person(page, place, name, nik, birth)
    assert people[1][2][6:8] == "61"  # 21 June, a woman: 21 + 40
    page.check("#hour input[value='09:00']")  # the first day with room: Monday
    shot(page, "2-family-details")
    submit(page)
    code = proof_code(page)

    booking = Booking.objects.get(phone=phone)
    assert booking.code == code and booking.status == Status.CONFIRMED
    assert booking.applicants == 3 and booking.visit_date == MONDAY
    applicants = booking.people.order_by("position")
    assert [(a.position, a.name, a.birth_date) for a in applicants] == [
        (place, name, birth) for place, (name, birth, _) in enumerate(people, start=1)
    ]

    persons = page.locator("section.person-proof")
    assert persons.count() == 3
    headings = persons.locator("h3").all_inner_texts()
    assert headings == [f"Pemohon {n}: {name}" for n, (name, _, _) in enumerate(people, start=1)]
    child = persons.nth(2)
    assert "anak (di bawah 17 tahun)" in child.inner_text()
    assert child.locator("li", has_text="Kedua orang tua wajib hadir").is_visible()
    assert child.locator("li", has_text="Akta kelahiran anak").count() == 1
    for adult in (persons.nth(0), persons.nth(1)):
        assert "dewasa" in adult.inner_text()
        assert "Kedua orang tua" not in adult.inner_text()
    assert page.locator("li", has_text="Kedua orang tua wajib hadir").count() == 1
    assert booking.queue_number in page.locator("main").inner_text()
    shot(page, "2-family-proof")


# --- 3. Every NIK error, beside the field ---------------------------------------------------
NIK_ERRORS = [
    ("empty", "", "Mohon isi NIK"),
    ("length", "31710125018700", "NIK harus 16 angka, sedangkan yang Bapak/Ibu kirim 14 angka"),
    ("letters", "3171O12501870001", "NIK hanya berisi angka"),
    ("province", "9971012501870001", "Dua angka pertama NIK (99) bukan kode provinsi"),
    ("region", "3100002501870001", "tidak boleh 00"),
    ("date", "3171013202870001", "bukan tanggal yang ada"),
    ("serial", "3171012501870000", "Empat angka terakhir NIK tidak boleh 0000"),
    ("birth", "3171012601870001", "NIK tidak sesuai dengan tanggal lahir"),
]


def test_every_nik_error_is_shown_beside_the_field_and_linked_from_the_summary(page):
    phone = new_phone()
    start_booking(page, phone)
    name, birth = BUDI
    fill_person(page, 1, name, "", birth)
    page.check("#hour input[value='09:00']")
    nik = page.locator("#p1_nik")
    beside = page.locator("#p1_nik-error")
    summary = page.locator("#problems")

    for case, typed, says in NIK_ERRORS:
        nik.fill(typed)
        submit(page)
        summary.wait_for()
        assert page.url.endswith("/pesan/data")
        assert beside.is_visible(), case
        assert says in beside.inner_text(), (case, beside.inner_text())
        assert nik.get_attribute("aria-invalid") == "true", case
        assert "p1_nik-error" in nik.get_attribute("aria-describedby"), case
        assert nik.input_value() == typed, case  # what was typed is shown again
        link = summary.locator("a[href='#p1_nik']")
        assert says in link.inner_text(), case
        assert summary.locator("a").count() == 1, case  # only the NIK is wrong
        # The other fields kept their values and are not marked.
        assert page.locator("#p1_name").input_value() == name
        assert page.locator("#p1_birth_date").input_value() == birth.isoformat()
        assert page.locator("#p1_name").get_attribute("aria-invalid") is None
        if case == "empty":
            shot(page, "3-nik-error")
            link.click()  # the summary's link takes the visitor to the field
            assert page.evaluate("location.hash") == "#p1_nik"
        assert not Booking.objects.filter(phone=phone).exists(), case

    # Fixed: the booking goes through, with the hour chosen before kept.
    assert page.locator("#hour input[value='09:00']").is_checked()
    nik.fill(nik_for(birth))
    submit(page)
    code = proof_code(page)
    booking = Booking.objects.get(phone=phone)
    assert booking.code == code and booking.status == Status.CONFIRMED


# --- 4. Find, move and cancel ---------------------------------------------------------------
def test_find_by_code_and_nik_then_move_then_cancel(page, chromium):
    phone = new_phone()
    name, birth = BUDI
    nik = nik_for(birth)
    start_booking(page, phone)
    fill_person(page, 1, name, nik, birth)
    page.check("#hour input[value='09:00']")
    submit(page)
    code = proof_code(page)
    booking = Booking.objects.get(code=code)
    assert booking.visit_date == MONDAY and booking.reschedules == 0

    # Another phone, without this browser's session: code and NIK open the booking.
    other = chromium.new_context(viewport=PHONE_SCREEN, base_url=page.url.split("/bukti")[0])
    try:
        visitor = other.new_page()
        visitor.goto("/kelola/")
        visitor.fill("#code", code)
        visitor.fill("#nik", nik_for(datetime.date(1970, 1, 1)))  # someone else's NIK
        visitor.get_by_role("button", name="Cari pemesanan").click()
        visitor.get_by_role("alert").wait_for()
        assert "tidak cocok dengan pemesanan mana pun" in visitor.get_by_role("alert").inner_text()
        assert visitor.url.endswith("/kelola/")
        assert visitor.locator("#code").input_value() == code
        shot(visitor, "4-lookup-wrong")
        visitor.goto(f"/kelola/{code}")  # no way around the lookup: it asks for the NIK
        assert visitor.url.endswith(f"/kelola/?kode={code}")
        assert visitor.locator("#code").input_value() == code

        visitor.goto("/kelola/")
        visitor.fill("#code", code.lower())  # however it is typed
        visitor.fill("#nik", nik)
        visitor.get_by_role("button", name="Cari pemesanan").click()
        visitor.wait_for_url(f"**/kelola/{code}")
        visitor.get_by_role("heading", name=f"Pemesanan {code}").wait_for()
        assert booking.queue_number in visitor.locator("main").inner_text()
        shot(visitor, "4-manage")

        # Move it to Thursday 13.00.
        visitor.select_option("#day-select", THURSDAY.isoformat())
        visitor.get_by_role("button", name="Tampilkan jam").click()
        visitor.wait_for_url(f"**/kelola/{code}?day={THURSDAY.isoformat()}")
        visitor.check("#hour input[value='13:00']")
        shot(visitor, "4-move")
        visitor.get_by_role("button", name="Pindahkan ke jam ini").click()
        visitor.wait_for_url(f"**/kelola/{code}?done=rescheduled")
        booking.refresh_from_db()
        assert (booking.visit_date, booking.reschedules) == (THURSDAY, 1)
        assert booking.slot_at.astimezone(WIB).time() == datetime.time(13, 0)
        assert booking.status == Status.CONFIRMED
        assert visitor.get_by_role("status").inner_text().startswith("Jadwal telah diubah")
        text = visitor.locator("main").inner_text()
        assert "Kamis, 12 Agustus 2027 pukul 13.00 WIB" in text
        assert booking.queue_number in text
        assert "sudah diubah 1 kali" in text

        # Cancel: not without the tick (our own words say why, not the browser's), then with.
        visitor.get_by_role("button", name="Batalkan", exact=True).click()
        assert "belum dibatalkan" in visitor.get_by_role("alert").inner_text()
        booking.refresh_from_db()
        assert booking.status == Status.CONFIRMED
        visitor.locator("input[name=sure]").check()
        visitor.get_by_role("button", name="Batalkan", exact=True).click()
        visitor.wait_for_url(f"**/kelola/{code}?done=cancelled")
        booking.refresh_from_db()
        assert booking.status == Status.CANCELLED
        assert "Pemesanan telah dibatalkan" in visitor.get_by_role("status").inner_text()
        assert visitor.get_by_role("button", name="Batalkan", exact=True).count() == 0
        assert visitor.locator("#day-select").count() == 0
        shot(visitor, "4-cancelled")
    finally:
        other.close()


# --- 5. The proof: QR code, print and PDF ---------------------------------------------------
def test_the_proof_has_its_qr_code_prints_and_downloads_as_pdf(page, tmp_path):
    phone = new_phone()
    people = [(*BUDI, nik_for(BUDI[1])), (*DEWI, nik_for(DEWI[1], female=True))]
    start_booking(page, phone, count=2)
    for place, (name, birth, nik) in enumerate(people, start=1):
        fill_person(page, place, name, nik, birth)
    page.check("#hour input[value='09:00']")
    submit(page)
    code = proof_code(page)
    booking = Booking.objects.get(code=code)

    # The QR code (it holds only the booking code) is an inline SVG titled with the code.
    qr = page.locator("figure.qr-box svg")
    assert qr.count() == 1 and qr.is_visible()
    assert qr.locator("title").text_content() == code
    assert qr.bounding_box()["width"] >= 120  # large enough for the officer's camera

    # "Cetak" prints the page (window.print, recorded here instead of opening a dialog).
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    page.get_by_role("button", name="Cetak").click()
    assert page.evaluate("window.printed") == 1

    # The printed version: no steps, buttons or messages, only the proof.
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Cetak").is_visible()
    assert not page.locator(".steps").is_visible()
    assert page.locator("section.proof").is_visible() and qr.is_visible()
    shot(page, "5-proof-print")
    page.emulate_media(media="screen")
    shot(page, "5-proof")

    # "Unduh PDF" downloads the same proof.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Unduh PDF").click()
    download = downloading.value
    assert download.suggested_filename == f"bukti-{code}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    words = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert code in words and booking.queue_number in words
    assert "Budi Santoso" in words and "Dewi Santoso" in words
    assert "Kedua orang tua wajib hadir" in words
    assert "Senin, 9 Agustus 2027" in words
    assert people[0][2][6:12] not in words  # a NIK's birth digits are never printed
