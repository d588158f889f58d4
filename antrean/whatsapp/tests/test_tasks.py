"""A task that met a locked or restarted database runs again a little later, rather than
leaving its chat to the next catch-up."""

import pytest
from django.db import OperationalError
from huey.contrib.djhuey import HUEY

from antrean.whatsapp import inbound, ingest, outbox, tasks


@pytest.fixture
def queue():
    HUEY.flush()
    yield HUEY
    HUEY.flush()


@pytest.mark.parametrize(
    "task, module, function",
    [
        (tasks.ingest_task.s(), ingest, "drain"),
        (tasks.process_contact_task.s(7), inbound, "process_contact"),
        (tasks.deliver_task.s(7), outbox, "deliver"),
    ],
    ids=["ingest", "process", "deliver"],
)
def test_a_task_the_database_refused_runs_again(queue, monkeypatch, task, module, function):
    def locked(*args):
        raise OperationalError("database is locked")

    monkeypatch.setattr(module, function, locked)
    queue.execute(task)
    (again,) = queue.scheduled()
    assert (again.name, again.args, again.retries) == (task.name, task.args, 19)
    assert again.eta is not None  # after a delay, not at once
