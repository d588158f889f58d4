"""Model fields whose values are encrypted in the database (see antrean.lib.crypto).

The database holds only ciphertext, so these fields cannot be filtered or ordered on;
store a `lookup_hash` beside a value that must be found by exact match.

The one exception is the empty string, stored as it is: it hides nothing (a token's length
tells as much), and it is what retention writes to erase a value from a column that cannot
be NULL, so `filter(field="")` finds what was erased (antrean/privacy/retention.py).
"""

import datetime
import json

from django.db import models

from antrean.lib import crypto

ERASED = ""


class EncryptedTextField(models.TextField):
    def from_db_value(self, value, expression, connection):
        if value is None or value == ERASED:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        if value is None or value == ERASED:
            return value
        value = super().get_prep_value(value)
        return None if value is None else crypto.encrypt(str(value))


class EncryptedDateField(EncryptedTextField):
    """A date stored encrypted; an erased one reads as None."""

    def from_db_value(self, value, expression, connection):
        plain = super().from_db_value(value, expression, connection)
        return datetime.date.fromisoformat(plain) if plain else None

    def to_python(self, value):
        if value is None or value == ERASED:
            return None
        if isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value))

    def get_prep_value(self, value):
        if isinstance(value, datetime.datetime):
            raise TypeError("EncryptedDateField stores dates, not datetimes")
        if isinstance(value, datetime.date):
            value = value.isoformat()
        return super().get_prep_value(value)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict, list, ...) stored encrypted; an erased one reads as the field's
    default (an empty dict for `default=dict`), or None without one."""

    def from_db_value(self, value, expression, connection):
        plain = super().from_db_value(value, expression, connection)
        if plain == ERASED:
            return self.get_default() if self.has_default() else None
        return None if plain is None else json.loads(plain)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None or value == ERASED:
            return value
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
