"""What a database error says about trying again."""

from django.db import InterfaceError, OperationalError


def deadlocked(error: BaseException) -> bool:
    """A deadlock or a serialization failure (PostgreSQL): the transaction lost a race and
    was undone; the same work done another way, or again, goes through."""
    message = str(error).lower()
    return any(word in message for word in ("deadlock", "could not serialize"))


def database_away(error: BaseException) -> bool:
    """The database cannot serve us now (down, restarting, a locked SQLite file): the
    task's retry is the way, not another way of doing the same work at once."""
    return isinstance(error, OperationalError | InterfaceError) and not deadlocked(error)
