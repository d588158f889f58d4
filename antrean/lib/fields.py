"""Model fields whose values are encrypted in the database (see antrean.lib.crypto).

The database holds only ciphertext, so these fields cannot be filtered or ordered on;
store a `lookup_hash` beside a value that must be found by exact match.
"""

import datetime
import json

from django.db import models

from antrean.lib import crypto


class EncryptedTextField(models.TextField):
    def from_db_value(self, value, expression, connection):
        return None if value is None else crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return None if value is None else crypto.encrypt(str(value))


class EncryptedDateField(EncryptedTextField):
    def from_db_value(self, value, expression, connection):
        plain = super().from_db_value(value, expression, connection)
        return None if plain is None else datetime.date.fromisoformat(plain)

    def to_python(self, value):
        if value is None or isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value))

    def get_prep_value(self, value):
        if isinstance(value, datetime.datetime):
            raise TypeError("EncryptedDateField stores dates, not datetimes")
        if isinstance(value, datetime.date):
            value = value.isoformat()
        return super().get_prep_value(value)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (dict, list, ...) stored encrypted."""

    def from_db_value(self, value, expression, connection):
        plain = super().from_db_value(value, expression, connection)
        return None if plain is None else json.loads(plain)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return crypto.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
