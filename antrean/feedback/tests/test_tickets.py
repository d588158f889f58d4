import pytest
from django.db import connection

from antrean.feedback.actions import file_ticket

from conftest import NOW

pytestmark = pytest.mark.django_db


def test_tickets_are_numbered_and_their_text_is_encrypted(office):
    first = file_ticket(
        office=office,
        phone="6281234567890",
        kind="complaint",
        text=" Loket 3 lama, NIK saya 3171012501870001 ",
        now=NOW,
    )
    second = file_ticket(
        office=office, phone="6281234567890", kind="appreciation", text="Terima kasih", now=NOW
    )
    assert first.number == f"T-2708-{first.pk:05d}"
    assert second.number != first.number
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM feedback_ticket WHERE id = %s", [first.pk])
        (stored,) = cursor.fetchone()
    assert "3171012501870001" not in stored and "Loket" not in stored
    first.refresh_from_db()
    assert first.text == "Loket 3 lama, NIK saya 3171012501870001"


def test_officers_see_tickets_in_the_admin(client, office):
    from django.contrib.auth import get_user_model

    ticket = file_ticket(
        office=office, phone="6281234567890", kind="complaint", text="Toilet kotor", now=NOW
    )
    user = get_user_model().objects.create_superuser("hq", "hq@example.invalid", "x-Rahasia-1")
    client.force_login(user)
    listing = client.get("/admin/feedback/ticket/").content.decode()
    assert ticket.number in listing and "pengaduan" in listing
