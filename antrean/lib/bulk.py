"""`QuerySet.bulk_update` and `bulk_create` for the worker's batches, without their cost
per value.

Django builds a bulk update from expressions, a `When(pk=..., then=Value(...))` for every
row and field, each resolved and compiled: about 0.1 ms of CPU a value, more than the
statement itself (bench/README.md). `update_rows` writes the same statement,
`UPDATE ... SET col = CASE pk WHEN %s THEN %s ... ELSE col END ... WHERE pk IN (...)`,
as text. Every value still goes through its field's own `get_db_prep_save` (encryption,
time zones, JSON), as `Value` would send it, and PostgreSQL gets the same casts.
`insert_rows` is `bulk_create`'s INSERT the same way (its compiler took ~0.15 ms of a
booking's processing, inside SQLite's write lock).
"""

from django.db import NotSupportedError, connections, models, router, transaction

CHUNK = 100  # rows a statement: well inside SQLite's and PostgreSQL's parameter limits


def update_rows(
    objs: list[models.Model], fields: list[str], *, where: dict | None = None, using="default"
) -> int:
    """Write `fields` of each of `objs` (one model) to its row; how many rows were
    written. `where` ({field name: value}) narrows the rows as a filter would: a row that
    no longer matches it is left as it is and not counted."""
    if not objs:
        return 0
    connection = connections[using]
    meta = type(objs[0])._meta
    quote = connection.ops.quote_name
    pk = quote(meta.pk.column)
    written = 0
    with transaction.atomic(using=using, savepoint=False):
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            sets, params = [], []
            for name in fields:
                field = meta.get_field(name)
                column = quote(field.column)
                whens = " ".join(["WHEN %s THEN %s"] * len(chunk))
                case = f"CASE {pk} {whens} ELSE {column} END"
                if connection.features.requires_casted_case_in_updates:
                    case = f"CAST({case} AS {field.cast_db_type(connection)})"
                sets.append(f"{column} = {case}")
                for obj in chunk:
                    value = field.get_db_prep_save(getattr(obj, field.attname), connection)
                    params += [obj.pk, value]
            conditions = [f"{pk} IN ({', '.join(['%s'] * len(chunk))})"]
            params += [obj.pk for obj in chunk]
            for name, value in (where or {}).items():
                field = meta.get_field(name)
                conditions.append(f"{quote(field.column)} = %s")
                params.append(field.get_db_prep_save(value, connection))
            # Names from the model's metadata, quoted; every value a parameter.
            table, assignments = quote(meta.db_table), ", ".join(sets)
            sql = f"UPDATE {table} SET {assignments} WHERE {' AND '.join(conditions)}"  # noqa: S608
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                written += cursor.rowcount
    return written


def add_to(model: type[models.Model], field: str, amounts: dict, *, using="default") -> int:
    """Add `amounts[pk]` to `field` of each row, in one statement (per CHUNK rows): the
    rows' own values are added to, not written over, and their check constraints still
    decide. How many rows were changed."""
    connection = connections[using]
    meta = model._meta
    quote = connection.ops.quote_name
    pk, column = quote(meta.pk.column), quote(meta.get_field(field).column)
    pks = sorted(amounts)
    written = 0
    with transaction.atomic(using=using, savepoint=False):
        for start in range(0, len(pks), CHUNK):
            chunk = pks[start : start + CHUNK]
            whens = " ".join(["WHEN %s THEN %s"] * len(chunk))
            params = [value for key in chunk for value in (key, int(amounts[key]))]
            params += chunk
            marks = ", ".join(["%s"] * len(chunk))
            # Names from the model's metadata, quoted; every value a parameter.
            sql = (
                f"UPDATE {quote(meta.db_table)} SET {column} = {column} + "  # noqa: S608
                f"CASE {pk} {whens} ELSE 0 END WHERE {pk} IN ({marks})"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                written += cursor.rowcount
    return written


def insert_rows(objs: list[models.Model], *, using: str | None = None) -> list[models.Model]:
    """`QuerySet.bulk_create(objs)` for new rows of one model whose key the database
    makes: the same INSERT ... RETURNING it, written as text; each object gets its key.

    As `bulk_create`, a foreign key to an object saved since it was assigned takes that
    object's key, every field's `pre_save` runs (`auto_now_add`), no signal is sent."""
    if not objs:
        return objs
    model = type(objs[0])
    meta = model._meta
    using = using or router.db_for_write(model)
    connection = connections[using]
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotSupportedError("insert_rows needs INSERT ... RETURNING")
    if any(obj.pk is not None or type(obj) is not model for obj in objs):
        raise ValueError("insert_rows writes new rows of one model, keys made by the database")
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    head = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES "  # noqa: S608 (names)
    tail = f" RETURNING {quote(meta.pk.column)}"
    marks = f"({', '.join(['%s'] * len(fields))})"
    size = max(1, min(CHUNK, connection.ops.bulk_batch_size(fields, objs)))
    with transaction.atomic(using=using, savepoint=False):
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            params = []
            for obj in chunk:
                obj._prepare_related_fields_for_save(operation_name="bulk_create")
                params += [
                    field.get_db_prep_save(field.pre_save(obj, True), connection)
                    for field in fields
                ]
            with connection.cursor() as cursor:
                cursor.execute(head + ", ".join([marks] * len(chunk)) + tail, params)
                keys = [row[0] for row in cursor.fetchall()]
            for obj, key in zip(chunk, keys, strict=True):
                setattr(obj, meta.pk.attname, key)
                obj._state.adding, obj._state.db = False, using
    return objs
