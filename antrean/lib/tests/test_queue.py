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
