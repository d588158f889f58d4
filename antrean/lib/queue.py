"""Huey on SQLite for a single machine, without an fsync per task; and the tasks' priorities.

The queue holds nudges, not work: the database is the record of what is left to do, and
the sweep at a worker's start (and every minute) hands it out again. So a nudge need not
survive a power cut, and `synchronous=NORMAL` (WAL: synced at checkpoints, never
corrupted) makes enqueueing ~10x cheaper than Huey's default FULL: one task per webhook
and one per answered message add up in a rush.
"""

import logging

from huey import PriorityRedisHuey, SqliteHuey
from huey.storage import PriorityRedisStorage, SqliteStorage
from redis import ConnectionPool
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Task priorities: Huey takes the highest first, and first-in-first-out within one (the
# sweep's catch-ups rely on that; so only these four levels). In a backlog (a quota
# release's rush) the jobs that run every minute, among them the draw, do not wait behind
# it; a webhook is read before messages are answered (it is cheap, and a status it
# carries settles a reply); and a reply someone waits for goes out before the next
# message is answered. Both queues we use honour them: SQLite, and Redis through
# PriorityRedisHuey (below).
PERIODIC = 30
INGEST = 20
DELIVER = 10
PROCESS = 0

# A Redis connection that goes silent (a failover, a forgotten NAT entry, a hung host: no
# answer and no close) must not hold a worker thread, or the web's nudging thread, for
# good. redis-py 8 gives up after 5 s by default; older ones waited forever, so it is said
# here rather than left to the library. Above Huey's blocking read (1 s); a URL's own
# `?socket_timeout=` wins.
REDIS_TIMEOUTS = {"socket_timeout": 5.0, "socket_connect_timeout": 5.0}


class _NudgeStorage(SqliteStorage):
    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


class NudgeQueue(SqliteHuey):
    storage_class = _NudgeStorage


class _PriorityRedisStorage(PriorityRedisStorage):
    def __init__(self, *args, url: str | None = None, **kwargs):
        if url:
            kwargs["connection_pool"] = ConnectionPool.from_url(url, **REDIS_TIMEOUTS)
        super().__init__(*args, **kwargs)
        # Until decisions §23 the queue was a Redis list under this same key, and ZADD and
        # BZPOPMIN refuse a list: every enqueue and every take would fail. It held nudges
        # only, so the first process to start drops it; a worker's start sweeps anyway.
        try:
            if self.conn.type(self.queue_key) == b"list":
                self.conn.delete(self.queue_key)
                log.warning("dropped the queue's old Redis list; the sweep hands it out again")
        except RedisError as error:  # away: nothing to convert yet, and no reason to stop
            log.warning("queue: could not look at Redis (%s)", type(error).__name__)


class RedisNudgeQueue(PriorityRedisHuey):
    """Huey on Redis with task priorities."""

    storage_class = _PriorityRedisStorage
