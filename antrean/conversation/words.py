"""What people type instead of tapping: commands and topics, in Indonesian and English."""

import re

CANCEL = {"#batal", "batal", "#cancel", "cancel", "batalkan", "#batalkan", "stop", "berhenti"}
MENU = {"menu", "#menu", "0", "mulai", "start", "kembali", "back", "help", "bantuan"}
ENGLISH = {"english", "inggris", "bahasa inggris", "in english"}
INDONESIAN = {"indonesia", "bahasa indonesia", "indonesian"}
LANGUAGE = {"bahasa", "language", "ganti bahasa"}

# A lost or damaged passport, however it is said: never booked, always answered.
LOST = re.compile(
    r"\b(hilang|dicuri|kecurian|tercuri|rusak|robek|sobek|sobekan|kena banjir|kebanjiran|"
    r"basah|terbakar|lost|stolen|damaged|torn)\b"
)

# Topic words, in the order they are tried: the first that matches wins.
TOPICS = [
    ("change", re.compile(r"\b(ubah|ganti jadwal|jadwal ulang|reschedule|pindah jadwal)\b")),
    ("status", re.compile(r"\b(status|cek|sudah jadi|sudah selesai)\b")),
    ("pay", re.compile(r"\b(bayar|pembayaran|biaya|tarif|harga|pnbp|billing|simponi|fee|pay)\b")),
    ("requirements", re.compile(r"\b(syarat|persyaratan|dokumen|berkas|requirements?)\b")),
    ("pickup", re.compile(r"\b(ambil|pengambilan|pickup|pick up)\b")),
    ("feedback", re.compile(r"\b(saran|pengaduan|aduan|keluhan|komplain|apresiasi|complaint)\b")),
    ("book", re.compile(r"\b(pesan|daftar|booking|antre|antri|antrean|antrian|book)\b")),
]


def plain(text: str) -> str:
    return " ".join(text.lower().split())


def topic(text: str) -> str | None:
    words = plain(text)
    if LOST.search(words):
        return "lost"
    for name, pattern in TOPICS:
        if pattern.search(words):
            return name
    return None
