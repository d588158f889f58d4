"""The pure dialog: what each kind of message gets, before and after its effect."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from antrean.booking import errors
from antrean.conversation import dialog
from antrean.conversation.dialog import (
    Book,
    BookingView,
    Cancel,
    Confirm,
    Incoming,
    OfficeInfo,
    after,
    handle,
)
from antrean.whatsapp.messages import Buttons, QrImage, Text

WIB = ZoneInfo("Asia/Jakarta")
NOW = datetime(2027, 8, 9, 6, 0, tzinfo=WIB)
OFFICE = OfficeInfo(
    name="Kantor Imigrasi Kelas I Non TPI Jakarta Pusat",
    zone="Asia/Jakarta",
    address="Jl. Merpati Blok B-12 No. 3, Kemayoran",
    example_day=date(2027, 8, 10),
)
BATAM = OfficeInfo(
    name="Kantor Imigrasi Kelas I Khusus TPI Batam",
    zone="Asia/Jakarta",
    batam=True,
    example_day=date(2027, 8, 10),
    registration=(time(7, 30), time(10)),
)


def say(text, office=OFFICE, state=None, lang="id", now=NOW):
    return handle(state or {}, Incoming("text", text=text), now=now, office=office, lang=lang)


def only_text(step):
    assert step.effect is None
    (reply,) = step.replies
    assert isinstance(reply, Text)
    return reply.body


def test_a_law_message_books():
    step = say("#Budi Santoso#25011987#10082027")
    assert step.effect == Book("Budi Santoso", date(1987, 1, 25), date(2027, 8, 10))
    assert step.replies == []


@pytest.mark.parametrize("typed", ["#batal", "Batal", " #BATAL ", "cancel"])
def test_cancel_words(typed):
    assert say(typed).effect == Cancel(None)


def test_sending_the_code_back_confirms():
    assert say("abcd 2345").effect == Confirm("ABCD2345")


def test_buttons_carry_their_code():
    tap = Incoming("button_reply", text="Konfirmasi", reply_id="confirm:ABCD2345")
    assert handle({}, tap, now=NOW, office=OFFICE, lang="id").effect == Confirm("ABCD2345")
    tap = Incoming("button_reply", text="Batal", reply_id="cancel:ABCD2345")
    assert handle({}, tap, now=NOW, office=OFFICE, lang="id").effect == Cancel("ABCD2345")


def test_anything_else_gets_the_welcome_with_a_real_example():
    body = only_text(say("halo, mau bikin paspor"))
    assert "#NAMA#TGLLAHIR#TGLKEDATANGAN" in body
    assert "#Budi#25011987#10082027" in body
    assert "Selasa, 10 Agustus 2027" in body
    assert OFFICE.name in body


def test_english_welcome():
    assert "To book, send one message" in only_text(say("hello", lang="en"))


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("#Budi#25011987", "kami menerima 2 bagian, padahal perlu 3 bagian"),
        ("#Budi#25011987#31022027", "Tanggal kedatangan 31 Februari 2027 tidak ada di kalender"),
        ("#Budi#31021987#10082027", "Tanggal lahir 31 Februari 1987 tidak ada di kalender"),
        ("#Budi#25011987#besok", 'Tanggal kedatangan "besok" tidak dapat kami baca'),
    ],
)
def test_format_mistakes_are_named_with_an_example(typed, expected):
    body = only_text(say(typed))
    assert expected in body
    assert "10082027" in body


@pytest.mark.parametrize("kind", ["audio", "voice", "video", "sticker", "contacts", "unsupported"])
def test_kinds_we_cannot_read_get_a_polite_list_of_those_we_can(kind):
    step = handle({}, Incoming(kind), now=NOW, office=OFFICE, lang="id")
    body = only_text(step)
    assert body.startswith("Mohon maaf, kami belum dapat membaca")
    assert "pesan teks, tombol" in body


def test_a_location_gets_the_office_address():
    step = handle({}, Incoming("location"), now=NOW, office=OFFICE, lang="id")
    assert "Jl. Merpati" in only_text(step)


def test_a_photo_at_a_standard_office_is_not_needed():
    step = handle({}, Incoming("image", media_ref="5"), now=NOW, office=OFFICE, lang="id")
    assert "tidak perlu mengirim foto" in only_text(step)


def test_a_photo_we_could_not_fetch_asks_again():
    step = handle({}, Incoming("image", media_failed=True), now=NOW, office=BATAM, lang="id")
    assert "kirim ulang" in only_text(step)


class TestBatam:
    def test_text_then_photo(self):
        step = say("#Siti#01021990#Jl. Engku Putri No. 3", office=BATAM)
        assert "foto e-KTP" in only_text(step)
        photo = Incoming("image", media_ref="42")
        booked = handle(step.state, photo, now=NOW + timedelta(minutes=5), office=BATAM, lang="id")
        assert booked.effect == Book("Siti", date(1990, 2, 1), None, "Jl. Engku Putri No. 3", "42")
        assert "batam_request" not in booked.state

    def test_photo_then_text(self):
        step = handle({}, Incoming("image", media_ref="42"), now=NOW, office=BATAM, lang="id")
        assert "#NAMA#TGLLAHIR#ALAMAT" in only_text(step)
        booked = say(
            "#Siti#01021990#Jl. Engku Putri No. 3",
            office=BATAM,
            state=step.state,
            now=NOW + timedelta(minutes=10),
        )
        assert booked.effect.document_ref == "42"

    def test_pieces_too_far_apart_start_over(self):
        step = say("#Siti#01021990#Jl. Engku Putri No. 3", office=BATAM)
        late = handle(
            step.state,
            Incoming("image", media_ref="42"),
            now=NOW + timedelta(minutes=31),
            office=BATAM,
            lang="id",
        )
        assert late.effect is None and "ktp" in late.state

    def test_the_welcome_names_the_batam_format_and_hours(self):
        body = only_text(say("halo", office=BATAM))
        assert "#NAMA#TGLLAHIR#ALAMAT" in body and "07.30–10.00 WIB" in body


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


def test_booked_sends_the_qr_then_the_details_with_buttons():
    qr, details = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 10)), VIEW, office=OFFICE, lang="id"
    )
    assert isinstance(qr, QrImage) and qr.code == "ABCD2345"
    assert isinstance(details, Buttons)
    assert [b.id for b in details.buttons] == ["confirm:ABCD2345", "cancel:ABCD2345"]
    assert [b.title for b in details.buttons] == ["Konfirmasi", "Batal"]
    for fact in [
        "*ABCD2345*",
        "Budi Santoso",
        "25 Januari 1987",
        "Selasa, 10 Agustus 2027",
        "08.00 WIB",
        "Senin, 9 Agustus 2027 pukul 07.00 WIB",
    ]:
        assert fact in details.body


def test_a_moved_booking_says_the_asked_day_was_full():
    view = dialog.BookingView(**{**VIEW.__dict__, "moved_from": date(2027, 8, 9)})
    _, details = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 9)), view, office=OFFICE, lang="id"
    )
    assert details.body.startswith("Kuota Senin, 9 Agustus 2027 sudah penuh")


def test_confirmed_gives_the_number_hour_rule_and_documents():
    view = dialog.BookingView(**{**VIEW.__dict__, "status": "confirmed", "queue_number": "A-017"})
    (reply,) = after(Confirm("ABCD2345"), view, office=OFFICE, lang="id")
    for fact in [
        "*A-017*",
        "Selasa, 10 Agustus 2027 pukul 08.00 WIB",
        "07.30 WIB",
        "kode booking hangus",
        "e-KTP",
        "Kartu Keluarga",
        "Jl. Merpati",
    ]:
        assert fact in reply.body


def test_a_child_brings_the_child_documents_and_renewals_the_old_passport():
    view = dialog.BookingView(
        **{**VIEW.__dict__, "child": True, "old_passport": True, "queue_number": "B-001"}
    )
    (reply,) = after(Confirm("ABCD2345"), view, office=OFFICE, lang="id")
    assert "Kedua orang tua wajib hadir" in reply.body
    assert "Paspor lama" in reply.body


def test_refusals_are_explained_and_say_what_to_do():
    (reply,) = after(
        Book("Budi", date(1987, 1, 25), date(2027, 8, 17)),
        errors.AlreadyBooked(
            code="ZXCV2345",
            office=OFFICE.name,
            visit_date=date(2027, 8, 10),
            slot_start=time(8),
            status="pending",
        ),
        office=OFFICE,
        lang="id",
    )
    assert "ZXCV2345" in reply.body and "kirim #batal" in reply.body


def test_cancel_without_a_booking():
    (reply,) = after(Cancel(None), errors.BookingNotFound(), office=OFFICE, lang="id")
    assert reply.body.startswith("Tidak ada pemesanan aktif")


def test_an_unknown_code_also_shows_how_to_book():
    (reply,) = after(Confirm("ABCD2345"), errors.BookingNotFound(), office=OFFICE, lang="id")
    assert "Kode booking tidak ditemukan" in reply.body and "#NAMA#TGLLAHIR" in reply.body


def test_the_dialog_imports_no_django():
    import subprocess
    import sys

    code = (
        "import sys, antrean.conversation.dialog, antrean.conversation.law; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_greeting_of_eight_code_letters_is_not_a_code():
    assert say("apa kabar").effect is None
    assert say("APAKABAR").effect == Confirm("APAKABAR")  # one word: maybe a code


def test_a_batam_address_that_cannot_fit_a_reply_is_refused_precisely():
    body = only_text(say("#Siti#01021990#" + "Jl. Panjang " * 30, office=BATAM))
    assert body.startswith("Alamat terlalu panjang (lebih dari 200 huruf)")
