"""Where webhook deliveries are kept: on SQLite, a database file of their own.

SQLite has one writer per file. If the webhook's insert shared the file with the worker,
every acknowledgement would wait behind the worker's transactions (a booking holds the
write lock for ~20 ms), and in a rush the web would answer Meta in seconds instead of
milliseconds. In their own file ("inbox") the deliveries are written by the web and
only claimed and deleted by the drain, in transactions of a few rows' length. Ingesting
is idempotent (unique wamids, statuses that never move back), so the drain needs no
transaction spanning both files (docs/decisions.md §22).

On PostgreSQL there is no such lock, and one database keeps deployment simple: without an
"inbox" alias in DATABASES the deliveries live in the default database.
"""

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

INBOX = "inbox"


def alias() -> str:
    """The database alias deliveries are read from and written to."""
    return INBOX if INBOX in settings.DATABASES else DEFAULT_DB_ALIAS


def _is_delivery(app_label: str, model_name: str | None) -> bool:
    return app_label == "whatsapp" and model_name == "delivery"


class InboxRouter:
    """Deliveries to `alias()`, everything else to the default database."""

    def db_for_read(self, model, **hints):
        if _is_delivery(model._meta.app_label, model._meta.model_name):
            return alias()
        return DEFAULT_DB_ALIAS

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None  # a delivery refers to nothing

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if db == INBOX:
            # Data migrations (RunPython, no model_name) run on the default database only.
            return _is_delivery(app_label, model_name)
        if _is_delivery(app_label, model_name):
            return db == alias()
        return db == DEFAULT_DB_ALIAS
