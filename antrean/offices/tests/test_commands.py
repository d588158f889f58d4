"""`antrean offices --json` and `antrean bookings --json`: the operating contract."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from antrean.booking import actions

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_offices_json_has_the_contract_fields():
    call_command("seed-demo")
    offices = json.loads(run("offices", "--json"))
    assert len(offices) == 15
    jakarta = next(o for o in offices if o["code"] == "jakarta-pusat")
    for field in [
        "id",
        "name",
        "phone_number_id",
        "display_phone_number",
        "timezone",
        "capacity_per_hour",
    ]:
        assert field in jakarta
    assert jakarta["phone_number_id"] == "100000000000101"
    assert jakarta["display_phone_number"] == "+62 812-9900-4406"
    assert jakarta["timezone"] == "Asia/Jakarta"
    assert jakarta["capacity_per_hour"] == 50
    assert [n["label"] for n in jakarta["whatsapp_numbers"]] == ["LAW", "SIGAP"]
    batam = next(o for o in offices if o["code"] == "batam")
    assert batam["registration_hours"] == {"opens": "07:30", "closes": "10:00"}
    assert batam["message_format"] == "batam"


def test_offices_as_a_table():
    call_command("seed-demo")
    assert "Kantor Imigrasi Kelas I Khusus TPI Batam" in run("offices")


class TestBookings:
    @pytest.fixture
    def two(self, book, make_office, now):
        first = book(phone="0812-1111-2222").booking
        actions.confirm(code=first.code, now=now, actor="t")
        second = book(
            office=make_office(timezone="Asia/Jayapura"),
            phone="6281233334444",
            visit_date=datetime.date(2027, 8, 11),
        ).booking
        return first, second

    def test_json_fields(self, two):
        first, _ = two
        rows = json.loads(run("bookings", "--json"))
        assert len(rows) == 2
        row = next(r for r in rows if r["code"] == first.code)
        assert row == row | {
            "code": first.code,
            "status": "confirmed",
            "office": first.office_id,
            "phone": "6281211112222",
            "name": "Budi Santoso",
            "birth_date": "1987-01-25",
            "visit_date": "2027-08-10",
            "slot_start": "2027-08-10T08:00:00+07:00",
            "queue_number": "A-001",
        }

    def test_slot_start_is_in_the_office_zone(self, two):
        row = json.loads(run("bookings", "--json", "--phone", "6281233334444"))[0]
        assert row["slot_start"] == "2027-08-11T08:00:00+09:00"
        assert row["status"] == "pending" and row["queue_number"] is None

    def test_filters(self, two):
        first, second = two
        by_phone = json.loads(run("bookings", "--json", "--phone", "+62 812-1111-2222"))
        assert [r["code"] for r in by_phone] == [first.code]
        by_office = json.loads(run("bookings", "--json", "--office", str(second.office_id)))
        assert [r["code"] for r in by_office] == [second.code]
        by_code = json.loads(run("bookings", "--json", "--office", second.office.code))
        assert [r["code"] for r in by_code] == [second.code]
        by_date = json.loads(run("bookings", "--json", "--date", "2027-08-11"))
        assert [r["code"] for r in by_date] == [second.code]
        assert json.loads(run("bookings", "--json", "--date", "2027-08-12")) == []

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--date", "11-08-2027"], "use YYYY-MM-DD"),
            (["--office", "nowhere"], "no such office"),
            (["--phone", "12"], "not a phone number"),
        ],
    )
    def test_bad_filters_say_what_to_do(self, args, message, db):
        with pytest.raises(CommandError, match=message):
            call_command("bookings", "--json", *args)

    def test_the_table_never_shows_birth_dates(self, two):
        assert "1987" not in run("bookings")


def test_bookings_command_through_the_console_script(tmp_path):
    """The installed `antrean` command, in a fresh process, prints valid JSON."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = dict(os.environ, ANTREAN_DATA_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    antrean = Path(sys.executable).with_name("antrean")
    subprocess.run([antrean, "migrate", "-v0"], env=env, check=True)
    subprocess.run([antrean, "seed-demo"], env=env, check=True, capture_output=True)
    out = subprocess.run([antrean, "offices", "--json"], env=env, check=True, capture_output=True)
    assert len(json.loads(out.stdout)) == 15
    out = subprocess.run([antrean, "bookings", "--json"], env=env, check=True, capture_output=True)
    assert json.loads(out.stdout) == []
