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


def _contacts(number, drawn, now, prefix):
    contacts = [Contact(number=number, wa_id=f"{prefix}{i:05d}") for i in range(len(drawn))]
    assign(contacts, drawn, now)
    return contacts


def _stored(objs, model, exclude=("id",)):
    """The rows as the ORM reads them back, keys and the fields they point by left out."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname not in exclude]
    found = {obj.pk: obj for obj in model.objects.filter(pk__in=[o.pk for o in objs])}
    return [tuple(getattr(found[obj.pk], name) for name in names) for obj in objs]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(values, min_size=1, max_size=7), chunk=st.integers(1, 4))
def test_insert_rows_writes_what_bulk_create_writes(number, drawn, chunk, monkeypatch):
    from antrean.whatsapp.models import InboundMessage

    monkeypatch.setattr(bulk, "CHUNK", chunk)
    now = timezone.now()
    theirs = Contact.objects.bulk_create(_contacts(number, drawn, now, "62817"))
    ours = _contacts(number, drawn, now, "62818")
    # Messages assigned to their chats before the chats have keys: they take them on insert.
    messages = [
        InboundMessage(
            contact=contact,
            wamid=f"wamid.{n}",
            kind="text",
            sent_at=now,
            received_at=now + timedelta(seconds=n),
            payload={"text": {"body": f"#Budi#{n}"}},
        )
        for n, contact in enumerate(ours)
    ]
    assert bulk.insert_rows(ours) is ours
    assert all(c.pk is not None and not c._state.adding for c in ours)
    assert len({c.pk for c in ours}) == len(ours)
    # Each object got its own row's key: its wa_id is the one stored under that key.
    assert [Contact.objects.get(pk=c.pk).wa_id for c in ours] == [c.wa_id for c in ours]
    assert _stored(ours, Contact, ("id", "wa_id")) == _stored(theirs, Contact, ("id", "wa_id"))
    bulk.insert_rows(messages)
    stored = {m.wamid: m for m in InboundMessage.objects.filter(contact__in=ours)}
    assert [(stored[m.wamid].contact_id, stored[m.wamid].payload) for m in messages] == [
        (c.pk, {"text": {"body": f"#Budi#{n}"}}) for n, c in enumerate(ours)
    ]
    InboundMessage.objects.filter(contact__in=ours).delete()
    Contact.objects.filter(pk__in=[c.pk for c in ours + theirs]).delete()


def test_insert_rows_stores_encrypted_and_refuses_rows_with_keys(number):
    contact = Contact(number=number, wa_id="6281900001", state={"nama": "Budi Santoso"})
    bulk.insert_rows([contact])
    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM whatsapp_contact WHERE id = %s", [contact.pk])
        assert "Budi" not in cursor.fetchone()[0]
    assert Contact.objects.get(pk=contact.pk).state == {"nama": "Budi Santoso"}
    with pytest.raises(ValueError):
        bulk.insert_rows([contact])  # it has its row already
    assert bulk.insert_rows([]) == []
