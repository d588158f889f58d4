"""Key rotation of what is already stored: every encrypted column of every model, and
every photo file, rewritten with the first key of FIELD_ENCRYPTION_KEYS, so an old key
can be retired (docs/security.md, "Key rotation").

Columns are found by their field class (antrean.lib.fields.EncryptedTextField and its
subclasses), so a new model is covered without a change here. Rows go in batches, each
its own transaction that locks its rows while they are read and written (on SQLite the
transaction's write lock does that), with a plain UPDATE of the rotated columns: no
save(), no signals, no auto_now. A value the first key already reads is left alone, so
a run stopped half-way is simply run again.
"""

import os
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import models, router, transaction
from django.db.models.functions import Cast

from antrean.lib import crypto
from antrean.lib.fields import EncryptedTextField
from antrean.whatsapp.media import media_root

BATCH = 500


@dataclass
class Count:
    values: int = 0  # encrypted values (or files) read
    rotated: int = 0  # ... rewritten with the first key
    unreadable: int = 0  # ... no configured key reads


def encrypted_fields() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every model with encrypted columns, and those columns (of its own table)."""
    found = []
    for model in apps.get_models():
        fields = [
            field
            for field in model._meta.local_concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        if fields:
            found.append((model, fields))
    return found


def rows(model: type[models.Model], fields: list[models.Field], *, batch: int = BATCH) -> Count:
    count, last = Count(), None
    # The stored tokens, not what the field would decrypt them to.
    raw = {f"raw_{n}": Cast(field.attname, models.TextField()) for n, field in enumerate(fields)}
    while True:
        with transaction.atomic(using=router.db_for_write(model)):  # deliveries: the inbox
            todo = model._base_manager.order_by("pk")
            if last is not None:
                todo = todo.filter(pk__gt=last)
            found = list(todo.select_for_update().annotate(**raw).values_list("pk", *raw)[:batch])
            if not found:
                return count
            for pk, *tokens in found:
                changed = {}
                for field, token in zip(fields, tokens, strict=True):
                    new = _rotated(token, count)
                    if new is not None:
                        # As it is: the field itself would encrypt the token again.
                        changed[field.attname] = models.Value(new, output_field=models.TextField())
                if changed:
                    model._base_manager.filter(pk=pk).update(**changed)
        last = found[-1][0]


def _rotated(token: str | None, count: Count) -> str | None:
    """The token under the first key if it must be rewritten, else None."""
    if not token:  # NULL, or erased by retention: nothing encrypted
        return None
    count.values += 1
    try:
        new = crypto.rotate(token)
    except InvalidToken:
        count.unreadable += 1
        return None
    if new == token:
        return None
    count.rotated += 1
    return new


def files() -> Count:
    """Every photo file under the media folder (of this machine: run it on each)."""
    count, root = Count(), media_root()
    if not root.is_dir():
        return count
    for path in sorted(root.glob("*/*.bin")):
        try:
            token = path.read_bytes()
        except FileNotFoundError:
            continue  # deleted meanwhile (retention)
        count.values += 1
        try:
            new = crypto.rotate_bytes(token)
        except InvalidToken:
            count.unreadable += 1
            continue
        if new == token:
            continue
        # Written aside and moved into place, as media.store does: never half a file.
        temporary = path.with_suffix(f".{os.getpid()}.rotate.tmp")
        temporary.write_bytes(new)
        if not path.exists():  # retention deleted it meanwhile: do not bring it back
            temporary.unlink()
            continue
        temporary.replace(path)
        count.rotated += 1
    return count
