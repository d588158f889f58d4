"""A person books through the simulator in headless Chromium, against `antrean run`
(web server and worker as real processes, the production code path in between).

Screenshots are saved in test-artifacts/ (git-ignored) for people to look at.
"""

import pytest

from antrean.ops.tests.chromium import ARTIFACTS, launch, require_chromium
from antrean.ops.tests.processes import (
    JAKARTA_PUSAT,
    a_bookable_day,
    environment,
    free_port,
    prepare,
    start,
    stop,
    wait_for,
)
from antrean.ops.tests.processes import bookings as bookings_json

pytestmark = pytest.mark.slow

require_chromium()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = environment(folder / "data", PORT=str(port))
    env.pop("WHATSAPP_ACCESS_TOKEN", None)  # the simulator plays the Graph API
    prepare(env)
    running = start(["run"], env, folder / "run.log")
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield {"url": f"http://127.0.0.1:{port}", "env": env}
    finally:
        stop(running)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def bookings(demo, phone: str) -> list[dict]:
    return bookings_json(demo["env"], phone)


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"simulator-{name}.png"), full_page=True)


def test_book_confirm_and_cancel_through_the_simulator(demo, browser):
    phone = "6281234570001"
    day = a_bookable_day()
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(demo["url"] + "/simulator/")
    page.select_option("[data-testid=number]", JAKARTA_PUSAT)
    page.fill("[data-testid=wa-id]", phone)
    page.dispatch_event("[data-testid=wa-id]", "change")

    # A date that does not exist is explained, with a correct example.
    page.fill("[data-testid=text]", "#Budi Santoso#25011987#31022027")
    page.click("[data-testid=send]")
    page.get_by_text("31 Februari 2027 tidak ada di kalender").wait_for(timeout=30_000)

    # The booking message: the QR code, the details and the two buttons come back.
    page.fill("[data-testid=text]", f"#Budi Santoso#25011987#{day:%d%m%Y}")
    page.click("[data-testid=send]")
    confirm = page.locator("[data-testid=button]", has_text="Konfirmasi")
    confirm.wait_for(timeout=30_000)
    (booking,) = bookings(demo, phone)
    assert booking["status"] == "pending"
    qr = page.locator(".bubble.out img").first
    qr.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=qr.element_handle())
    assert page.locator("strong", has_text=booking["code"]).count() == 1  # *bold*, as WhatsApp
    shot(page, "booked")

    # Tapping Konfirmasi gives the queue number, the hour and what to bring.
    confirm.click()
    page.locator("strong", has_text="A-001").wait_for(timeout=30_000)
    assert page.get_by_text("Kartu Keluarga", exact=False).count() >= 1
    (booking,) = bookings(demo, phone)
    assert (booking["status"], booking["queue_number"]) == ("confirmed", "A-001")
    shot(page, "confirmed")

    # And #batal frees the place.
    page.fill("[data-testid=text]", "#batal")
    page.click("[data-testid=send]")
    page.get_by_text("sudah dibatalkan").wait_for(timeout=30_000)
    assert bookings(demo, phone)[0]["status"] == "cancelled"
    shot(page, "cancelled")


def test_the_home_page_leads_to_the_simulator(demo, browser):
    page = browser.new_page()
    page.goto(demo["url"] + "/")
    page.get_by_text("Coba di simulator WhatsApp").click()
    page.wait_for_url("**/simulator/")
    assert page.locator("[data-testid=number] option").count() >= 16
    shot(page, "home-to-simulator")


def test_the_menu_list_opens_and_a_chosen_row_is_answered(demo, browser):
    page = browser.new_page()
    page.goto(demo["url"] + "/simulator/")
    page.select_option("[data-testid=number]", JAKARTA_PUSAT)
    page.fill("[data-testid=wa-id]", "6281234570002")
    page.dispatch_event("[data-testid=wa-id]", "change")
    page.fill("[data-testid=text]", "halo")
    page.click("[data-testid=send]")
    page.locator("[data-testid=list-open]").click(timeout=30_000)
    page.locator("[data-testid=list-row]", has_text="Persyaratan").click()
    page.locator("[data-testid=message-in]", has_text="Persyaratan").wait_for(timeout=10_000)
    page.locator("[data-testid=button]", has_text="Dewasa").click(timeout=30_000)
    page.get_by_text("Persyaratan paspor dewasa").wait_for(timeout=30_000)
    shot(page, "menu")


def test_a_new_user_books_reschedules_and_complains_from_the_menu_alone(demo, browser):
    phone = "6281234570003"
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    page.goto(demo["url"] + "/simulator/")
    page.select_option("[data-testid=number]", JAKARTA_PUSAT)
    page.fill("[data-testid=wa-id]", phone)
    page.dispatch_event("[data-testid=wa-id]", "change")

    def write(text):
        page.fill("[data-testid=text]", text)
        page.click("[data-testid=send]")

    lists_used = [0]

    def choose(row=None, index=0):
        """Wait for a list newer than the last one used, open it, pick a row."""
        page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=list-open]').length > n",
            arg=lists_used[0],
            timeout=30_000,
        )
        lists_used[0] = page.locator("[data-testid=list-open]").count()
        newest = (
            page.locator("[data-testid=message-out]")
            .filter(has=page.locator("[data-testid=list-open]"))
            .last
        )
        newest.locator("[data-testid=list-open]").click()
        rows = newest.locator("[data-testid=list-row]")
        (rows.filter(has_text=row) if row else rows.nth(index)).first.click()

    def tap(title):
        page.locator("[data-testid=button]", has_text=title).last.click(timeout=30_000)

    def heard(text):
        page.get_by_text(text).last.wait_for(timeout=30_000)

    write("halo")
    choose("Pesan antrean")
    choose("Paspor baru")
    # The second day with places: before 07.30 the first one is today, and a booking for
    # today can no longer be rescheduled (the test runs on the real clock).
    choose(index=1)
    choose(index=0)  # its first hour with places
    heard("Langkah 4 dari 5")
    write("Budi Santoso")
    heard("Langkah 5 dari 5")
    write("25 Januari 1987")
    tap("Pesan")
    heard("Pemesanan terkonfirmasi")
    shot(page, "guided-booked")

    write("menu")
    choose("Ubah/batal pemesanan")
    tap("Ubah jadwal")
    choose(index=-1)  # another day: the last one offered, never the booked one
    choose(index=0)
    heard("Jadwal berhasil diubah")

    write("menu")
    choose("Saran & pengaduan")
    tap("Pengaduan")
    write("Ruang tunggu penuh, mohon tambah kursi.")
    heard("nomor tiket")
    shot(page, "complaint")

    (booking,) = bookings(demo, phone)
    assert (booking["status"], booking["reschedules"]) == ("confirmed", 1)
