"""Group commit: every caller returns only after its own item was written, each item is
written once, concurrent callers share transactions, and a failed transaction fails
exactly the callers whose items it held."""

import threading
import time

import pytest

from antrean.lib.group_commit import GroupCommit


class Store:
    """A stand-in for a transaction: slow (like an fsync), all-or-nothing."""

    def __init__(self, seconds: float = 0.0, fail_when=lambda items: False):
        self.seconds = seconds
        self.fail_when = fail_when
        self.committed: list = []
        self.batches: list[list] = []
        self.lock = threading.Lock()

    def write(self, items: list) -> None:
        time.sleep(self.seconds)
        if self.fail_when(items):
            raise RuntimeError("database is locked")
        with self.lock:
            self.batches.append(list(items))
            self.committed.extend(items)


def in_threads(commit, items) -> dict:
    """Each item from its own thread, all at once; what each caller saw on return."""
    seen, start = {}, threading.Barrier(len(items))

    def one(item):
        start.wait()
        try:
            commit(item)
            seen[item] = "returned"
        except RuntimeError as error:
            seen[item] = str(error)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return seen


def test_alone_each_write_is_its_own_transaction():
    store = Store()
    commit = GroupCommit(store.write)
    for item in range(3):
        commit(item)
    assert store.batches == [[0], [1], [2]] and commit.commits == 3


def test_concurrent_writes_share_transactions_and_each_is_written_once_before_its_return():
    store = Store(seconds=0.05)
    commit = GroupCommit(store.write)
    returned_after_commit = []

    def write_and_check(item):
        commit(item)
        returned_after_commit.append(item in store.committed)

    seen = in_threads(write_and_check, list(range(40)))
    assert set(seen.values()) == {"returned"}
    assert sorted(store.committed) == list(range(40))  # each once
    assert all(returned_after_commit) and len(returned_after_commit) == 40
    assert commit.commits == len(store.batches) < 10  # 40 writes, a few transactions


def test_a_failed_transaction_fails_its_callers_and_no_other():
    store = Store(seconds=0.05, fail_when=lambda items: 7 in items)
    commit = GroupCommit(store.write)
    seen = in_threads(commit, list(range(30)))
    failed = {item for item, outcome in seen.items() if outcome != "returned"}
    assert 7 in failed
    assert set(seen.values()) <= {"returned", "database is locked"}
    assert failed.isdisjoint(store.committed)  # nothing of a failed batch is written
    assert sorted(failed | set(store.committed)) == list(range(30))
    commit(99)  # the next one is written as usual
    assert store.committed[-1] == 99


@pytest.mark.parametrize("most", [1, 3])
def test_a_batch_holds_at_most_most_items(most):
    store = Store(seconds=0.02)
    commit = GroupCommit(store.write, most=most)
    seen = in_threads(commit, list(range(20)))
    assert set(seen.values()) == {"returned"}
    assert sorted(store.committed) == list(range(20))
    assert max(len(batch) for batch in store.batches) <= most
