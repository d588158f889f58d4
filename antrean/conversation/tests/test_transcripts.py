"""Whole conversations, as people have them, through the real path.

The office: Monday 9 August 2027, 06.00 WIB; open Monday to Friday 08.00-12.00 (four
hours of 3 places, 10 a day); bookable 14 days ahead (until Monday 23 August); Tuesday
17 August is Independence Day. The first day to suggest is Tuesday 10 August.
"""

import datetime
import itertools

import pytest

from antrean.booking import actions
from antrean.booking.models import Booking
from antrean.conversation.tests.transcripts import (
    Conversation,
    Elsewhere,
    Kind,
    Photo,
    Player,
    Row,
    Say,
    Tap,
    Wait,
)
from antrean.feedback.models import Ticket
from antrean.whatsapp.models import Contact

from conftest import NOW

C = Conversation
BOOKED = ["<QR ", "Kode booking: *", "[Konfirmasi]", "[Batal]"]
CONFIRMED = ["Pemesanan terkonfirmasi", "Nomor antrean: *A-001*", "kode booking hangus"]
MENU = ["Silakan pilih layanan dari menu", "[Menu layanan]", "(Cek status:", "(Saran & pengaduan:"]
TUESDAY = "Selasa, 10 Agustus 2027 pukul 08.00 WIB"


def law(birth="25011987", visit="10082027", name="Budi Santoso"):
    return Say(f"#{name}#{birth}#{visit}")


LAW_FORMATS = [
    "#Budi Santoso#25011987#10082027",
    "#BUDI SANTOSO#25011987#10082027",
    "Budi Santoso#25011987#10082027",
    "#Budi Santoso#25011987#10082027#",
    "# Budi Santoso # 25011987 # 10082027 ",
    "#Budi Santoso\n#25011987\n#10082027",
    "#\nBudi Santoso\n25011987\n10082027",
    "#Budi Santoso#25-01-1987#10/08/2027",
    "#Budi Santoso#25.1.1987#10.8.2027",
    "#Budi Santoso#25 01 1987#10 8 2027",
    "#Budi Santoso#250187#100827",
    "#Budi Santoso#25 Januari 1987#10 Agustus 2027",
    "#Budi Santoso#25 jan 87#10 agt 2027",
    "#Budi Santoso#25-Jan-1987#10-Agu-27",
    "#Budi Santoso#25januari1987#10agustus2027",
    "#budi santoso#25 Jan. 1987#10 Agus 2027",
]

