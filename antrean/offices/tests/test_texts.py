"""Office staff's own wording for what applicants read."""

import pytest
from django.core.exceptions import ValidationError

from antrean.offices.models import OfficeText
from antrean.offices.queries import office_texts

pytestmark = pytest.mark.django_db


def test_an_office_own_text_wins_over_the_one_for_all(office, make_office):
    OfficeText.objects.create(office=None, key="sigap.pickup", text_id="Untuk semua kantor.")
    OfficeText.objects.create(
        office=office, key="sigap.pickup", text_id="Loket 7.", text_en="Counter 7."
    )
    assert office_texts(office)["sigap.pickup"] == {"id": "Loket 7.", "en": "Counter 7."}
    assert office_texts(make_office())["sigap.pickup"] == {"id": "Untuk semua kantor."}


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("no.such.text", "x", "tidak dikenal"),
        ("sigap.lost", "Datang ke {kantor}.", "Isian {kantor} tidak dikenal"),
        ("sigap.lost", "Datang ke {office.", "tidak berpasangan"),
        ("sigap.pickup", "x" * 801, "Paling banyak 800 huruf untuk teks ini"),
        ("sigap.row.book", "Pesan antrean paspor baru", "Paling banyak 24 huruf"),
        ("chat.button_confirm", "Konfirmasi sekarang juga", "Paling banyak 20 huruf"),
    ],
)
def test_mistakes_staff_could_make_are_refused_with_the_reason(office, key, text, message):
    with pytest.raises(ValidationError, match=message):
        OfficeText(office=office, key=key, text_id=text).full_clean()


def test_placeholders_the_default_uses_are_allowed(office):
    OfficeText(
        office=office, key="sigap.lost", text_id="Datang ke {office} membawa e-KTP."
    ).full_clean()


def test_the_admin_lists_every_text_and_shows_the_default(client, office):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("hq", "hq@example.invalid", "x-Rahasia-1")
    client.force_login(user)
    page = client.get("/admin/offices/officetext/add/").content.decode()
    assert "sigap.pay" in page and "sigap.menu_body" in page
    response = client.post(
        "/admin/offices/officetext/add/",
        {
            "office": office.pk,
            "key": "sigap.pickup",
            "text_id": "Ambil di loket 7.",
            "text_en": "",
        },
    )
    assert response.status_code == 302
    detail = client.get(f"/admin/offices/officetext/{OfficeText.objects.get().pk}/change/")
    assert "Cara mengambil paspor" in detail.content.decode()  # the default, for reference
