"""The whole day in headless Chromium: an applicant books over WhatsApp (a signed webhook),
the officer checks them in by code, a counter calls, the display board shows the number,
the applicant is served, the application is ready for pickup, and the applicant receives
the message in the simulator.

The web server is pytest-django's live server (in this process, so the clock is the
test's); the worker's two jobs (process what came in, deliver what is due) run here
between steps, exactly the functions `antrean worker` runs. Screenshots of the main pages
are saved in test-artifacts/ (git-ignored).
"""

import datetime
import json
import re
import urllib.request

import pytest

from antrean.backoffice.demo import DEMO_OFFICE, seed_demo_staff
from antrean.booking import actions
from antrean.booking.models import Booking
from antrean.booking.rules import Person
from antrean.offices.demo import seed_demo_offices
from antrean.offices.models import Office, ServiceType
from antrean.ops.tests.chromium import ARTIFACTS, require_chromium
from antrean.ops.tests.processes import JAKARTA_PUSAT
from antrean.simulator import cloud
from antrean.whatsapp import inbound, ingest, outbox
from antrean.whatsapp.models import Contact, OutboundMessage
from antrean.whatsapp.signature import sign

from conftest import WIB, nik_for

# serialized_rollback, as the concurrency tests: a plain flush would drop the reference
# data (service types) and renumber the content types for the tests after this one.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
require_chromium()

PHONE = "6281234575555"
FAMILY_PHONE = "6281234576666"
SUNDAY = datetime.datetime(2027, 8, 8, 10, 0, tzinfo=WIB)
MONDAY_EARLY = datetime.datetime(2027, 8, 9, 7, 10, tzinfo=WIB)  # the 08.00 hour's deadline: 07.30
SECRET = "whole-day-app-secret"
TODAY = re.compile(r"^[^?]*/kantor/hari-ini$")


@pytest.fixture
def site(live_server, settings, time_machine):
    time_machine.move_to(SUNDAY, tick=True)
    settings.WHATSAPP_SIMULATOR = True
    settings.WHATSAPP_ACCESS_TOKEN = ""
    settings.WHATSAPP_APP_SECRET = SECRET
    settings.WHATSAPP_API_URL = f"{live_server.url}/simulator/graph/v23.0"
    settings.WHATSAPP_PAIR_BURST = 100  # Meta's per-person pacing would only slow the test
    seed_demo_offices()
    seed_demo_staff()
    return live_server.url


def whatsapp(site: str, **message) -> None:
    """What Meta does when the applicant writes: a signed webhook POST."""
    body = cloud.message_envelope(
        JAKARTA_PUSAT, "+62 811-1000-101", cloud.inbound_message(wa_id=PHONE, **message)
    )
    raw = cloud.dumps(body)
    request = urllib.request.Request(
        f"{site}/webhooks/whatsapp",
        data=raw,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(raw, SECRET)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def work() -> None:
    """The worker's turn: take in the webhook's deliveries, answer what came in, deliver
    what is due."""
    ingest.drain()
    for contact in Contact.objects.all():
        inbound.process_contact(contact.pk)
        outbox.deliver(contact.pk)


def sent() -> list[str]:
    return [
        json.dumps(row.message, ensure_ascii=False)
        for row in OutboundMessage.objects.filter(contact__wa_id=PHONE, state="sent")
    ]


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"backoffice-{name}.png"), full_page=True)


