"""Group commit: the writes of many threads in one transaction, so one fsync.

A webhook may answer 200 only once its body is durable, and a durable commit costs a
flush to disk (~1-3 ms here), which on SQLite's single writer caps acknowledgements at a
few hundred a second however fast the rest is. Requests that arrive while a commit is
under way wait for it to end, then the first of them commits everyone's rows together:
each caller still returns only after its own row committed, and sees the commit's error
if it failed (nothing of that batch was written). With no concurrency it is one
transaction per write, as before.
"""

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class _Ticket(Generic[Item]):
    __slots__ = ("done", "error", "item")

    def __init__(self, item):
        self.item = item
        self.done = False
        self.error: BaseException | None = None


class GroupCommit(Generic[Item]):
    def __init__(self, write: Callable[[list], None], *, most: int = 100):
        self._write = write  # writes the items in one transaction, or raises
        self._most = most  # a batch's size at most: a transaction stays short
        self._lock = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._busy = False
        self.commits = 0  # how many transactions (for tests and curiosity)

    def __call__(self, item: Item) -> None:
        """Write `item` durably, with whatever other threads write meanwhile."""
        ticket = _Ticket(item)
        with self._lock:
            self._waiting.append(ticket)
        while True:
            with self._lock:
                while self._busy and not ticket.done:
                    self._lock.wait()
                if ticket.done:  # written, or failed, by a commit (ours or another's)
                    if ticket.error is not None:
                        raise ticket.error
                    return
                # Not written and nobody writing: this thread commits the next batch (which
                # holds its own item unless more than `most` were waiting before it).
                self._busy = True
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
            error = None
            try:
                self._write([t.item for t in batch])
            except BaseException as failed:
                error = failed
            finally:
                with self._lock:
                    for waiting in batch:
                        waiting.done, waiting.error = True, error
                    self._busy = False
                    self.commits += 1
                    self._lock.notify_all()