# What a review of the first version found.
REVIEW_FINDINGS = [
    C("batal after a quiet half hour stops asking, and keeps the booking",
      [law(), Tap("chg:reschedule"), Wait(31), Say("batal"), "langkah tadi dihentikan"],
      booking="pending"),
    C("stop is never a cancellation", [law(), Say("stop"), *MENU], booking="pending"),
    C("batam: the menu gives Batam's format",
      [Say("halo"), "#NAMA#TGLLAHIR#ALAMAT lalu foto e-KTP", "!TGLKEDATANGAN"], batam=True),
    C("batam: a date where the address goes",
      [Say("#Budi#25011987#10082027"), "Bagian ketiga harus berisi alamat"], batam=True),
    C("batam: nothing to cancel says how Batam books",
      [Say("#batal"), "#NAMA#TGLLAHIR#ALAMAT"], batam=True),
    C("a very long field is quoted briefly",
      [Say("#Budi#" + "x" * 4000 + "#10082027"), "tidak dapat kami baca", "…"]),
    C("typing Pesan on the summary books",
      [Row("menu:book"), Row("svc:baru"), Row("day:2027-08-10"), Row("hour:09:00"),
       Say("Rudi"), Say("01011990"), Say("Pesan"), "Pemesanan terkonfirmasi"],
      booking="confirmed"),
    C("a typed day where a choice is asked is not a code",
      [Row("menu:book"), Row("svc:baru"), Say("selasa 24"), "Ketik MENU", "Langkah 2 dari 5",
       "!tidak ditemukan"]),
    C("a word that looks like a code gets the menu, not 'not found'",
      [Say("sekarang"), *MENU, "!tidak ditemukan"]),
    C("a rescheduled pending booking still asks to be confirmed",
      [law(), Tap("chg:reschedule"), Row("day:2027-08-11"), Row("hour:10:00"),
       "Jadwal berhasil diubah", "belum dikonfirmasi", "[Konfirmasi]"], booking="pending"),
    C("the status of a pending booking offers the confirmation",
      [law(), Row("menu:status"), "belum dikonfirmasi", "[Konfirmasi]",
       Tap("confirm:{code}"), "Nomor antrean: *A-001*"], booking="confirmed"),
    C("a wrong birth date gets a birth date as example",
      [law(birth="31021990"), "misalnya 25011987 untuk 25 Januari 1987", "!10082027 untuk"]),
    C("the hour taken by others at the last moment: the hours again",
      [Row("menu:book"), Row("svc:baru"), Row("day:2027-08-10"), Row("hour:09:00"),
       Say("Rudi"), Say("01011990"), Elsewhere("2027-08-10", "09:00"), Tap("flow:go"),
       "Kuota jam 09.00 WIB", "Langkah 3 dari 5", "!(09.00 WIB", Row("hour:10:00"),
       "Langkah 4 dari 5"]),
    C("the day taken by others at the last moment: the days again",
      [Row("menu:book"), Row("svc:baru"), Row("day:2027-08-10"), Row("hour:09:00"),
       Say("Rudi"), Say("01011990"), Elsewhere("2027-08-10"), Tap("flow:go"),
       "Langkah 2 dari 5", "!(Selasa, 10 Agu"]),
    C("guided in English names the services in English",
      [Tap("lang:en"), Row("menu:book"), "(New passport:", "(Passport renewal:"]),
    C("a ticket number that is not mine", [Say("T-2708-99999"), "tidak ditemukan"]),
    C("a location without an address gets the menu", [Kind("location"), *MENU], batam=True),
    C("Batal. with a full stop at the name step stops",
      [Row("menu:book"), Row("svc:baru"), Row("day:2027-08-10"), Row("hour:09:00"),
       Say("Batal."), "langkah tadi dihentikan"]),
    C("Indonesia at the name step is a name",
      [Row("menu:book"), Row("svc:baru"), Row("day:2027-08-10"), Row("hour:09:00"),
       Say("Indonesia"), "Langkah 5 dari 5"]),
    *[C(f"topic: {text}", [Say(text), expected])
      for text, expected in [
          ("cek biaya", "kode billing SIMPONI"), ("biayanya berapa?", "kode billing SIMPONI"),
          ("cara membayar", "kode billing SIMPONI"), ("syaratnya apa", "untuk siapa"),
          ("cek syarat paspor anak", "untuk siapa"), ("pendaftaran paspor", "Langkah 1 dari 5"),
          ("mau perpanjang paspor", "Langkah 1 dari 5"),
          ("kapan paspor bisa diambil", "Cara mengambil paspor"),
          ("saya mau batal", "Tidak ada pemesanan aktif untuk nomor ini yang dapat diubah"),
          ("kode booking saya hilang", "Tidak ada pemesanan untuk nomor ini"),
          ("website rusak ya", "Silakan pilih layanan dari menu"),
          ("pesan saya belum dibalas", "Silakan pilih layanan dari menu"),
      ]],
]  # fmt: skip

