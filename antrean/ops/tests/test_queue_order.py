"""The worker's queue takes our tasks by priority, first-in-first-out within one, on both
queues a deployment configures: SQLite (the default) and Redis (REDIS_URL).

Each runs in a process of its own, so that settings.py picks the queue from the
environment as it does in production.
"""

import json
import os
import subprocess
import sys

from django.conf import settings

# Enqueued in this order, as a backlog in a rush would have them, then taken.
SCRIPT = """
import json, django
django.setup()
from huey.contrib.djhuey import HUEY
from antrean.release.tasks import release_task
from antrean.whatsapp import tasks

for task in [  # into a new queue: a new folder, a new redis-server

    tasks.process_contact_task.s(1),
    tasks.process_contact_task.s(2),
    tasks.deliver_task.s(1),
    tasks.catch_up_processing_task.s("a minute ago"),
    tasks.ingest_task.s(),
    tasks.process_contact_task.s(3),
    tasks.catch_up_delivery_task.s("a minute ago"),
    tasks.deliver_task.s(2),
    release_task.s(),
]:
    HUEY.enqueue(task)
taken = []
while (task := HUEY.dequeue()) is not None:
    taken.append([task.name, *task.args])
print(json.dumps([type(HUEY).__name__, taken]))
"""

# The periodic job first, then the webhooks, the replies, and the messages last.
TAKEN = [
    ["release_task"],
    ["ingest_task"],
    ["deliver_task", 1],
    ["catch_up_delivery_task", "a minute ago"],
    ["deliver_task", 2],
    ["process_contact_task", 1],
    ["process_contact_task", 2],
    ["catch_up_processing_task", "a minute ago"],
    ["process_contact_task", 3],
]


def taken_by_queue(tmp_path, **environment) -> tuple[str, list]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "ANTREAN_DATA_DIR")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="antrean.settings",
        ANTREAN_DATA_DIR=str(tmp_path),
        PYTHONPATH=str(settings.BASE_DIR),
        **environment,
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return tuple(json.loads(done.stdout.splitlines()[-1]))


def test_the_sqlite_queue_takes_tasks_by_priority(tmp_path):
    assert taken_by_queue(tmp_path) == ("NudgeQueue", TAKEN)


def test_the_redis_queue_takes_tasks_by_priority(tmp_path, redis_server):
    queue = taken_by_queue(tmp_path, REDIS_URL=redis_server.url)
    assert queue == ("RedisNudgeQueue", TAKEN)


def test_the_redis_queue_of_before_its_priorities_is_dropped(tmp_path, redis_server):
    """Huey's list under the same key (RedisHuey, before decisions §23) would make every
    enqueue fail: it held nudges only, and gives way."""
    redis_server.client().lpush("huey.redis.antrean", b"a nudge of the old queue")
    queue = taken_by_queue(tmp_path, REDIS_URL=redis_server.url)
    assert queue == ("RedisNudgeQueue", TAKEN)
