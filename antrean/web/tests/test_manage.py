"""Managing a booking on the web: found by code and NIK only, cancelled, moved, printed."""

import datetime
import io
import re

import pytest
from django.test import Client
from pypdf import PdfReader

from antrean.booking.lifecycle import Status
from antrean.booking.models import DayLoad
from antrean.booking.rules import Person
from antrean.web import manage
from antrean.web.tests.helpers import messages_to
from antrean.whatsapp.models import Contact

from conftest import BIRTH, NOW, nik_for

pytestmark = pytest.mark.django_db

VISIT = datetime.date(2027, 8, 10)
LATER = datetime.date(2027, 8, 12)
CHILD = datetime.date(2016, 5, 9)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


@pytest.fixture
def family(book, clock):
    """A confirmed family booking made on WhatsApp: a parent and a child, both with NIK."""
    from antrean.booking import actions

    child_nik = nik_for(CHILD)
    booked = book(nik=nik_for(BIRTH), family=[Person("Dewi Santoso", CHILD, child_nik)]).booking
    actions.confirm(code=booked.code, now=NOW, actor="test")
    booked.refresh_from_db()
    booked.child_nik = child_nik
    return booked


def find(client, code, nik):
    return client.post("/kelola/", {"code": code, "nik": nik})


def test_the_code_and_any_applicants_nik_open_the_booking(client, family):
    response = find(client, family.code.lower(), family.child_nik)
    assert response.status_code == 302 and response["Location"] == f"/kelola/{family.code}"
    page = client.get(response["Location"]).content.decode()
    assert family.code in page and family.queue_number in page
    assert "Dewi Santoso" in page and "Kedua orang tua wajib hadir" in page


def test_a_wrong_code_and_a_wrong_nik_get_the_same_answer(client, family):
    wrong_nik = find(client, family.code, nik_for(datetime.date(1970, 1, 1)))
    wrong_code = find(client, "ABCD2345", family.child_nik)
    malformed = find(client, "??", family.child_nik)
    for response in (wrong_nik, wrong_code, malformed):
        assert response.status_code == 400

    def answer(response, typed):
        # What differs is only what the visitor typed, echoed back, and the CSRF token.
        body = response.content.decode().replace(f'value="{typed}"', "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)

    bodies = {
        answer(wrong_nik, family.code),
        answer(wrong_code, "ABCD2345"),
        answer(malformed, "??"),
    }
    assert len(bodies) == 1
    assert "tidak cocok dengan pemesanan mana pun" in bodies.pop()
    assert client.get(f"/kelola/{family.code}")["Location"] == f"/kelola/?kode={family.code}"
    refused = client.post(f"/kelola/{family.code}/batal", {"sure": "yes"})
    assert refused["Location"] == f"/kelola/?kode={family.code}"
    family.refresh_from_db()
    assert family.status == Status.CONFIRMED


def test_finding_costs_the_same_one_query_whether_the_code_exists_or_not(
    family, django_assert_num_queries
):
    """The same work for a wrong code, a wrong NIK and a malformed code - the same hash,
    then one indexed query that finds nothing - so the same time."""
    for code in (family.code, "ABCD2345", "!!"):
        with django_assert_num_queries(1):
            manage.find(code, nik_for(datetime.date(1970, 1, 1)))


def test_lookups_are_rate_limited_per_address(client, family):
    for _ in range(10):
        find(client, "ABCD2345", "3171012501870001")
    refused = find(client, family.code, family.child_nik)
    assert refused.status_code == 429


def test_lookups_of_one_code_are_limited_from_any_address(family, settings):
    settings.WEB_TRUST_FORWARDED_FOR = True
    for n in range(10):
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").post(
            "/kelola/", {"code": family.code, "nik": "3171012501870001"}
        )
    refused = Client(HTTP_X_FORWARDED_FOR="198.51.100.77").post(
        "/kelola/", {"code": family.code, "nik": family.child_nik}
    )
    assert refused.status_code == 429


