"""The Django admin for reference data, in Indonesian; bookings are read-only there."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from antrean.booking.models import SlotLoad

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("hq", "hq@example.invalid", "rahasia-123!")
    client.force_login(user)
    return client


def test_office_pages_speak_indonesian(admin_client, office):
    listing = admin_client.get("/admin/offices/office/")
    assert listing.status_code == 200
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/").content.decode()
    for label in [
        "Kapasitas per jam",
        "Kuota harian reguler",
        "Hari kerja",
        "Zona waktu",
        "Pendaftaran dibuka",
        "Hari tutup",
        "Nomor WhatsApp",
    ]:
        assert label in page, label


def test_raising_capacity_in_the_admin_reaches_days_already_booked(admin_client, office, book):
    book()  # Tuesday 10 August 2027: after today, whatever today is
    page = admin_client.get(f"/admin/offices/office/{office.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name, field.initial)
        for name, field in form.fields.items()
        if form.initial.get(name, field.initial) is not None
    }
    data.update(
        {
            "working_days": list("12345"),
            "capacity_per_hour": 7,
            "opens_at": "08:00",
            "closes_at": "12:00",
            "numbers-TOTAL_FORMS": 0,
            "numbers-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        }
    )
    data.pop("registration_opens_at", None)
    data.pop("registration_closes_at", None)
    response = admin_client.post(f"/admin/offices/office/{office.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    load = SlotLoad.objects.get(
        office=office, day=datetime.date(2027, 8, 10), start=datetime.time(8)
    )
    assert load.capacity == 7


def test_bookings_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, book):
    booking = book().booking
    assert admin_client.get("/admin/booking/booking/add/").status_code == 403
    page = admin_client.get(f"/admin/booking/booking/{booking.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert booking.code in html
    assert "1987" not in html  # no birth date here
    assert admin_client.post(f"/admin/booking/booking/{booking.pk}/delete/").status_code == 403


def test_a_closure_with_hours_in_the_wrong_order_is_refused(admin_client):
    response = admin_client.post(
        "/admin/offices/office/add/",
        {
            "name": "X",
            "code": "x",
            "office_class": "I_TPI",
            "city": "X",
            "province": "X",
            "timezone": "Asia/Jakarta",
            "working_days": ["1"],
            "opens_at": "12:00",
            "closes_at": "08:00",
            "capacity_per_hour": 10,
            "daily_regular": 10,
            "daily_percepatan": 1,
            "daily_priority": 1,
            "horizon_days": 10,
            "message_format": "law",
            "confirm_minutes": 60,
            "arrival_lead_minutes": 30,
            "max_reschedules": 1,
            "reschedule_cutoff_days": 1,
            "numbers-TOTAL_FORMS": 0,
            "numbers-INITIAL_FORMS": 0,
            "closures-TOTAL_FORMS": 0,
            "closures-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert "Jam tutup harus setelah jam buka." in response.content.decode()


def test_the_zone_of_an_office_with_live_bookings_cannot_change(admin_client, office, book):
    from antrean.offices.admin import OfficeForm

    book()
    data = {f: getattr(office, f) for f in OfficeForm.Meta.fields}
    data |= {"working_days": list(office.working_days), "timezone": "Asia/Makassar"}
    form = OfficeForm(data, instance=office)
    assert not form.is_valid()
    assert "selama masih ada pemesanan aktif" in str(form.errors["timezone"])
