"""The erased value of an encrypted field: an empty column, no token, found by
`filter(field="")`, read as "" (text), None (date) or the field's default (JSON)."""

import pytest
from django.db import connection

from antrean.booking.models import Booking
from antrean.feedback.models import Survey
from antrean.lib.fields import ERASED
from antrean.whatsapp.models import Contact

pytestmark = pytest.mark.django_db


def stored(table: str, column: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_erased_values_are_empty_columns_and_read_back_empty(book, office):
    booking = book(nik=None).booking
    assert stored("booking_booking", "birth_date", booking.pk).startswith("gAAAAA")
    Booking.objects.filter(pk=booking.pk).update(birth_date=ERASED)
    assert stored("booking_booking", "birth_date", booking.pk) == ""
    assert Booking.objects.get(pk=booking.pk).birth_date is None
    assert list(Booking.objects.filter(birth_date=ERASED)) == [booking]

    contact = Contact.objects.create(
        number=office.numbers.get(), wa_id="6281234567890", state={"step": "ask_name"}
    )
    Contact.objects.filter(pk=contact.pk).update(state=ERASED)
    assert Contact.objects.get(pk=contact.pk).state == {}  # its default: a fresh conversation


def test_other_values_stay_tokens(book):
    booking = book().booking
    survey = Survey.objects.create(
        office=booking.office, booking=booking, answered_at=booking.created_at,
        comment="Ruang tunggu panas", **{f"u{n}": 4 for n in range(1, 10)},
    )  # fmt: skip
    token = stored("feedback_survey", "comment", survey.pk)
    assert token.startswith("gAAAAA") and "panas" not in token
    assert Survey.objects.get(pk=survey.pk).comment == "Ruang tunggu panas"
    assert not Survey.objects.filter(comment=ERASED).exists()