TRANSCRIPTS = [
    # --- The LAW message, however it is typed, then confirming ------------------------------
    *[
        C(
            f"law format {i}",
            [
                Say(text),
                *BOOKED,
                "Selasa, 10 Agustus 2027",
                "25 Januari 1987",
                Tap("confirm:{code}", "Konfirmasi"),
                *CONFIRMED,
            ],
            booking="confirmed",
        )
        for i, text in enumerate(LAW_FORMATS)
    ],
    C(
        "confirm by sending the code back",
        [law(), *BOOKED, Say("{code}"), *CONFIRMED],
        booking="confirmed",
    ),
    C(
        "confirm by typing the code in lower case with spaces",
        [law(), *BOOKED, Say("{code}".lower()), *CONFIRMED],
        booking="confirmed",
    ),
    C(
        "confirming twice answers the same number",
        [law(), Tap("confirm:{code}"), *CONFIRMED, Say("{code}"), "Nomor antrean: *A-001*"],
        booking="confirmed",
    ),
    C(
        "the details are echoed back",
        [
            law(),
            "Nama: Budi Santoso",
            "Tanggal lahir: 25 Januari 1987",
            TUESDAY,
            "paling lambat Senin, 9 Agustus 2027 pukul 07.00 WIB",
        ],
        booking="pending",
    ),
    C(
        "an hour without a reply and the code lapses",
        [law(), *BOOKED, Wait(61), Say("{code}"), "sudah hangus", "mendaftar ulang"],
        booking="expired",
    ),
    C(
        "a lapsed code does not block a new booking",
        [law(), Wait(61), law(visit="11082027"), *BOOKED, "Rabu, 11 Agustus 2027"],
        booking="pending",
    ),
    C("a code that does not exist", [Say("ZZZZ2345"), "Kode booking tidak ditemukan", *MENU]),
    C(
        "another person's code cannot be confirmed from here",
        [Say("HJKL2345"), "Kode booking tidak ditemukan"],
    ),
    C(
        "confirming after cancelling",
        [
            law(),
            Tap("cancel:{code}"),
            "sudah dibatalkan",
            Tap("confirm:{code}"),
            "berstatus dibatalkan, sehingga tidak dapat dikonfirmasi",
        ],
        booking="cancelled",
    ),
    C(
        "a child gets the child documents",
        [
            law(birth="01022015"),
            Tap("confirm:{code}"),
            "e-KTP kedua orang tua",
            "Kedua orang tua wajib hadir",
        ],
        booking="confirmed",
    ),
    C(
        "an adult gets the adult documents",
        [law(), Tap("confirm:{code}"), "• e-KTP\n• Kartu Keluarga", "!Kedua orang tua"],
        booking="confirmed",
    ),
    C(
        "today is still bookable early in the morning",
        [law(visit="09082027"), *BOOKED, "Senin, 9 Agustus 2027 pukul 08.00 WIB"],
        booking="pending",
    ),
    # --- Every bad input gets a precise answer with an example ---------------------------
    C(
        "a missing field",
        [
            Say("#Budi#25011987"),
            "kami menerima 2 bagian, padahal perlu 3",
            "#Budi#25011987#10082027",
        ],
    ),
    C("one field too many", [Say("#Budi#25011987#10082027#Jakarta"), "kami menerima 4 bagian"]),
    C("only a hash and a name", [Say("#Budi"), "kami menerima 1 bagian"]),
    C(
        "31 February as visit date",
        [law(visit="31022027"), "Tanggal kedatangan 31 Februari 2027 tidak ada di kalender"],
    ),
    C(
        "31 February as birth date",
        [law(birth="31021987"), "Tanggal lahir 31 Februari 1987 tidak ada di kalender"],
    ),
    C("month 13", [law(visit="10132027"), "bulan ke-13 tidak ada", "Tulis tanggal dulu"]),
    C(
        "a date copied from our answers, weekday and all",
        [law(visit="Selasa, 10 Agustus 2027"), *BOOKED, "Selasa, 10 Agustus 2027 pukul"],
        booking="pending",
    ),
    C(
        "a weekday that is not the date's",
        [
            law(visit="Rabu, 10 Agustus 2027"),
            'Tanggal kedatangan "Rabu, 10 Agustus 2027": 10 Agustus 2027 jatuh pada hari '
            "Selasa, bukan Rabu",
            "periksa kembali tanggal atau harinya",
        ],
    ),
    C(
        "a visit date that is no date",
        [law(visit="besok"), 'Tanggal kedatangan "besok" tidak dapat kami baca'],
    ),
    C(
        "a birth date that is no date",
        [law(birth="dua lima"), 'Tanggal lahir "dua lima" tidak dapat kami baca'],
    ),
    C("seven digits", [law(visit="1082027"), "tidak dapat kami baca", "10082027"]),
    C(
        "a visit date in the past",
        [
            law(visit="06082027"),
            "sudah lewat",
            "Contoh yang dapat dikirim: #Budi Santoso#25011987#09082027",
        ],
    ),
    C(
        "a holiday",
        [
            law(visit="17082027"),
            "tutup pada Selasa, 17 Agustus 2027",
            "Hari Kemerdekaan Republik Indonesia",
            "Contoh yang dapat dikirim: #Budi Santoso#25011987#18082027",
        ],
    ),
    C(
        "a Saturday",
        [
            law(visit="14082027"),
            "tidak melayani pada hari Sabtu",
            "layanan buka Senin–Jumat",
            "#Budi Santoso#25011987#16082027",
        ],
    ),
    C("a Sunday", [law(visit="22082027"), "tidak melayani pada hari Minggu"]),
    C("a Sunday that is also a holiday", [law(visit="15082027"), "Maulid Nabi Muhammad"]),
    C(
        "beyond the booking period",
        [
            law(visit="30092027"),
            "paling jauh 14 hari ke depan",
            "sampai Senin, 23 Agustus 2027",
            "#Budi Santoso#25011987#23082027",
        ],
    ),
    C("a birth date in the future", [law(birth="01012030"), "belum terjadi"]),
    C("a birth date of today", [law(birth="09082027"), "tidak mungkin hari ini"]),
    C("a birth date too long ago", [law(birth="01011890"), "lebih dari 120 tahun"]),
    C("a name with digits", [law(name="Budi 123"), "Nama hanya boleh berisi huruf"]),
    C("an empty name", [Say("# #25011987#10082027"), "Nama belum diisi"]),
    C("a name too long", [law(name="Budi " * 25), "Nama terlalu panjang"]),
    C(
        "English errors",
        [
            Say("english"),
            "in English",
            law(visit="17082027"),
            "closed on Tuesday, 17 August 2027",
            "Independence Day",
        ],
    ),
    # --- One live booking per number; full days ------------------------------------------
    C(
        "a second booking is refused, showing the first and what to do",
        [
            law(),
            *BOOKED,
            law(visit="11082027"),
            "Nomor ini sudah memiliki pemesanan aktif",
            "[Ubah jadwal]",
            "[Batalkan]",
            "Selasa, 10 Agustus 2027",
        ],
        booking="pending",
    ),
    C(
        "a full day moves to the next open day and says so",
        [
            law(),
            "Kuota Selasa, 10 Agustus 2027 sudah penuh",
            "Rabu, 11 Agustus 2027",
            "ketuk *Daftar tunggu*",
            "[Daftar tunggu]",
        ],
        booking="pending",
    ),
    C(
        "a full day: waiting for it instead of the later day",
        [
            law(),
            Tap("wait:{code}", "Daftar tunggu"),
            "daftar tunggu Selasa, 10 Agustus 2027",
            "urutan ke-1",
            "30 menit untuk konfirmasi",
            "[Batal]",
            Say("cek status"),
            "urutan ke-1",
        ],
        booking="waitlisted",
    ),
    C(
        "a full day: leaving the waitlist with #batal",
        [
            law(),
            Tap("wait:{code}", "Daftar tunggu"),
            "urutan ke-1",
            Say("#batal"),
            "sudah dibatalkan",
        ],
        booking="cancelled",
    ),
    # --- Cancelling ----------------------------------------------------------------------
    C(
        "#batal cancels",
        [law(), Say("#batal"), "Pemesanan", "sudah dibatalkan"],
        booking="cancelled",
    ),
    C("batal cancels", [law(), Say("batal"), "sudah dibatalkan"], booking="cancelled"),
    C(
        "the Batal button cancels",
        [law(), Tap("cancel:{code}", "Batal"), "sudah dibatalkan"],
        booking="cancelled",
    ),
    C(
        "cancelling a confirmed booking",
        [law(), Tap("confirm:{code}"), Say("#batal"), "sudah dibatalkan"],
        booking="cancelled",
    ),
    C("cancelling with nothing booked", [Say("#batal"), "Tidak ada pemesanan aktif", *MENU]),
    C(
        "cancelling twice",
        [law(), Say("#batal"), "sudah dibatalkan", Say("#batal"), "Tidak ada pemesanan aktif"],
        booking="cancelled",
    ),
    C(
        "cancel then book again",
        [law(), Say("#batal"), law(visit="11082027"), *BOOKED],
        booking="pending",
    ),
    # --- The SIGAP menu --------------------------------------------------------------------
    *[
        C(f"a greeting gets the menu: {text}", [Say(text), *MENU])
        for text in ["halo", "Selamat pagi", "assalamualaikum", "?", "menu", "MENU", "0", "mulai"]
    ],
    C(
        "how to pay",
        [
            Row("menu:pay"),
            "kode billing SIMPONI",
            "dalam 2 jam",
            "Rp350.000",
            "Rp650.000",
            "Rp950.000",
            "tambah Rp1.000.000",
        ],
    ),
    C("how to pay, typed", [Say("berapa biaya paspor?"), "kode billing SIMPONI"]),
    C(
        "requirements: adult",
        [
            Row("menu:requirements"),
            "Persyaratan untuk siapa?",
            "[Dewasa]",
            Tap("req:adult"),
            "Persyaratan paspor dewasa",
            "Kartu Keluarga",
        ],
    ),
    C(
        "requirements: child",
        [
            Row("menu:requirements"),
            Tap("req:child"),
            "di bawah 17 tahun",
            "Kedua orang tua wajib hadir",
        ],
    ),
    C("requirements: renewal", [Row("menu:requirements"), Tap("req:renewal"), "Paspor lama"]),
    C("requirements, typed", [Say("apa saja syarat paspor anak?"), "Persyaratan untuk siapa?"]),
    C("pickup", [Row("menu:pickup"), "Cara mengambil paspor", "surat kuasa"]),
    C("pickup, typed", [Say("bagaimana cara ambil paspor"), "Cara mengambil paspor"]),
    C(
        "taking a queue number is booking, not pickup",
        [Say("mau ambil antrean"), "Langkah 1 dari 5"],
    ),
    C(
        "language: English and back",
        [
            Row("menu:language"),
            "Pilih bahasa / Choose a language",
            "[English]",
            Tap("lang:en"),
            "we will answer in English",
            "Welcome to the WhatsApp service",
            Say("menu"),
            "Please choose from the menu",
            Tap("lang:id"),
            "menjawab dalam Bahasa Indonesia",
            *MENU,
        ],
    ),
    C("language, typed", [Say("English"), "we will answer in English"]),
    C("bahasa asks which", [Say("bahasa"), "Pilih bahasa"]),
    C("a stale tap from an old menu still gets the menu", [Tap("day:2027-08-10"), *MENU]),
    # --- Lost or damaged passports ------------------------------------------------------
    *[
        C(
            f"lost or damaged: {text}",
            [
                Say(text),
                "tidak dapat dipesan lewat WhatsApp",
                "Rp1.000.000",
                "Rp500.000",
                "kepolisian",
            ],
        )
        for text in [
            "paspor saya hilang",
            "Paspor dicuri di bandara",
            "paspor rusak kena banjir",
            "halaman paspor robek",
            "paspornya basah",
            "my passport was stolen",
            "passport damaged",
        ]
    ],
    C(
        "lost passport from the guided booking",
        [Row("menu:book"), Row("svc:lost"), "tidak dapat dipesan lewat WhatsApp"],
    ),
    C("a lost passport is never booked", [Say("paspor hilang, mau daftar"), "tidak dapat dipesan"]),
    # --- Guided booking -------------------------------------------------------------------
    C(
        "guided booking all the way",
        [
            Row("menu:book"),
            "Langkah 1 dari 5",
            "(Paspor baru:",
            "(Penggantian paspor:",
            "(Paspor hilang/rusak:",
            Row("svc:baru"),
            "Langkah 2 dari 5",
            "(Senin, 9 Agu: Sisa 10 kuota)",
            "(Selasa, 10 Agu: Sisa 10 kuota)",
            "!17 Agu",
            Row("day:2027-08-10"),
            "Langkah 3 dari 5",
            "(08.00 WIB: Sisa 3 kuota)",
            Row("hour:09:00"),
            "Langkah 4 dari 5",
            Say("Budi Santoso"),
            "Langkah 5 dari 5",
            Say("25 Januari 1987"),
            "Mohon periksa pemesanan",
            "Layanan: Paspor baru",
            "Jadwal: Selasa, 10 Agustus 2027 pukul 09.00 WIB",
            "[Pesan]",
            Tap("flow:go", "Pesan"),
            "<QR",
            "Pemesanan terkonfirmasi",
            "Nomor antrean: *A-001*",
        ],
        booking="confirmed",
    ),
    C(
        "guided renewal brings the old passport",
        [
            Row("menu:book"),
            Row("svc:penggantian"),
            Row("day:2027-08-10"),
            Row("hour:10:00"),
            Say("Siti Aminah"),
            Say("01021990"),
            Tap("flow:go"),
            "Nomor antrean: *B-001*",
            "Paspor lama",
        ],
        booking="confirmed",
    ),
    C(
        "guided percepatan",
        [
            Row("menu:book"),
            Row("svc:percepatan"),
            "(Selasa, 10 Agu: Sisa 2 kuota)",
            Row("day:2027-08-10"),
            Row("hour:08:00"),
            Say("Siti"),
            Say("01021990"),
            Tap("flow:go"),
            "Nomor antrean: *C-001*",
        ],
        booking="confirmed",
    ),
    C(
        "guided: a name with digits is asked again",
        [
            Row("menu:book"),
            Row("svc:baru"),
            Row("day:2027-08-10"),
            Row("hour:09:00"),
            Say("R2D2"),
            "Nama hanya boleh berisi huruf",
            "Langkah 4 dari 5",
            "Ketik MENU",
            Say("Rudi"),
            "Langkah 5 dari 5",
        ],
    ),
    C(
        "guided: an impossible birth date is asked again",
        [
            Row("menu:book"),
            Row("svc:baru"),
            Row("day:2027-08-10"),
            Row("hour:09:00"),
            Say("Rudi"),
            Say("31 Februari 1990"),
            "tidak ada di kalender",
            "Langkah 5 dari 5",
            Say("01012030"),
            "belum terjadi",
            Say("01011990"),
            "Mohon periksa pemesanan",
        ],
    ),
    C(
        "guided: menu at any step",
        [Row("menu:book"), Row("svc:baru"), Say("menu"), *MENU, Row("hour:09:00"), *MENU],
    ),
    C(
        "guided: batal stops without booking",
        [
            Row("menu:book"),
            Row("svc:baru"),
            Row("day:2027-08-10"),
            Say("batal"),
            "langkah tadi dihentikan",
            "tidak ada yang diubah",
        ],
    ),
    C(
        "guided: the cancel button on the summary",
        [
            Row("menu:book"),
            Row("svc:baru"),
            Row("day:2027-08-10"),
            Row("hour:09:00"),
            Say("Rudi"),
            Say("01011990"),
            Tap("flow:stop", "Batal"),
            "langkah tadi dihentikan",
        ],
    ),
    C(
        "guided: a typed answer where a choice is expected asks again",
        [Row("menu:book"), Say("yang baru saja"), "Ketik MENU", "Langkah 1 dari 5"],
    ),
    C(
        "guided: 30 minutes away ends the session",
        [
            Row("menu:book"),
            Row("svc:baru"),
            Wait(31),
            Row("day:2027-08-10"),
            "Sesi sebelumnya sudah berakhir",
            *MENU,
        ],
    ),
    C(
        "guided: with a live booking shows it instead",
        [law(), Row("menu:book"), "Pemesanan aktif Bapak/Ibu", "[Ubah jadwal]"],
        booking="pending",
    ),
    C(
        "guided: a LAW message in the middle books directly",
        [Row("menu:book"), Row("svc:baru"), law(), *BOOKED],
        booking="pending",
    ),
    C(
        "guided in English",
        [
            Tap("lang:en"),
            Row("menu:book"),
            "Step 1 of 5",
            Row("svc:baru"),
            "Step 2 of 5",
            "(Tuesday, 10 Aug: 10 places left)",
        ],
    ),
    # --- Change or cancel, rescheduling ----------------------------------------------------
    C(
        "reschedule through the menu",
        [
            law(),
            Tap("confirm:{code}"),
            Row("menu:change"),
            "Pemesanan aktif Bapak/Ibu",
            "Nomor antrean: A-001",
            "[Ubah jadwal]",
            Tap("chg:reschedule"),
            "Pilih hari baru",
            Row("day:2027-08-11"),
            "Pilih jam kedatangan pada Rabu, 11 Agustus 2027",
            Row("hour:10:00"),
            "Jadwal berhasil diubah",
            "Jadwal baru: Rabu, 11 Agustus 2027 pukul 10.00 WIB",
            "Nomor antrean: A-001",
            "paling lambat pukul 09.30 WIB",
        ],
        booking="confirmed",
    ),
    C("reschedule, typed", [law(), Say("mau ubah jadwal"), "[Ubah jadwal]"], booking="pending"),
    C(
        "reschedule only once, said before any list",
        [
            law(),
            Tap("chg:reschedule"),
            Row("day:2027-08-11"),
            Row("hour:10:00"),
            "Jadwal berhasil diubah",
            Tap("chg:reschedule"),
            "hanya dapat diubah 1 kali",
            "!Pilih hari baru",
        ],
        booking="pending",
    ),
    C(
        "reschedule to the same hour",
        [
            law(),
            Tap("chg:reschedule"),
            Row("day:2027-08-10"),
            Row("hour:08:00"),
            "sama dengan jadwal sekarang",
        ],
        booking="pending",
    ),
    C(
        "reschedule on the day itself is too late, said at once",
        [
            law(visit="09082027"),
            Tap("chg:reschedule"),
            "paling lambat Minggu, 8 Agustus 2027",
        ],
        booking="pending",
    ),
    C("change with nothing booked", [Row("menu:change"), "Tidak ada pemesanan aktif", *MENU]),
    C("reschedule with nothing booked", [Tap("chg:reschedule"), "Tidak ada pemesanan aktif"]),
    C(
        "cancel from the change menu",
        [law(), Row("menu:change"), Tap("cancel:{code}", "Batalkan"), "sudah dibatalkan"],
        booking="cancelled",
    ),
    # --- Status ------------------------------------------------------------------------
    C(
        "status of my booking",
        [law(), Row("menu:status"), "Status pemesanan", "menunggu konfirmasi", TUESDAY],
        booking="pending",
    ),
    C(
        "status after confirming",
        [law(), Tap("confirm:{code}"), Say("cek status"), "terkonfirmasi", "Nomor antrean: A-001"],
        booking="confirmed",
    ),
    C(
        "status of a cancelled booking",
        [law(), Say("#batal"), Row("menu:status"), "dibatalkan"],
        booking="cancelled",
    ),
    C(
        "status with nothing booked asks for a code",
        [
            Row("menu:status"),
            "Tidak ada pemesanan untuk nomor ini",
            "kirim kode booking",
            Say("ZZZZ2345"),
            "Kode booking tidak ditemukan",
        ],
    ),
    C("status: not a code is asked again", [Row("menu:status"), Say("tidak tahu"), "Ketik MENU"]),
    # --- Appreciation, suggestions, complaints --------------------------------------------
    C(
        "a complaint gets a ticket number",
        [
            Row("menu:feedback"),
            "Apa yang ingin Bapak/Ibu sampaikan?",
            "[Pengaduan]",
            Tap("fb:complaint"),
            "Silakan tulis pesan",
            Say("Antrean di loket 3 lama sekali."),
            "Pesan pengaduan Bapak/Ibu sudah kami terima dengan nomor tiket *T-2708-",
            Say("{ticket}"),
            "pesan pengaduan",
            "menunggu jawaban petugas",
        ],
        tickets=1,
    ),
    C(
        "appreciation",
        [
            Say("saya mau kasih apresiasi"),
            Tap("fb:appreciation"),
            Say("Petugas sangat ramah, terima kasih!"),
            "Pesan apresiasi Bapak/Ibu",
        ],
        tickets=1,
    ),
    C(
        "a suggestion",
        [
            Row("menu:feedback"),
            Tap("fb:aspiration"),
            Say("Tolong tambah kursi di ruang tunggu."),
            "nomor tiket",
        ],
        tickets=1,
    ),
    C(
        "feedback too long",
        [
            Row("menu:feedback"),
            Tap("fb:complaint"),
            Say("panjang " * 200),
            "Pesan terlalu panjang",
            Say("Singkat saja."),
            "nomor tiket",
        ],
        tickets=1,
    ),
    C(
        "feedback stopped",
        [Row("menu:feedback"), Tap("fb:complaint"), Say("batal"), "dihentikan"],
        tickets=0,
    ),
    C(
        "a sticker while writing feedback",
        [
            Row("menu:feedback"),
            Tap("fb:complaint"),
            Kind("sticker"),
            "belum dapat membaca stiker",
            Say("Toilet kotor."),
            "nomor tiket",
        ],
        tickets=1,
    ),
    # --- Kinds we cannot read, locations, photos -----------------------------------------
    *[
        C(
            f"unreadable: {kind}",
            [Kind(kind), "Mohon maaf, kami belum dapat membaca", "pesan teks, tombol"],
        )
        for kind in ["sticker", "voice", "audio", "video", "contacts", "unsupported"]
    ],
    C("a location gets the address", [Kind("location"), "Jl. Merpati Blok B-12 No. 3"]),
    C("a photo at a LAW office is not needed", [Photo(), "tidak perlu mengirim foto"]),
    # --- Batam: #Nama#TglLahir#Alamat and a photo of the e-KTP ---------------------------
    C(
        "batam: text then photo",
        [
            Say("#Siti Aminah#01021990#Jl. Engku Putri No. 3"),
            "Mohon kirim foto e-KTP",
            Photo(),
            *BOOKED,
            "Alamat: Jl. Engku Putri No. 3",
        ],
        batam=True,
        booking="pending",
    ),
    C(
        "batam: photo then text",
        [
            Photo(),
            "Foto e-KTP sudah kami terima",
            Say("#Siti#01021990#Jl. Engku Putri No. 3"),
            *BOOKED,
        ],
        batam=True,
        booking="pending",
    ),
    C(
        "batam: the pieces too far apart",
        [
            Say("#Siti#01021990#Jl. Engku Putri No. 3"),
            Wait(31),
            Photo(),
            "Foto e-KTP sudah kami terima",
        ],
        batam=True,
    ),
    C(
        "batam: a missing address",
        [Say("#Siti#01021990"), "NAMA, TANGGAL LAHIR, dan ALAMAT"],
        batam=True,
    ),
    C(
        "batam: an address too long",
        [Say("#Siti#01021990#" + "Jl. Panjang " * 30), "Alamat terlalu panjang"],
        batam=True,
    ),
    C(
        "batam: outside registration hours",
        [
            Wait(5 * 60),
            Say("#Siti#01021990#Jl. Engku Putri No. 3"),
            "hanya dilayani pada hari kerja pukul 05.00 WIB–10.00 WIB",
            "Selasa, 10 Agustus 2027",
        ],
        batam=True,
    ),
    C(
        "batam: the guided booking explains the format",
        [Row("menu:book"), "#NAMA#TGLLAHIR#ALAMAT lalu foto e-KTP"],
        batam=True,
    ),
    C("batam: the welcome", [Say("halo"), "Silakan pilih layanan dari menu"], batam=True),
    *REVIEW_FINDINGS,
]


