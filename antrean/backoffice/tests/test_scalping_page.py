"""The "Pola mencurigakan" page: one office's signs of scalping, with their evidence."""

import datetime

import pytest
from django.urls import reverse

from antrean.backoffice.models import AuditEntry
from antrean.booking import actions
from antrean.lib.crypto import lookup_hash
from antrean.release import draw
from antrean.release.models import Entry, Release
from antrean.whatsapp.models import Contact, InboundMessage

from conftest import BIRTH, NOW, nik_for

URL = reverse("backoffice:scalping")
LOOKING = NOW + datetime.timedelta(hours=1)
# Each in its own block of numbers, so only the pattern under test shows.
PHONES = ["6281311100001", "6281322200002", "6281333300003", "6281344400004"]


@pytest.fixture
def looking(time_machine):
    time_machine.move_to(LOOKING, tick=False)


@pytest.fixture
def one_nik_many_phones(book):
    """One NIK booked from three phones (each booking cancelled before the next)."""

    def make(office, phones=PHONES[:3]):
        nik = nik_for(BIRTH)
        codes = []
        for phone in phones:
            booking = book(office=office, phone=phone, nik=nik).booking
            actions.cancel(code=booking.code, now=NOW, actor="test")
            codes.append(booking.code)
        return nik, codes

    return make


def entry(office, service, *, phone, nik=None, ticket=1, at=NOW):
    seed = draw.new_seed()
    release, _ = Release.objects.get_or_create(
        office=office,
        first_day=datetime.date(2027, 9, 1),
        defaults={
            "last_day": datetime.date(2027, 9, 30),
            "opens_at": NOW - datetime.timedelta(minutes=30),
            "closes_at": NOW + datetime.timedelta(minutes=30),
            "seed": seed,
            "seed_hash": draw.seed_hash(seed),
            "created_at": NOW - datetime.timedelta(days=1),
        },
    )
    return Entry.objects.create(
        release=release,
        ticket=ticket,
        phone=phone,
        nik_hash=lookup_hash(nik) if nik else None,
        service=service,
        channel="whatsapp",
        name="Sri Wahyuni",
        birth_date=BIRTH,
        created_at=at,
    )


def test_a_supervisor_sees_one_nik_from_many_phones_with_its_evidence(
    as_user, office, service, one_nik_many_phones, looking
):
    nik, codes = one_nik_many_phones(office)
    entry(office, service, phone=PHONES[3], nik=nik, ticket=17)
    response = as_user("supervisor").get(URL)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Satu NIK dari banyak nomor" in text
    assert f"NIK berkode {lookup_hash(nik)[:8]} dipakai dari 4 nomor WhatsApp" in text
    for code in codes:
        assert f'href="{reverse("backoffice:booking", args=[code])}"' in text
    for phone in PHONES:
        assert phone in text
    assert "undian 01-09-2027 tiket 17" in text
    assert "Mengapa mencurigakan" in text and "Tindakan" in text
    assert nik not in text and lookup_hash(nik) not in text  # a label, never the NIK or its hash
    assert "Tidak ada pola mencurigakan" not in text


def test_looking_is_recorded_in_the_audit_log(as_user, office, one_nik_many_phones, looking):
    one_nik_many_phones(office)
    as_user("supervisor").get(URL)
    record = AuditEntry.objects.get(action="viewed", target="pola mencurigakan")
    assert record.office == office and record.username == "supervisor"
    assert record.detail == {"flags": 1}


def test_nothing_suspicious_says_so(as_user, office, book, looking):
    book(phone=PHONES[0])
    text = as_user("supervisor").get(URL).content.decode()
    assert "Tidak ada pola mencurigakan dalam 30 hari terakhir." in text


def test_older_than_the_window_is_not_shown(as_user, office, one_nik_many_phones, time_machine):
    one_nik_many_phones(office)
    time_machine.move_to(NOW + datetime.timedelta(days=30, seconds=1), tick=False)
    assert "Tidak ada pola mencurigakan" in as_user("supervisor").get(URL).content.decode()


def test_a_block_of_numbers(as_user, office, book, looking):
    block = [f"6281299887{n:03d}" for n in (3, 14, 159, 265, 358)]
    codes = [book(phone=phone).booking.code for phone in block]
    text = as_user("supervisor").get(URL).content.decode()
    assert "Banyak pemesanan dari satu blok nomor" in text
    assert "5 nomor dalam blok 6281299887xxx" in text
    assert all(code in text for code in codes)


def test_a_burst_of_new_numbers_counts_only_numbers_new_to_this_office(
    as_user, office, other_office, book, settings, looking
):
    settings.SCALPING_BURST_COUNT = 3
    known, *fresh = PHONES[:3]
    for phone, number in ((known, office), (fresh[0], other_office)):
        chat = Contact.objects.create(number=number.numbers.get(), wa_id=phone)
        InboundMessage.objects.create(
            contact=chat,
            wamid=f"wamid.{phone}",
            kind="text",
            sent_at=NOW - datetime.timedelta(days=2),
            received_at=NOW - datetime.timedelta(days=2),
            payload={},
        )
    for phone in PHONES[:3]:
        book(phone=phone)
    client = as_user("supervisor")
    assert "Lonjakan nomor baru" not in client.get(URL).content.decode()  # 2 new, 1 known here

    book(phone=PHONES[3])
    text = client.get(URL).content.decode()
    assert "Lonjakan nomor baru" in text
    assert "3 pemesanan atau undian dari 3 nomor baru" in text
    assert fresh[0] in text and PHONES[3] in text and known not in text


def test_another_offices_patterns_are_never_shown(
    as_user, office, other_office, one_nik_many_phones, service, people, looking
):
    nik, codes = one_nik_many_phones(other_office)
    entry(other_office, service, phone=PHONES[3], nik=nik)
    text = as_user("supervisor").get(URL).content.decode()
    assert "Tidak ada pola mencurigakan" in text
    assert not any(code in text for code in codes)
    assert not any(phone in text for phone in PHONES)


def test_headquarters_sees_the_office_it_chose(
    as_user, office, other_office, one_nik_many_phones, looking
):
    _, codes = one_nik_many_phones(other_office)
    client = as_user("hq")
    assert "Tidak ada pola mencurigakan" in client.get(URL).content.decode()
    client.post(reverse("backoffice:switch_office"), {"office": other_office.pk})
    text = client.get(URL).content.decode()
    assert all(code in text for code in codes)


def test_an_officer_is_refused_and_has_no_menu_entry(as_user, looking):
    client = as_user("officer")
    assert client.get(URL).status_code == 403
    assert URL not in client.get(reverse("backoffice:today")).content.decode()
    assert URL in as_user("supervisor").get(reverse("backoffice:today")).content.decode()


def test_a_stranger_is_sent_to_sign_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("backoffice:login"))
