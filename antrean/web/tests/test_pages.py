import datetime

import pytest
from django.core.management import call_command

from antrean.booking.models import DayLoad

pytestmark = pytest.mark.django_db


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_the_home_page_lists_offices_numbers_and_free_places(client, time_machine):
    time_machine.move_to(datetime.datetime(2027, 8, 9, 6, tzinfo=datetime.UTC), tick=False)
    call_command("seed-demo")
    page = client.get("/").content.decode()
    assert "#NAMA#TGLLAHIR#TGLKEDATANGAN" in page
    assert "Kantor Imigrasi Kelas I Non TPI Jakarta Pusat" in page
    assert "+62 812-9900-4406" in page
    assert "WITA" in page and "WIT" in page
    assert "#Nama#TglLahir#Alamat" in page  # Batam's own format
    assert "350" in page  # Jakarta Pusat's free regular places on an untouched day


def test_a_full_day_shows_as_full(client, office, time_machine):
    time_machine.move_to(datetime.datetime(2027, 8, 9, 6, tzinfo=datetime.UTC), tick=False)
    DayLoad.objects.create(
        office=office, day=datetime.date(2027, 8, 10), quota="regular", capacity=10, taken=10
    )
    page = client.get("/").content.decode()
    assert "penuh" in page


def test_static_files_are_served(client):
    response = client.get("/static/web/site.css")
    assert response.status_code == 200