def book_a_family_on_the_web() -> tuple[Booking, list[str]]:
    """A mother and her child booked on the web for Monday 09.00, both with their NIK."""
    mother, child = datetime.date(1990, 3, 14), datetime.date(2018, 6, 2)
    niks = [nik_for(mother, female=True), nik_for(child)]
    booked = actions.book(
        office=Office.objects.get(code=DEMO_OFFICE),
        service=ServiceType.objects.get(code="baru"),
        phone=FAMILY_PHONE,
        name="Sari Wulandari",
        birth_date=mother,
        nik=niks[0],
        family=[Person("Raka Pratama", child, niks[1])],
        visit_date=datetime.date(2027, 8, 9),
        hour=datetime.time(9),
        now=SUNDAY,
        channel="web",
        actor="test",
        confirmed=True,
    )
    return booked.booking, niks


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_the_whole_day(site, chromium, time_machine):
    # Sunday: the applicant books Monday over WhatsApp and confirms with the button.
    whatsapp(site, kind="text", text="#Budi Santoso#25011987#09082027")
    work()
    booking = Booking.objects.get(phone=PHONE)
    whatsapp(site, kind="button_reply", reply_id=f"confirm:{booking.code}", text="Konfirmasi")
    work()
    booking.refresh_from_db()
    assert (booking.status, booking.queue_number) == ("confirmed", "A-001")
    family, niks = book_a_family_on_the_web()

    # Monday morning: the officer signs in and checks the applicant in by code.
    time_machine.move_to(MONDAY_EARLY, tick=True)
    officer = chromium.new_page(viewport={"width": 1100, "height": 900})
    officer.goto(f"{site}/kantor/")
    officer.fill("#id_username", "petugas")
    officer.fill("#id_password", "antrean-demo")
    officer.click("#sign-in")
    officer.wait_for_url(TODAY)
    shot(officer, "today")
    officer.click("nav >> text=Check-in")
    officer.fill("#code", booking.code.lower())
    officer.click("text=Cari")
    officer.locator("#booking", has_text="Budi Santoso").wait_for()
    assert officer.locator("#booking", has_text="25 Januari 1987").count() == 1
    # Booked over WhatsApp: no NIK was recorded, the officer's word is the check.
    assert officer.locator("input[data-nik]").count() == 0
    shot(officer, "check-in")
    officer.click("#confirm-check-in")  # not yet ticked: the browser keeps the form
    assert officer.locator("#identity_checked").evaluate("box => box.validity.valueMissing")
    officer.check("#identity_checked")
    officer.click("#confirm-check-in")
    assert officer.locator("#queue-number").inner_text() == "A-001"
    shot(officer, "queue-ticket")

    # The waiting-room screen is open on its own page.
    board = chromium.new_page(viewport={"width": 1280, "height": 720})
    board.goto(f"{site}/papan/{DEMO_OFFICE}")
    board.get_by_text("Belum ada panggilan hari ini.").wait_for()

    # Counter 1 calls the next applicant: the board shows it within two seconds.
    officer.click("nav >> text=Loket")
    officer.click("text=Loket 1")
    officer.click("#call-next")
    officer.locator("#current-number", has_text="A-001").wait_for()
    shot(officer, "counter")
    board.locator("#board-number", has_text="A-001").wait_for(timeout=2_500)
    assert board.locator("#board-counter").inner_text() == "Loket 1"
    shot(board, "board")
    work()
    assert any("silakan menuju *loket 1*" in m for m in sent())

    # Served; the application goes on to "ready for pickup".
    officer.click("#served")
    officer.get_by_text("Nomor A-001 selesai dilayani.").wait_for()
    officer.goto(f"{site}/kantor/pemesanan/{booking.code}")
    officer.select_option("#stage", "ready")
    officer.click("text=Simpan dan beri tahu pemohon")
    officer.get_by_text("siap diambil", exact=False).first.wait_for()
    shot(officer, "booking")
    booking.refresh_from_db()
    assert (booking.status, booking.stage) == ("served", "ready")

    # The applicant receives the message on their phone (the simulator).
    work()
    phone = chromium.new_page(viewport={"width": 1100, "height": 900})
    phone.goto(f"{site}/simulator/")
    phone.select_option("[data-testid=number]", JAKARTA_PUSAT)
    phone.fill("[data-testid=wa-id]", PHONE)
    phone.dispatch_event("[data-testid=wa-id]", "change")
    phone.get_by_text("sudah selesai dan dapat diambil", exact=False).wait_for(timeout=10_000)
    shot(phone, "applicant-told")

    # The family booked on the web: each NIK is read from the e-KTP/KK by a handheld
    # scanner, which ends with Enter. Someone else's NIK is refused: bookings are not
    # transferable.
    officer.click("nav >> text=Check-in")
    officer.fill("#code", family.code)
    officer.click("text=Cari")
    officer.locator("#booking", has_text="Raka Pratama").wait_for()
    assert focused(officer) == "nik_1"
    officer.keyboard.type(niks[0])
    officer.keyboard.press("Enter")
    assert focused(officer) == "nik_2"
    officer.keyboard.type(nik_for(datetime.date(2018, 6, 2)))  # a cousin's KK
    officer.keyboard.press("Enter")
    assert focused(officer) == "identity_checked"
    officer.keyboard.press("Space")
    officer.click("#confirm-check-in")
    officer.get_by_text("NIK pemohon 2 tidak cocok dengan pemesanan", exact=False).wait_for()
    assert focused(officer) == "nik_2"
    shot(officer, "check-in-refused")
    officer.fill("#nik_1", niks[0])
    officer.fill("#nik_2", niks[1])
    officer.check("#identity_checked")
    officer.click("#confirm-check-in")
    officer.locator("#queue-number").wait_for()
    family.refresh_from_db()
    assert family.status == "checked_in"

    # The supervisor's pages, for people to look at.
    officer.click("text=Keluar")
    officer.fill("#id_username", "supervisor")
    officer.fill("#id_password", "antrean-demo")
    officer.click("#sign-in")
    officer.wait_for_url(TODAY)
    for name, path in [
        ("statistics", "statistik"),
        ("settings", "pengaturan"),
        ("feedback", "masukan"),
        ("staff", "petugas"),
        ("audit", "audit"),
    ]:
        officer.goto(f"{site}/kantor/{path}")
        shot(officer, name)
    assert officer.locator("td", has_text="checked_in").count() >= 1  # the audit log
    assert officer.locator("td", has_text="identity_mismatch").count() == 1
