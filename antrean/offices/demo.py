"""Demo offices: the ones the source articles name, and the other launch cities.

Display numbers of Jakarta Pusat (LAW and SIGAP), Bogor and Batam are the real ones from
the articles; every other number and every phone_number_id is made up for the demo.
"""

import datetime

from django.db import transaction

from antrean.offices.models import (
    Counter,
    MessageFormat,
    Office,
    OfficeClass,
    WhatsAppNumber,
    Zone,
)

WIB, WITA, WIT = Zone.WIB, Zone.WITA, Zone.WIT

# numbers: (phone_number_id, display number, label); the first is the office's primary.
DEMO_OFFICES = [
    {
        "code": "jakarta-pusat",
        "name": "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat",
        "office_class": OfficeClass.I_NON_TPI,
        "city": "Jakarta Pusat",
        "province": "DKI Jakarta",
        "timezone": WIB,
        "address": "Jl. Merpati Blok B-12 No. 3, Kemayoran",
        "capacity_per_hour": 50,
        "daily_regular": 350,
        "numbers": [
            ("100000000000101", "+62 812-9900-4406", "LAW"),
            ("100000000000102", "+62 811-8539-333", "SIGAP"),
        ],
    },
    {
        "code": "bogor",
        "name": "Kantor Imigrasi Kelas I Non TPI Bogor",
        "office_class": OfficeClass.I_NON_TPI,
        "city": "Kota Bogor",
        "province": "Jawa Barat",
        "timezone": WIB,
        "address": "Jl. Jend. A. Yani No. 65, Bogor",
        "capacity_per_hour": 30,
        "daily_regular": 220,
        "numbers": [
            ("100000000000201", "+62 811-1100-333", "LAW"),
        ],
    },
    {
        "code": "batam",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Batam",
        "office_class": OfficeClass.I_KHUSUS_TPI,
        "city": "Kota Batam",
        "province": "Kepulauan Riau",
        "timezone": WIB,
        "address": "Jl. Engku Putri No. 3, Batam Centre",
        "capacity_per_hour": 50,
        "daily_regular": 300,
        "numbers": [
            ("100000000000301", "+62 822-8886-2017", "LAW 1"),
            ("100000000000302", "+62 822-8882-2017", "LAW 2"),
        ],
        "message_format": MessageFormat.BATAM,
        "registration_opens_at": datetime.time(7, 30),
        "registration_closes_at": datetime.time(10, 0),
    },
    {
        "code": "jakarta-selatan",
        "name": "Kantor Imigrasi Kelas I Khusus Non TPI Jakarta Selatan",
        "office_class": OfficeClass.I_KHUSUS_NON_TPI,
        "city": "Jakarta Selatan",
        "province": "DKI Jakarta",
        "timezone": WIB,
        "address": "Jl. Warung Buncit Raya No. 207, Mampang Prapatan",
        "capacity_per_hour": 50,
        "daily_regular": 350,
        "numbers": [
            ("100000000000401", "+62 811-0000-0401", "LAW"),
        ],
    },
    {
        "code": "depok",
        "name": "Kantor Imigrasi Kelas II Non TPI Depok",
        "office_class": OfficeClass.II_NON_TPI,
        "city": "Kota Depok",
        "province": "Jawa Barat",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 25,
        "daily_regular": 170,
        "numbers": [
            ("100000000000501", "+62 811-0000-0501", "LAW"),
        ],
    },
    {
        "code": "tangerang",
        "name": "Kantor Imigrasi Kelas I Non TPI Tangerang",
        "office_class": OfficeClass.I_NON_TPI,
        "city": "Kota Tangerang",
        "province": "Banten",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 35,
        "daily_regular": 250,
        "numbers": [
            ("100000000000601", "+62 811-0000-0601", "LAW"),
        ],
    },
    {
        "code": "karawang",
        "name": "Kantor Imigrasi Kelas II Non TPI Karawang",
        "office_class": OfficeClass.II_NON_TPI,
        "city": "Kabupaten Karawang",
        "province": "Jawa Barat",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 25,
        "daily_regular": 150,
        "numbers": [
            ("100000000000701", "+62 811-0000-0701", "LAW"),
        ],
    },
    {
        "code": "bandung",
        "name": "Kantor Imigrasi Kelas I TPI Bandung",
        "office_class": OfficeClass.I_TPI,
        "city": "Kota Bandung",
        "province": "Jawa Barat",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 40,
        "daily_regular": 280,
        "numbers": [
            ("100000000000801", "+62 811-0000-0801", "LAW"),
        ],
    },
    {
        "code": "yogyakarta",
        "name": "Kantor Imigrasi Kelas I TPI Yogyakarta",
        "office_class": OfficeClass.I_TPI,
        "city": "Kabupaten Sleman",
        "province": "DI Yogyakarta",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 30,
        "daily_regular": 200,
        "numbers": [
            ("100000000000901", "+62 811-0000-0901", "LAW"),
        ],
    },
    {
        "code": "semarang",
        "name": "Kantor Imigrasi Kelas I TPI Semarang",
        "office_class": OfficeClass.I_TPI,
        "city": "Kota Semarang",
        "province": "Jawa Tengah",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 30,
        "daily_regular": 200,
        "numbers": [
            ("100000000001001", "+62 811-0000-1001", "LAW"),
        ],
    },
    {
        "code": "surabaya",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Surabaya",
        "office_class": OfficeClass.I_KHUSUS_TPI,
        "city": "Kota Surabaya",
        "province": "Jawa Timur",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 50,
        "daily_regular": 330,
        "numbers": [
            ("100000000001101", "+62 811-0000-1101", "LAW"),
        ],
    },
    {
        "code": "medan",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Medan",
        "office_class": OfficeClass.I_KHUSUS_TPI,
        "city": "Kota Medan",
        "province": "Sumatera Utara",
        "timezone": WIB,
        "address": "",
        "capacity_per_hour": 40,
        "daily_regular": 280,
        "numbers": [
            ("100000000001201", "+62 811-0000-1201", "LAW"),
        ],
    },
    {
        "code": "makassar",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Makassar",
        "office_class": OfficeClass.I_KHUSUS_TPI,
        "city": "Kota Makassar",
        "province": "Sulawesi Selatan",
        "timezone": WITA,
        "address": "",
        "capacity_per_hour": 35,
        "daily_regular": 250,
        "numbers": [
            ("100000000001301", "+62 811-0000-1301", "LAW"),
        ],
    },
    {
        "code": "denpasar",
        "name": "Kantor Imigrasi Kelas I Khusus TPI Denpasar",
        "office_class": OfficeClass.I_KHUSUS_TPI,
        "city": "Kota Denpasar",
        "province": "Bali",
        "timezone": WITA,
        "address": "",
        "capacity_per_hour": 35,
        "daily_regular": 250,
        "numbers": [
            ("100000000001401", "+62 811-0000-1401", "LAW"),
        ],
    },
    {
        "code": "jayapura",
        "name": "Kantor Imigrasi Kelas I TPI Jayapura",
        "office_class": OfficeClass.I_TPI,
        "city": "Kota Jayapura",
        "province": "Papua",
        "timezone": WIT,
        "address": "",
        "capacity_per_hour": 20,
        "daily_regular": 150,
        "numbers": [
            ("100000000001501", "+62 811-0000-1501", "LAW"),
        ],
    },
]


DEMO_COUNTERS = 3


@transaction.atomic
def seed_demo_offices() -> tuple[int, int]:
    """Create or update the demo offices; running it again changes nothing. (created, updated)"""
    created = updated = 0
    for entry in DEMO_OFFICES:
        fields = dict(entry)
        code, numbers = fields.pop("code"), fields.pop("numbers")
        fields.setdefault("daily_percepatan", max(10, fields["daily_regular"] // 10))
        fields.setdefault("daily_priority", max(10, fields["daily_regular"] // 15))
        office, was_created = Office.objects.update_or_create(code=code, defaults=fields)
        created += was_created
        updated += not was_created
        for position, (number_id, display, label) in enumerate(numbers):
            WhatsAppNumber.objects.update_or_create(
                phone_number_id=number_id,
                defaults={
                    "office": office,
                    "display_phone_number": display,
                    "label": label,
                    "is_primary": position == 0,
                },
            )
        for number in range(1, DEMO_COUNTERS + 1):
            Counter.objects.get_or_create(office=office, number=number)
    return created, updated
