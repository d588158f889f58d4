"""Storing the satisfaction survey: one answer per served booking, from its own number."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from antrean.booking import actions, office_actions
from antrean.booking.errors import BookingNotFound
from antrean.booking.explain import explain
from antrean.feedback import actions as feedback_actions
from antrean.feedback.actions import record_survey
from antrean.feedback.errors import CommentTooLong, InvalidScores, NotServed, NotYourBooking
from antrean.feedback.models import Survey
from antrean.offices.models import Counter

from conftest import WIB

pytestmark = pytest.mark.django_db

SERVED_AT = datetime.datetime(2027, 8, 10, 8, 20, tzinfo=WIB)
LATER = SERVED_AT + datetime.timedelta(hours=2)
GOOD = (4, 3, 3, 2, 4, 4, 4, 1, 3)


@pytest.fixture
def served(office, book, now):
    """A booking served at counter 1 on its day (Tuesday 10 August, 08.00)."""
    counter = Counter.objects.create(office=office, number=1)

    def make():
        code = book().booking.code
        actions.confirm(code=code, now=now, actor="test")
        actions.check_in(
            code=code, now=SERVED_AT.replace(hour=7, minute=0), actor="test", identity_checked=True
        )
        office_actions.call_next(counter=counter, now=SERVED_AT.replace(minute=10), actor="t")
        return office_actions.finish(
            code=code, office=office, now=SERVED_AT, actor="test", served=True
        )

    return make


def answer(booking, scores=GOOD, comment="", phone=None, now=LATER):
    return record_survey(
        booking_code=booking.code,
        phone=phone or booking.phone,
        scores=scores,
        comment=comment,
        now=now,
    )


def test_an_answer_is_stored_with_its_comment_encrypted(served, office):
    booking = served()
    survey = answer(booking, comment="  Toilet kotor; NIK saya 3171012501870001  ")
    assert survey.fresh
    survey.refresh_from_db()
    assert (survey.office, survey.booking, survey.scores) == (office, booking, GOOD)
    assert survey.answered_at == LATER
    assert survey.comment == "Toilet kotor; NIK saya 3171012501870001"
    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM feedback_survey WHERE id = %s", [survey.pk])
        (stored,) = cursor.fetchone()
    assert "3171012501870001" not in stored and "Toilet" not in stored


def test_answering_twice_keeps_the_first_answer(served):
    booking = served()
    first = answer(booking, comment="Cepat")
    again = answer(booking, scores=(1,) * 9, comment="Lain kali", now=LATER + datetime.timedelta(1))
    assert (again.pk, again.fresh) == (first.pk, False)
    assert (again.scores, again.comment, again.answered_at) == (GOOD, "Cepat", LATER)
    assert Survey.objects.get().scores == GOOD


def test_a_race_lost_to_the_unique_index_returns_the_winner(served, monkeypatch):
    booking = served()
    winner = answer(booking)
    # As if the other answer committed between our look and our insert.
    monkeypatch.setattr(feedback_actions, "_answer_of", lambda booking: None)
    with transaction.atomic():  # the caller's transaction stays usable afterwards
        again = answer(booking, scores=(2,) * 9)
        assert (again.pk, again.fresh, again.scores) == (winner.pk, False, GOOD)
        assert Survey.objects.count() == 1


def test_only_the_number_that_booked_may_answer(served):
    booking = served()
    with pytest.raises(NotYourBooking) as refused:
        answer(booking, phone="6281299999999")
    assert not Survey.objects.exists()
    sentence = explain(refused.value, "id")
    assert booking.code in sentence and "nomor WhatsApp yang dipakai saat memesan" in sentence


def test_only_a_served_booking_may_answer(book, now):
    booking = actions.confirm(code=book().booking.code, now=now, actor="test")
    with pytest.raises(NotServed) as refused:
        answer(booking)
    assert not Survey.objects.exists()
    assert "Status pemesanan saat ini: terkonfirmasi." in explain(refused.value, "id")
    assert "The booking is currently: confirmed." in explain(refused.value, "en")


def test_an_unknown_code_is_not_found(db):
    with pytest.raises(BookingNotFound):
        record_survey(
            booking_code="ZZZZ2345", phone="6281299999999", scores=GOOD, comment="", now=LATER
        )


@pytest.mark.parametrize(
    "scores",
    [GOOD[:8], (*GOOD, 3), (*GOOD[:8], 5), (0, *GOOD[1:]), (*GOOD[:8], True), ("4",) * 9, ()],
    ids=["eight", "ten", "a five", "a zero", "a bool", "strings", "none"],
)
def test_scores_are_nine_each_from_one_to_four(served, scores):
    booking = served()
    with pytest.raises(InvalidScores) as refused:
        answer(booking, scores=scores)
    assert not Survey.objects.exists()
    assert "diperlukan 9 jawaban, masing-masing angka 1 sampai 4" in explain(refused.value, "id")


def test_a_comment_has_at_most_a_thousand_letters(served):
    booking = served()
    with pytest.raises(CommentTooLong):
        answer(booking, comment="x" * 1001)
    assert answer(booking, comment="x" * 1000).comment == "x" * 1000


def test_the_database_refuses_a_score_outside_one_to_four(served, office):
    booking = served()
    scores = dict(zip([f"u{n}" for n in range(1, 10)], GOOD, strict=True))
    with pytest.raises(IntegrityError), transaction.atomic():
        Survey.objects.create(
            office=office, booking=booking, answered_at=LATER, **(scores | {"u7": 5})
        )


def test_surveys_are_readable_but_not_editable_in_the_admin(client, served, django_user_model):
    booking = served()
    survey = answer(booking, comment="Ramah")
    user = django_user_model.objects.create_superuser("hq", "hq@example.invalid", "x-Rahasia-1")
    client.force_login(user)
    assert booking.code in client.get("/admin/feedback/survey/").content.decode()
    page = client.get(f"/admin/feedback/survey/{survey.pk}/change/").content.decode()
    assert "Ramah" in page and 'name="u1"' not in page
    assert client.get("/admin/feedback/survey/add/").status_code == 403
