"""The pure dialog, without a database: routing, flows, staff wording, answers."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from antrean.booking import errors
from antrean.conversation.dialog import after, handle
from antrean.conversation.model import (
    Book,
    BookingView,
    Cancel,
    Confirm,
    DayOffer,
    Incoming,
    OfficeInfo,
    ServiceOption,
    SetLanguage,
    ShowStatus,
    Situation,
)
from antrean.whatsapp.messages import Buttons, Choices, QrImage, Text

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2027, 8, 9, 6, 0, tzinfo=WIB)
SERVICES = (
    ServiceOption("baru", "Paspor baru", "regular", True),
    ServiceOption("hilang", "Penggantian paspor hilang", "regular", False),
)
OFFICE = OfficeInfo(
    name="Kantor Imigrasi Kelas I Non TPI Jakarta Pusat",
    zone="Asia/Jakarta",
    address="Jl. Merpati Blok B-12 No. 3, Kemayoran",
    example_day=date(2027, 8, 10),
    services=SERVICES,
)
OFFERS = [DayOffer(date(2027, 8, 10), 5, ((time(8), 0), (time(9), 2)))]
VIEW = BookingView(
    code="ABCD2345",
    name="Budi Santoso",
    birth_date=date(1987, 1, 25),
    visit_date=date(2027, 8, 10),
    slot_start=time(8),
    status="pending",
    queue_number=None,
    confirm_by=datetime(2027, 8, 9, 7, 0, tzinfo=WIB),
    arrive_by=datetime(2027, 8, 10, 7, 30, tzinfo=WIB),
    child=False,
    old_passport=False,
)


def situation(office=OFFICE, live=None):
    return Situation(office=office, live=live, offers=lambda quota: OFFERS)


def say(text, state=None, now=NOW, lang="id", **kw):
    return handle(
        state or {}, Incoming("text", text=text), now=now, situation=situation(**kw), lang=lang
    )


def tap(reply_id, state=None, now=NOW, kind="button_reply", **kw):
    return handle(
        state or {},
        Incoming(kind, reply_id=reply_id),
        now=now,
        situation=situation(**kw),
        lang="id",
    )


def test_the_routes():
    assert say("#Budi#25011987#10082027").effect == Book(
        "Budi", date(1987, 1, 25), date(2027, 8, 10)
    )
    assert say("abcd2345").effect == Confirm("ABCD2345")
    assert say("apa kabar").effect is None
    assert say("#batal").effect == Cancel(None)
    assert say("English").effect == SetLanguage("en")
    assert tap("confirm:ABCD2345").effect == Confirm("ABCD2345")
    assert tap("menu:status", kind="list_reply").effect == ShowStatus(None)
    assert isinstance(say("halo").replies[0], Choices)


def test_the_menu_fits_whatsapp_and_names_every_service():
    (menu,) = say("halo").replies
    rows = [row.id for section in menu.sections for row in section.rows]
    assert rows == [
        "menu:status",
        "menu:pay",
        "menu:requirements",
        "menu:pickup",
        "menu:book",
        "menu:change",
        "menu:feedback",
        "menu:language",
    ]


def test_a_guided_booking_shows_only_bookable_services_and_hours_with_room():
    start = tap("menu:book", kind="list_reply")
    (services,) = start.replies
    assert [r.id for s in services.sections for r in s.rows] == ["svc:baru", "svc:lost"]
    days = tap("svc:baru", state=start.state, kind="list_reply")
    hours = tap("day:2027-08-10", state=days.state, kind="list_reply")
    (listing,) = hours.replies
    assert [r.id for s in listing.sections for r in s.rows] == ["hour:09:00"]  # 08.00 is full


def test_flows_end_after_thirty_quiet_minutes():
    start = tap("menu:book", kind="list_reply")
    late = tap("svc:baru", state=start.state, now=NOW + timedelta(minutes=31), kind="list_reply")
    assert "flow" not in late.state
    assert late.replies[0].body.startswith("Sesi sebelumnya sudah berakhir")


def test_staff_wording_replaces_the_catalog_and_survives_their_typos():
    office = OfficeInfo(
        **{
            **OFFICE.__dict__,
            "texts": {
                "sigap.pickup": {"id": "Ambil paspor di loket 7, {office}."},
                "sigap.pay": {"id": "Bayar di {nonsense}."},
            },
        }
    )
    assert tap("menu:pickup", office=office).replies[0].body == (
        "Ambil paspor di loket 7, Kantor Imigrasi Kelas I Non TPI Jakarta Pusat."
    )
    assert "kode billing SIMPONI" in tap("menu:pay", office=office).replies[0].body


def test_booked_sends_the_qr_then_the_details_with_buttons():
    qr, details = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 10)),
        VIEW,
        {},
        now=NOW,
        situation=situation(),
        lang="id",
    ).replies
    assert isinstance(qr, QrImage) and qr.code == "ABCD2345"
    assert isinstance(details, Buttons)
    assert [b.id for b in details.buttons] == ["confirm:ABCD2345", "cancel:ABCD2345"]
    for fact in [
        "*ABCD2345*",
        "25 Januari 1987",
        "Selasa, 10 Agustus 2027",
        "08.00 WIB",
        "Senin, 9 Agustus 2027 pukul 07.00 WIB",
    ]:
        assert fact in details.body


def test_a_guided_booking_is_confirmed_at_once():
    confirmed = BookingView(**{**VIEW.__dict__, "status": "confirmed", "queue_number": "A-004"})
    book = Book("Budi", date(1987, 1, 25), date(2027, 8, 10), confirm=True)
    qr, text = after(book, confirmed, {}, now=NOW, situation=situation(), lang="id").replies
    assert isinstance(qr, QrImage)
    assert "*A-004*" in text.body


def test_a_second_booking_shows_the_first_with_its_choices():
    refusal = errors.AlreadyBooked(
        code="ABCD2345",
        office=OFFICE.name,
        visit_date=date(2027, 8, 10),
        slot_start=time(8),
        status="pending",
    )
    (reply,) = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 11)),
        refusal,
        {},
        now=NOW,
        situation=situation(live=VIEW),
        lang="id",
    ).replies
    assert [b.id for b in reply.buttons] == ["chg:reschedule", "cancel:ABCD2345", "menu:main"]


def test_a_refused_date_comes_with_a_message_to_send():
    refusal = errors.DayClosed(
        day=date(2027, 8, 17),
        closure=None,
        working_days=(1, 2, 3, 4, 5),
        suggestion=date(2027, 8, 18),
    )
    (reply,) = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 17)),
        refusal,
        {},
        now=NOW,
        situation=situation(),
        lang="id",
    ).replies
    assert reply.body.endswith("Contoh yang dapat dikirim: #Budi#25011987#18082027")


@pytest.mark.parametrize("kind", ["audio", "voice", "video", "sticker", "contacts", "unsupported"])
def test_kinds_we_cannot_read(kind):
    (reply,) = handle({}, Incoming(kind), now=NOW, situation=situation(), lang="id").replies
    assert isinstance(reply, Text) and reply.body.startswith("Mohon maaf, kami belum dapat")


def test_the_dialog_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys, antrean.conversation.dialog, antrean.conversation.flows; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_staff_wording_too_long_for_its_place_falls_back_to_the_catalog():
    office = OfficeInfo(
        **{
            **OFFICE.__dict__,
            "texts": {
                "sigap.row.book": {"id": "Pesan antrean paspor baru sekarang"},  # 34 > 24
                "sigap.menu_body": {"id": "Halo dari {office}! " * 60},  # over 800 once filled in
            },
        }
    )
    (menu,) = handle(
        {}, Incoming("text", text="halo"), now=NOW, situation=situation(office=office), lang="id"
    ).replies
    titles = [row.title for section in menu.sections for row in section.rows]
    assert "Pesan antrean" in titles
    assert menu.body.startswith("Selamat datang di layanan WhatsApp")
