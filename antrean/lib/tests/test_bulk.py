"""`update_rows` writes what Django's `bulk_update` writes, on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antrean.lib import bulk
from antrean.whatsapp.models import Contact

pytestmark = pytest.mark.django_db

FIELDS = ["state", "pair_tokens", "pair_at", "deliver_lease_owner", "slowed_told_at"]

values = st.fixed_dictionaries(
    {
        "state": st.dictionaries(st.sampled_from(["step", "nama", "kode"]), st.text(max_size=8)),
        "pair_tokens": st.none() | st.floats(-5, 5, allow_nan=False),
        "pair_at": st.none() | st.integers(-3600, 3600),
        "deliver_lease_owner": st.text("abc' \"\\%", max_size=6),
        "slowed_told_at": st.none() | st.integers(-3600, 0),
    }
)


@pytest.fixture
def number(office):
    return office.numbers.get()


def rows(number, n):
    return [Contact.objects.create(number=number, wa_id=f"62816000{i:05d}") for i in range(n)]


def read(contacts):
    return [
        tuple(getattr(c, name) for name in FIELDS)
        for c in Contact.objects.filter(pk__in=[c.pk for c in contacts]).order_by("pk")
    ]


def assign(contacts, drawn, now):
    for contact, value in zip(contacts, drawn, strict=True):
        contact.state = value["state"]
        contact.pair_tokens = value["pair_tokens"]
        at, told = value["pair_at"], value["slowed_told_at"]
        contact.pair_at = None if at is None else now + timedelta(seconds=at)
        contact.slowed_told_at = None if told is None else now + timedelta(seconds=told)
        contact.deliver_lease_owner = value["deliver_lease_owner"]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(values, min_size=1, max_size=5))
def test_it_writes_what_bulk_update_writes(number, drawn):
    now = timezone.now()
    contacts = rows(number, len(drawn))
    assign(contacts, drawn, now)
    assert bulk.update_rows(contacts, FIELDS) == len(contacts)
    ours = read(contacts)
    Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(state={}, pair_tokens=9.0)
    Contact.objects.bulk_update(contacts, FIELDS)
    assert ours == read(contacts)
    assert [row[0] for row in ours] == [value["state"] for value in drawn]  # decrypted back
    Contact.objects.filter(pk__in=[c.pk for c in contacts]).delete()


def test_the_state_is_stored_encrypted(number):
    contact = rows(number, 1)[0]
    contact.state = {"nama": "Budi Santoso"}
    bulk.update_rows([contact], ["state"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM whatsapp_contact WHERE id = %s", [contact.pk])
        stored = cursor.fetchone()[0]
    assert "Budi" not in stored
    assert Contact.objects.get(pk=contact.pk).state == {"nama": "Budi Santoso"}


def test_rows_that_no_longer_match_are_left_and_not_counted(number):
    mine, taken = rows(number, 2)
    Contact.objects.filter(pk=mine.pk).update(deliver_lease_owner="me")
    Contact.objects.filter(pk=taken.pk).update(deliver_lease_owner="other")
    for contact in (mine, taken):
        contact.pair_tokens = 1.5
    assert (
        bulk.update_rows([mine, taken], ["pair_tokens"], where={"deliver_lease_owner": "me"}) == 1
    )
    tokens = dict(Contact.objects.values_list("pk", "pair_tokens"))
    assert tokens == {mine.pk: 1.5, taken.pk: None}


def test_many_rows_go_in_chunks(number, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(bulk, "CHUNK", 3)
    contacts = rows(number, 7)
    for n, contact in enumerate(contacts):
        contact.pair_tokens = float(n)
    with django_assert_num_queries(3):
        assert bulk.update_rows(contacts, ["pair_tokens"]) == 7
    assert list(Contact.objects.order_by("pk").values_list("pair_tokens", flat=True)) == [
        float(n) for n in range(7)
    ]


def test_add_to_adds_to_each_rows_own_value_and_its_constraints_decide(office):
    from django.db import IntegrityError, transaction

    from antrean.booking.models import DayLoad

    days = [
        DayLoad.objects.create(office=office, day=f"2027-08-{10 + n}", quota="regular", capacity=5)
        for n in range(3)
    ]
    DayLoad.objects.filter(pk=days[0].pk).update(taken=2)  # since it was read
    assert bulk.add_to(DayLoad, "taken", {days[0].pk: 3, days[2].pk: 1}) == 2
    assert [d.taken for d in DayLoad.objects.order_by("day")] == [5, 0, 1]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.add_to(DayLoad, "taken", {days[1].pk: 2, days[0].pk: 1})  # 6 of 5
    assert [d.taken for d in DayLoad.objects.order_by("day")] == [5, 0, 1]