@pytest.fixture
def offices(make_office):
    address = "Jl. Merpati Blok B-12 No. 3, Kemayoran"
    return {
        False: make_office(name="Kantor Imigrasi Kelas I Non TPI Jakarta Pusat", address=address),
        True: make_office(
            name="Kantor Imigrasi Kelas I Khusus TPI Batam",
            message_format="batam",
            registration_opens_at=datetime.time(5),
            registration_closes_at=datetime.time(10),
        ),
    }


_phones = itertools.count(1)


def test_there_are_a_hundred_conversations():
    assert len(TRANSCRIPTS) >= 100


@pytest.mark.django_db
@pytest.mark.parametrize("conversation", TRANSCRIPTS, ids=lambda c: c.name)
def test_transcript(conversation, offices, services, time_machine):
    time_machine.move_to(NOW, tick=False)
    office = offices[conversation.batam]
    if conversation.name.startswith("a full day"):
        for n in range(10):
            actions.book(
                office=office,
                service=services["baru"],
                phone=f"6281390000{n:03d}",
                name="Lain",
                birth_date=datetime.date(1990, 1, 1),
                now=NOW,
                channel="web",
                actor="t",
                visit_date=datetime.date(2027, 8, 10),
            )
    contact = Contact.objects.create(number=office.numbers.get(), wa_id=f"62813{next(_phones):08d}")
    Player(contact, time_machine).play(conversation)
    latest = Booking.objects.filter(phone=contact.wa_id).order_by("-id").first()
    if conversation.booking is not None:
        assert latest is not None and latest.status == conversation.booking
    elif not any(
        isinstance(step, Say) and step.text.startswith("#") for step in conversation.steps
    ):
        assert latest is None or conversation.name.startswith("guided")
    if conversation.tickets is not None:
        assert Ticket.objects.filter(phone=contact.wa_id).count() == conversation.tickets
