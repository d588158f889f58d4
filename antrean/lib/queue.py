"""Huey on SQLite for a single machine, without an fsync per task.

The queue holds nudges, not work: the database is the record of what is left to do, and
the sweep at a worker's start (and every minute) hands it out again. So a nudge need not
survive a power cut, and `synchronous=NORMAL` (WAL: synced at checkpoints, never
corrupted) makes enqueueing ~10x cheaper than Huey's default FULL: one task per webhook
and one per answered message add up in a rush.
"""

from huey import SqliteHuey
from huey.storage import SqliteStorage


class _NudgeStorage(SqliteStorage):
    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class NudgeQueue(SqliteHuey):
    storage_class = _NudgeStorage
