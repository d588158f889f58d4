"""Every back-office page and action, for every role, and across offices."""

import pytest
from django.urls import URLPattern, reverse

from antrean.backoffice import urls
from antrean.backoffice.roles import Can, Role, can
from antrean.feedback.actions import file_ticket

from .conftest import ON_TIME

SAMPLE = {"code": "K7QX2MPA", "number": 1, "pk": 1, "action": "next"}
PEOPLE_ROLES = {"hq": Role.HQ, "supervisor": Role.SUPERVISOR, "officer": Role.OFFICER}


def guarded():
    """(name, url, needs) for every view behind `staff_only`."""
    found = []
    for pattern in urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        needs = getattr(pattern.callback, "needs", None)
        if needs is None:
            continue
        kwargs = {key: SAMPLE[key] for key in pattern.pattern.converters}
        found.append((pattern.name, kwargs, needs))
    return found


GUARDED = guarded()


def test_every_view_but_signing_in_is_guarded():
    open_views = {p.name for p in urls.urlpatterns} - {name for name, _, _ in GUARDED}
    assert open_views == {"home", "login", "logout"}


@pytest.mark.parametrize(("name", "kwargs", "needs"), GUARDED, ids=[g[0] for g in GUARDED])
def test_strangers_are_sent_to_sign_in(client, db, name, kwargs, needs):
    url = reverse(f"backoffice:{name}", kwargs=kwargs)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("backoffice:login"))


@pytest.mark.parametrize(("name", "kwargs", "needs"), GUARDED, ids=[g[0] for g in GUARDED])
@pytest.mark.parametrize("who", list(PEOPLE_ROLES))
def test_each_role_reaches_exactly_what_it_may(as_user, counters, who, name, kwargs, needs):
    client = as_user(who)
    url = reverse(f"backoffice:{name}", kwargs=kwargs)
    allowed = can(PEOPLE_ROLES[who], needs)
    for method in (client.get, client.post):
        status = method(url).status_code
        if not allowed:
            assert status == 403, (who, name)
        else:
            assert status != 403, (who, name)
            assert status < 500


def test_a_user_without_a_staff_role_sees_nothing(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_user("tamu", password="x"))
    response = client.get(reverse("backoffice:today"))
    assert response.status_code == 403
    assert "belum terdaftar sebagai petugas" in response.content.decode()


def test_the_matrix_is_what_the_issue_says():
    assert can(Role.OFFICER, Can.CHECK_IN) and can(Role.OFFICER, Can.WORK_COUNTER)
    assert not can(Role.OFFICER, Can.CHANGE_SETTINGS)
    assert not can(Role.OFFICER, Can.OVERRIDE_LATE)
    assert can(Role.SUPERVISOR, Can.MANAGE_STAFF) and not can(Role.SUPERVISOR, Can.ALL_OFFICES)
    assert can(Role.HQ, Can.ALL_OFFICES)


# --- Another office's officer ------------------------------------------------------------
@pytest.fixture
def theirs(confirmed, office, now):
    booking = confirmed()
    ticket = file_ticket(office=office, phone="6281299990000", kind="complaint", text="x", now=now)
    return booking, ticket


def test_another_office_sees_none_of_our_applicants(as_user, theirs, counters):
    booking, _ = theirs
    client = as_user("elsewhere")
    code = booking.code
    assert client.get(reverse("backoffice:booking", args=[code])).status_code == 404
    assert (
        client.post(reverse("backoffice:set_stage", args=[code]), {"stage": "ready"}).status_code
        == 404
    )
    response = client.get(reverse("backoffice:check_in"), {"code": code})
    assert response.status_code == 404
    assert booking.name not in response.content.decode()
    response = client.get(reverse("backoffice:today"), {"q": code})
    assert booking.name not in response.content.decode()
    assert client.get(reverse("backoffice:counter", args=[1])).status_code == 404
    assert client.post(reverse("backoffice:counter_action", args=[1, "next"])).status_code == 404
    assert client.get(reverse("backoffice:queue_ticket", args=[code])).status_code == 302


def test_another_office_cannot_check_in_or_answer_our_tickets(
    as_user, theirs, people, other_office, time_machine
):
    booking, ticket = theirs
    time_machine.move_to(ON_TIME)
    client = as_user("elsewhere")
    response = client.post(reverse("backoffice:check_in"), {"code": booking.code})
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    people["elsewhere"].staff.role = Role.SUPERVISOR
    people["elsewhere"].staff.save()
    assert client.get(reverse("backoffice:ticket", args=[ticket.pk])).status_code == 404
    response = client.post(reverse("backoffice:ticket_action", args=[ticket.pk]), {"reply": "hai"})
    assert response.status_code == 404
    assert not ticket.replies.exists()


def test_headquarters_chooses_the_office(as_user, office, other_office):
    client = as_user("hq")
    client.post(reverse("backoffice:switch_office"), {"office": other_office.pk})
    assert other_office.name in client.get(reverse("backoffice:today")).content.decode()
    client.post(reverse("backoffice:switch_office"), {"office": office.pk})
    page = client.get(reverse("backoffice:today")).content.decode()
    assert f"antrean · {office.name}" in page
