"""The single-machine queue keeps Huey's SQLite storage, syncing at checkpoints only."""

from antrean.lib.queue import NudgeQueue


def test_tasks_survive_a_restart_of_the_queue_and_commits_are_not_synced(tmp_path):
    queue = NudgeQueue("test", filename=str(tmp_path / "q.sqlite3"))

    @queue.task()
    def nudge(n):
        return n

    nudge(7)
    synchronous = queue.storage.conn.execute("pragma synchronous").fetchone()[0]
    journal = queue.storage.conn.execute("pragma journal_mode").fetchone()[0]
    assert (synchronous, journal) == (1, "wal")  # NORMAL: never corrupt, synced at checkpoints

    reopened = NudgeQueue("test", filename=str(tmp_path / "q.sqlite3"))
    assert reopened.pending_count() == 1


def test_the_redis_queue_gives_up_on_a_silent_connection_unless_its_url_says_otherwise():
    """Without a socket timeout a connection that goes silent holds a worker thread for
    good (test_faults.py: connections gone silent). Nothing is connected here."""
    from antrean.lib.queue import RedisNudgeQueue

    def timeouts(url):
        pool = RedisNudgeQueue("test", url=url).storage.pool
        return pool.connection_kwargs["socket_timeout"], pool.connection_kwargs[
            "socket_connect_timeout"
        ]

    assert timeouts("redis://127.0.0.1:1/0") == (5.0, 5.0)
    assert timeouts("redis://127.0.0.1:1/0?socket_timeout=2") == (2.0, 5.0)
