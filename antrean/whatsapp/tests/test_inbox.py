"""The inbox: where webhook deliveries wait, and how the drain ingests and deletes them.

On SQLite the deliveries have a file of their own, so the webhook answers while the
worker holds the main file's write lock; a batch ingested twice (its drain died before
deleting it) adds nothing; webhooks arriving together are committed together.
"""

import json
import sqlite3
import subprocess
import threading
from contextlib import closing

import pytest
from django.db import OperationalError, connections, router
from django.db.models import QuerySet
from django.utils import timezone

from antrean.ops.tests.processes import ANTREAN, environment
from antrean.whatsapp import inbox, ingest
from antrean.whatsapp.models import Contact, Delivery, InboundMessage
from antrean.whatsapp.tests import payloads_for_tests as make

ON_SQLITE = connections["default"].vendor == "sqlite"
only_sqlite = pytest.mark.skipif(not ON_SQLITE, reason="SQLite's file lock: the SQLite pass")


def stored(number, count: int) -> list[str]:
    """`count` webhook bodies stored as the webhook stores them; their wamids."""
    wamids = []
    for n in range(count):
        wamid = f"wamid.INBOX{n}"
        body = make.text(number.phone_number_id, f"6281200001{n:03d}", "halo", wamid=wamid)
        ingest.store(json.dumps(body), timezone.now())
        wamids.append(wamid)
    return wamids


def test_deliveries_have_a_database_of_their_own_on_sqlite_and_share_postgresqls():
    if ON_SQLITE:
        assert inbox.alias() == "inbox"
        main = connections["default"].settings_dict["NAME"]
        assert connections["inbox"].settings_dict["NAME"] != main
    else:
        assert inbox.alias() == "default"
    assert router.db_for_write(Delivery) == inbox.alias()
    assert router.db_for_write(InboundMessage) == "default"


def test_migrations_put_each_table_in_its_database():
    assert router.allow_migrate(inbox.alias(), "whatsapp", model_name="delivery")
    assert router.allow_migrate("default", "booking", model_name="booking")
    if ON_SQLITE:
        assert not router.allow_migrate("default", "whatsapp", model_name="delivery")
        assert not router.allow_migrate("inbox", "whatsapp", model_name="inboundmessage")
        assert not router.allow_migrate("inbox", "offices")  # data migrations: default only


def test_a_drain_that_dies_after_its_ingest_leaves_a_batch_that_adds_nothing_twice(
    number, monkeypatch
):
    """Killed between the ingest (committed, in the main file) and the delete (in the
    inbox): the next drain, at once, ingests the batch again and adds nothing."""
    wamids = stored(number, 4)
    real_delete = QuerySet.delete

    def killed(queryset):
        if queryset.model is Delivery:
            raise SystemExit("worker killed")
        return real_delete(queryset)

    monkeypatch.setattr(QuerySet, "delete", killed)
    with pytest.raises(SystemExit):
        ingest.drain()
    monkeypatch.setattr(QuerySet, "delete", real_delete)
    assert Delivery.objects.count() == 4
    if not ON_SQLITE:  # one database: ingest and delete were one transaction, rolled back
        assert not InboundMessage.objects.exists()
        assert ingest.drain().stored == 4
        return
    assert sorted(InboundMessage.objects.values_list("wamid", flat=True)) == sorted(wamids)

    tally = ingest.drain()
    assert (tally.stored, tally.duplicates) == (0, 4)
    assert InboundMessage.objects.count() == 4 and Contact.objects.count() == 4
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("one_by_one", [False, True], ids=["together", "one-by-one"])
def test_a_main_database_that_is_away_leaves_the_batch_for_the_next_try(
    number, monkeypatch, one_by_one
):
    stored(number, 2)

    def away(*args):
        raise OperationalError("database is locked")

    def refused(*args):
        raise ValueError("something in the batch cannot be stored")

    # Met by the batch's insert, or by a delivery's own after the batch could not go in.
    monkeypatch.setattr(ingest, "_store_together", refused if one_by_one else away)
    monkeypatch.setattr(ingest, "ingest", away)
    with pytest.raises(OperationalError):
        ingest.drain()  # the task is retried
    assert Delivery.objects.count() == 2
    monkeypatch.undo()
    assert ingest.drain().stored == 2
    assert not Delivery.objects.exists()


