"""What people type instead of tapping: commands and topics, in Indonesian and English.

Topic words match stems, so "biayanya", "membayar" and "persyaratan" are found too.
"""

import re

CANCEL = {"#batal", "batal", "#cancel", "cancel", "batalkan", "#batalkan"}
STOP = {"stop", "berhenti", "sudah"}  # end a flow; never cancel a booking
MENU = {"menu", "#menu", "0", "mulai", "start", "kembali", "back", "help", "bantuan"}
ENGLISH = {"english", "inggris", "bahasa inggris", "in english"}
INDONESIAN = {"indonesia", "bahasa indonesia", "indonesian"}
LANGUAGE = {"bahasa", "language", "ganti bahasa"}
YES = {"pesan", "ya", "iya", "ok", "oke", "okay", "yes", "book", "setuju", "benar"}

# A lost or damaged passport, however it is said - when it is the passport that is meant.
LOST = re.compile(
    r"\b(hilang|dicuri|kecurian|tercuri|rusak|robek|sobek|banjir|kebanjiran|basah|terbakar|"
    r"lost|stolen|damaged|torn)\b"
)
PASSPORT = re.compile(r"(paspor|passport)")

# Topic words, in the order they are tried: the first that matches wins.
TOPICS = [
    # A lost or forgotten booking code: show them their booking (it carries the code).
    ("status", re.compile(r"(kode.*(hilang|lupa)|(hilang|lupa).*kode|forgot.*code|lost.*code)")),
    ("change", re.compile(r"(ubah|ganti jadwal|jadwal ulang|reschedule|pindah jadwal|\bbatal)")),
    ("pay", re.compile(r"(bayar|biaya|tarif|harga|pnbp|billing|simponi|\bfee|\bpay)")),
    ("requirements", re.compile(r"(syarat|dokumen|berkas|requirement)")),
    ("pickup", re.compile(r"((meng)?ambil paspor|pengambilan|diambil|pickup|pick up)")),
    ("feedback", re.compile(r"(saran|aduan|keluhan|komplain|apresiasi|complaint)")),
    ("book", re.compile(r"(pesan antre|pesan antri|daftar|booking|antre|antri|perpanjang|\bbook)")),
    ("status", re.compile(r"(status|\bcek\b|sudah jadi|sudah selesai|kapan selesai)")),
]


def plain(text: str) -> str:
    """Lower case, single spaces, no closing punctuation: "Batal." is "batal"."""
    return " ".join(text.lower().split()).strip(".!?,;: ")


def topic(text: str) -> str | None:
    words = plain(text)
    if LOST.search(words) and PASSPORT.search(words):
        return "lost"
    for name, pattern in TOPICS:
        if pattern.search(words):
            return name
    return None


def looks_like_code(text: str, *, careful: bool) -> bool:
    """Could `text` be a booking code sent back? `careful` (inside a flow): only a single
    word of letters and digits, so that "selasa 24" stays a day."""
    token = text.strip()
    has_digit = any(ch.isdigit() for ch in token)
    has_letter = any(ch.isalpha() for ch in token)
    if careful:
        return " " not in token and has_digit and has_letter
    return len(token.split()) == 1 or has_digit
