"""The back office and the PNBP bill: seeing it, and marking it paid from a receipt."""

import datetime

import pytest
from django.urls import reverse

from antrean.backoffice.models import AuditEntry
from antrean.booking import payments
from antrean.booking.models import BookingEvent

from conftest import NOW

MOMENT = NOW + datetime.timedelta(minutes=20)


@pytest.fixture
def bill(office, confirmed, time_machine):
    """A confirmed booking's unpaid bill, at an office that takes the fee before the visit."""
    office.payment = "before"
    office.save()
    time_machine.move_to(MOMENT, tick=False)
    return confirmed().payment


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


def mark(client, bill, reference="NTPN 0123 4567 89AB"):
    url = reverse("backoffice:mark_paid", args=[bill.booking.code])
    return client.post(url, {"reference": reference})


def test_the_booking_page_shows_the_unpaid_bill_and_the_form(as_user, bill):
    page = as_user("officer").get(reverse("backoffice:booking", args=[bill.booking.code]))
    text = page.content.decode()
    assert bill.billing_code in text and "Rp650.000" in text
    assert "Senin, 9 Agustus 2027 · 08.00" in text  # due, in the office's time
    assert "Belum dibayar" in text and "Tandai lunas" in text


def test_an_officer_marks_a_bill_paid_with_the_receipt_number(as_user, bill):
    client = as_user("officer")
    response = mark(client, bill)
    assert response.status_code == 302
    assert messages_of(response) == [f"Tagihan {bill.billing_code} ditandai lunas."]
    bill.refresh_from_db()
    assert bill.paid_at == MOMENT
    assert bill.paid_by == "officer:petugas" and bill.reference == "NTPN 0123 4567 89AB"
    entry = AuditEntry.objects.get(action="mark_paid")
    assert (entry.username, entry.booking_code, entry.office_id) == (
        "petugas",
        bill.booking.code,
        bill.booking.office_id,
    )
    assert entry.detail == {"billing_code": bill.billing_code, "reference": "NTPN 0123 4567 89AB"}
    assert BookingEvent.objects.filter(booking=bill.booking, action="paid").count() == 1

    page = client.get(reverse("backoffice:booking", args=[bill.booking.code])).content.decode()
    assert "Lunas" in page and "officer:petugas" in page and "NTPN 0123 4567 89AB" in page
    assert "Tandai lunas" not in page

    again = mark(client, bill, reference="another")
    assert "sudah lunas sebelumnya" in messages_of(again)[-1]
    bill.refresh_from_db()
    assert bill.reference == "NTPN 0123 4567 89AB"
    assert AuditEntry.objects.filter(action="mark_paid").count() == 1


def test_the_receipt_number_is_required(as_user, bill):
    response = mark(as_user("officer"), bill, reference="   ")
    assert "Isi nomor bukti bayar" in messages_of(response)[-1]
    bill.refresh_from_db()
    assert bill.paid_at is None
    assert not AuditEntry.objects.filter(action="mark_paid").exists()


def test_a_lapsed_bill_is_explained_not_paid(as_user, bill):
    payments.lapse_unpaid(now=bill.due_at + datetime.timedelta(minutes=1))
    client = as_user("officer")
    page = client.get(reverse("backoffice:booking", args=[bill.booking.code])).content.decode()
    assert "tidak berlaku lagi" in page and "Tandai lunas" not in page
    response = mark(client, bill)
    assert "sudah berstatus" in messages_of(response)[-1]  # explain(): why, in Indonesian
    bill.refresh_from_db()
    assert bill.paid_at is None
    assert not AuditEntry.objects.filter(action="mark_paid").exists()


def test_a_booking_without_a_bill_says_so(as_user, confirmed, time_machine):
    time_machine.move_to(MOMENT, tick=False)
    booking = confirmed()  # the office takes the fee at the counter
    client = as_user("officer")
    assert (
        "Tagihan PNBP"
        not in client.get(reverse("backoffice:booking", args=[booking.code])).content.decode()
    )
    response = client.post(reverse("backoffice:mark_paid", args=[booking.code]), {"reference": "X"})
    assert messages_of(response)[-1] == "Pemesanan ini tidak memiliki kode billing PNBP."


def test_another_offices_officer_cannot_mark_our_bill(as_user, bill):
    response = mark(as_user("elsewhere"), bill)
    assert response.status_code == 404
    bill.refresh_from_db()
    assert bill.paid_at is None
    assert not AuditEntry.objects.filter(action="mark_paid").exists()


def test_strangers_cannot_mark_a_bill(client, bill):
    response = mark(client, bill)
    assert response.status_code == 302 and "/kantor/masuk" in response["Location"]
    bill.refresh_from_db()
    assert bill.paid_at is None