@only_sqlite
def test_a_drain_asked_for_during_another_leaves_the_work_to_it(number, monkeypatch):
    """One drain per process on the inbox: a second (another thread's nudge for a delivery
    stored just as the first found the inbox empty) returns at once, and the first looks
    again before it stops."""
    stored(number, 1)
    real = ingest._next_batch
    seen = []

    def then_another():
        found = real()
        if not found and not seen:  # the first found nothing more: just then...
            body = make.text(number.phone_number_id, "628120009", "x")
            ingest.store(json.dumps(body), timezone.now())
            seen.append(ingest.drain().stored)  # ...another thread's drain, as it were
        return found

    monkeypatch.setattr(ingest, "_next_batch", then_another)
    assert ingest.drain().stored == 2  # its own delivery, then the one left to it
    assert seen == [0]
    assert not Delivery.objects.exists() and InboundMessage.objects.count() == 2
    assert ingest.drain().stored == 0  # and the drain is free again


@only_sqlite
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_webhook_answers_while_the_worker_holds_the_main_files_write_lock(
    client, secret, number
):
    main = connections["default"].settings_dict["NAME"]
    connections.close_all()
    with closing(sqlite3.connect(main, timeout=60, isolation_level=None)) as worker:
        worker.execute("BEGIN IMMEDIATE")  # a booking's transaction, for as long as it takes
        answered = []
        payload = make.text(number.phone_number_id, "628120000999", "halo", wamid="wamid.LOCK")
        # In a thread, so a webhook that waited for the lock could not hang the test.
        post = threading.Thread(
            target=lambda: answered.append(make.post(client, payload, drain=False))
        )
        post.start()
        post.join(timeout=10)
        answered_during_the_lock = list(answered)
        worker.execute("ROLLBACK")
        post.join()
    assert [r.status_code for r in answered_during_the_lock] == [200]
    assert Delivery.objects.count() == 1
    assert ingest.drain().stored == 1
    assert InboundMessage.objects.get().wamid == "wamid.LOCK"


def test_antrean_migrate_migrates_every_database(tmp_path):
    env = environment(tmp_path / "data")
    subprocess.run([ANTREAN, "migrate", "-v0"], env=env, check=True, timeout=300)
    if "DATABASE_URL" in env:
        return  # PostgreSQL: one database, Django's own migrate
    tables = {}
    for path in sorted((tmp_path / "data").glob("*.sqlite3")):
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            tables[path.name] = {name for (name,) in rows}
    assert "whatsapp_delivery" in tables["antrean-inbox.sqlite3"]
    assert tables["antrean-inbox.sqlite3"] - {"whatsapp_delivery"} <= {
        "django_migrations",
        "sqlite_sequence",
    }
    assert "whatsapp_delivery" not in tables["antrean.sqlite3"]
    assert "booking_booking" in tables["antrean.sqlite3"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_webhooks_arriving_together_are_each_stored_once_before_their_200(secret, number):
    from django.test import Client

    count = 16
    start, answers = threading.Barrier(count), {}

    def post(n: int) -> None:
        wamid = f"wamid.TOGETHER{n}"
        body = make.text(number.phone_number_id, f"6281300000{n:02d}", "halo", wamid=wamid)
        start.wait()
        answers[wamid] = make.post(Client(), body, drain=False).status_code
        # Acknowledged means durable: another connection sees it at once.
        answers[wamid] = (answers[wamid], stored_elsewhere(wamid))
        connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(answers.values()) == {(200, True)} and len(answers) == count
    assert Delivery.objects.count() == count
    assert ingest.drain().stored == count
    assert InboundMessage.objects.count() == count


def stored_elsewhere(wamid: str) -> bool:
    """Whether a delivery carrying `wamid` is committed, seen from a connection of its own."""
    from antrean.lib import crypto

    connection = connections.create_connection(inbox.alias())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT body FROM whatsapp_delivery")
            return any(wamid in crypto.decrypt(body) for (body,) in cursor.fetchall())
    finally:
        connection.close()


def test_the_webhooks_insert_writes_the_row_the_orm_would(number):
    """The webhook's plain INSERT (ingest._insert_deliveries) against bulk_create: the same
    stored timestamp, a body encrypted the same way that reads back the same."""
    from antrean.lib import crypto

    when = timezone.now().replace(microsecond=123456)
    text = '{"object": "whatsapp_business_account", "naam": "Budi Ñoño"}'
    ingest.store(text, when)
    Delivery.objects.bulk_create([Delivery(received_at=when, body=text)])
    ours, orms = Delivery.objects.order_by("id")
    assert (ours.received_at, ours.body) == (orms.received_at, orms.body) == (when, text)
    with connections[inbox.alias()].cursor() as cursor:
        cursor.execute("SELECT received_at, body FROM whatsapp_delivery ORDER BY id")
        (our_at, our_body), (orm_at, orm_body) = cursor.fetchall()
    assert our_at == orm_at
    assert our_body != text and crypto.decrypt(our_body) == crypto.decrypt(orm_body) == text