def test_cancel_needs_the_tick_then_frees_the_seats_and_tells_the_chat(client, family):
    find(client, family.code, family.child_nik)
    unsure = client.post(f"/kelola/{family.code}/batal", {})
    assert unsure.status_code == 400 and "belum dibatalkan" in unsure.content.decode()

    done = client.post(f"/kelola/{family.code}/batal", {"sure": "yes"})
    assert done["Location"] == f"/kelola/{family.code}?done=cancelled"
    family.refresh_from_db()
    assert family.status == Status.CANCELLED
    assert DayLoad.objects.get(office=family.office, day=VISIT, quota="regular").taken == 0
    told = messages_to(family.phone)[-1]  # no chat in 24 hours: the template
    assert told["name"] == "antrean_pembatalan" and told["params"][0] == family.code
    page = client.get(done["Location"]).content.decode()
    assert "Pemesanan telah dibatalkan" in page and "Batalkan</button>" not in page


def test_reschedule_moves_the_booking_under_the_same_rules(client, family):
    # The applicant wrote to the office an hour ago: the chat takes free text.
    number = family.office.numbers.get()
    Contact.objects.create(
        number=number, wa_id=family.phone, last_inbound_at=NOW - datetime.timedelta(hours=1)
    )
    find(client, family.code, family.child_nik)
    page = client.get(f"/kelola/{family.code}", {"day": LATER.isoformat()}).content.decode()
    assert 'name="hour" value="10:00"' in page

    moved = client.post(f"/kelola/{family.code}/ubah", {"day": LATER.isoformat(), "hour": "10:00"})
    assert moved["Location"] == f"/kelola/{family.code}?done=rescheduled"
    family.refresh_from_db()
    assert family.visit_date == LATER and family.reschedules == 1
    assert family.status == Status.CONFIRMED
    assert "diubah lewat situs web" in messages_to(family.phone)[-1]["body"]

    again = client.post(f"/kelola/{family.code}/ubah", {"day": VISIT.isoformat(), "hour": "09:00"})
    assert again.status_code == 400
    assert "1 kali" in again.content.decode()  # the office allows one change


def test_reschedule_without_an_hour_says_what_is_missing(client, family):
    find(client, family.code, family.child_nik)
    response = client.post(f"/kelola/{family.code}/ubah", {"day": LATER.isoformat()})
    assert response.status_code == 400 and "Mohon pilih jam kedatangan" in response.content.decode()
    family.refresh_from_db()
    assert family.visit_date == VISIT


def test_the_proof_pdf_lists_everyone_and_their_documents(client, family):
    find(client, family.code, family.child_nik)
    response = client.get(f"/bukti/{family.code}/pdf")

    assert response["Content-Type"] == "application/pdf"
    assert f"bukti-{family.code}.pdf" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    words = " ".join(page.extract_text() for page in reader.pages)
    assert family.code in words and family.queue_number in words
    assert "Budi Santoso" in words and "Dewi Santoso" in words
    assert "Kedua orang tua wajib hadir" in words and "e-KTP" in words
    assert "Selasa, 10 Agustus 2027 pukul 09.00 WIB" in words or "Selasa, 10 Agustus 2027" in words
    assert nik_for(CHILD)[6:12] not in words  # birth digits of a NIK never printed


def test_a_forged_forwarded_address_does_not_escape_the_limit(settings, db):
    """Behind nginx ($proxy_add_x_forwarded_for), the client writes the first addresses and
    the proxy appends the one it saw: only that last one counts."""
    settings.WEB_TRUST_FORWARDED_FOR = True
    answers = [
        Client(HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.9").post(
            "/kelola/", {"code": "ABCD2345", "nik": "3171012501870001"}
        )
        for n in range(11)
    ]
    assert answers[-1].status_code == 429


def test_a_forwarded_address_that_is_no_address_falls_back_to_the_connection(settings, rf):
    from antrean.web.common import client_address, client_ip

    settings.WEB_TRUST_FORWARDED_FOR = True
    garbage = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, <script>", REMOTE_ADDR="10.0.0.2")
    assert client_address(garbage) == "10.0.0.2"
    proxied = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 2001:db8::7", REMOTE_ADDR="10.0.0.2")
    assert client_address(proxied) == "2001:db8::7"
    nothing = rf.get("/", REMOTE_ADDR="")
    assert (client_address(nothing), client_ip(nothing)) == ("unknown", None)
