"""The NIK (Nomor Induk Kependudukan), the 16-digit national identity number.

Layout: PP KK CC DDMMYY SSSS - province, regency/city, district, birth date (40 added to
the day for women), and a serial from 0001. The real service answers "NIK tidak sesuai"
when digits 7-12 do not match the birth date; we say exactly which part is wrong.
"""

from dataclasses import dataclass
from datetime import date

from antrean.booking.errors import InvalidNik

PROVINCES = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua Barat",
    "92": "Papua Barat Daya",
    "93": "Papua Selatan",
    "94": "Papua",
    "95": "Papua Tengah",
    "96": "Papua Pegunungan",
}

NIK_LENGTH = 16
FEMALE_DAY_OFFSET = 40


@dataclass(frozen=True)
class NikInfo:
    nik: str
    province: str
    female: bool
    day: int
    month: int
    year_2digit: int


def _date_exists(day: int, month: int, yy: int) -> bool:
    for century in (1900, 2000):
        try:
            date(century + yy, month, day)
        except ValueError:
            continue
        return True
    return False


def normalize_nik(raw: str) -> str:
    """Digits only: people paste NIKs with spaces or dots."""
    return "".join(ch for ch in (raw or "") if ch not in " .-")


def check_nik(raw: str, birth_date: date | None = None) -> NikInfo:
    nik = normalize_nik(raw)
    # ASCII digits only: "²" is a digit to isdigit() that int() refuses, and a NIK in
    # Arabic-Indic or full-width digits would pass as a different number (its lookup hash
    # differs), slipping past the one-booking-per-NIK rules.
    if not (nik.isascii() and nik.isdigit()):
        raise InvalidNik(why="digits")
    if len(nik) != NIK_LENGTH:
        raise InvalidNik(why="length", length=len(nik), expected=NIK_LENGTH)
    if nik[:2] not in PROVINCES:
        raise InvalidNik(why="province", code=nik[:2])
    if nik[2:4] == "00" or nik[4:6] == "00":
        raise InvalidNik(why="region")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = day > FEMALE_DAY_OFFSET
    if female:
        day -= FEMALE_DAY_OFFSET
    if not _date_exists(day, month, yy):
        raise InvalidNik(why="date")
    if nik[12:] == "0000":
        raise InvalidNik(why="serial")
    if birth_date is not None and (day, month, yy) != (
        birth_date.day,
        birth_date.month,
        birth_date.year % 100,
    ):
        raise InvalidNik(why="mismatch", expected=f"{birth_date:%d%m%y}", found=nik[6:12])
    return NikInfo(nik=nik, province=nik[:2], female=female, day=day, month=month, year_2digit=yy)
