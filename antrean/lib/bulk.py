"""`QuerySet.bulk_update` for the worker's batches, without its cost per value.

Django builds a bulk update from expressions, a `When(pk=..., then=Value(...))` for every
row and field, each resolved and compiled: about 0.1 ms of CPU a value, more than the
statement itself (bench/README.md). `update_rows` writes the same statement,
`UPDATE ... SET col = CASE pk WHEN %s THEN %s ... ELSE col END ... WHERE pk IN (...)`,
as text. Every value still goes through its field's own `get_db_prep_save` (encryption,
time zones, JSON), as `Value` would send it, and PostgreSQL gets the same casts.
"""

from django.db import connections, models, transaction

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
