"""Huey on SQLite for a single machine, without an fsync per task; and the tasks' priorities.

The queue holds nudges, not work: the database is the record of what is left to do, and
the sweep at a worker's start (and every minute) hands it out again. So a nudge need not
survive a power cut, and `synchronous=NORMAL` (WAL: synced at checkpoints, never
corrupted) makes enqueueing ~10x cheaper than Huey's default FULL: one task per webhook
and one per answered message add up in a rush.
"""

from huey import SqliteHuey
from huey.storage import SqliteStorage

# Task priorities: Huey takes the highest first, and first-in-first-out within one (the
# sweep's catch-ups rely on that; so only these four levels). In a backlog (a quota
# release's rush) the jobs that run every minute, among them the draw, do not wait behind
# it; a webhook is read before messages are answered (it is cheap, and a status it
# carries settles a reply); and a reply someone waits for goes out before the next
# message is answered. Both queues we use honour them: SQLite, and Redis through
# PriorityRedisHuey.
PERIODIC = 30
INGEST = 20
DELIVER = 10
PROCESS = 0


class _NudgeStorage(SqliteStorage):
    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class NudgeQueue(SqliteHuey):
    storage_class = _NudgeStorage
