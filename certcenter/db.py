"""Bulk writes for batch jobs, where building model instances costs more than the work itself."""

from collections.abc import Iterable, Sequence

from django.db import connection, models, transaction


def insert_many(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """INSERT rows of values for ``columns`` (field names or attnames) in one ``executemany``.

    Unlike ``bulk_create`` it makes no model instances and compiles the statement once, which is
    most of the cost per row (renewal writes three rows per certificate). Values go through the
    fields' ``get_db_prep_save`` only where a backend needs it (datetimes); no signals, no defaults:
    give every column that has no database default.
    """
    fields = [model._meta.get_field(name) for name in columns]
    width = len(fields)
    datetimes = [(index, field) for index, field in enumerate(fields)
                 if isinstance(field, models.DateTimeField)]
    # PostgreSQL takes an aware datetime as it is (its adapt_datetimefield_value returns it
    # unchanged); SQLite needs each turned into text.
    aware_as_is = connection.vendor == "postgresql"
    prepared: dict = {}  # a batch repeats its timestamps: prepare each distinct one once

    def prepare(row: Sequence) -> Sequence:
        if len(row) != width:
            raise ValueError(f"{len(row)} values for {width} columns")
        if not datetimes:
            return row
        row = list(row)
        for index, field in datetimes:
            value = row[index]
            if aware_as_is and value is not None and value.utcoffset() is not None:
                continue
            key = (index, value)
            if key not in prepared:
                prepared[key] = field.get_db_prep_save(value, connection)
            row[index] = prepared[key]
        return row

    quote = connection.ops.quote_name
    # Identifiers come from the model and are quoted by the backend; values are parameters.
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    params = [prepare(row) for row in rows]
    if not params:
        return
    # One transaction (or the caller's): in autocommit, SQLite would commit, and sync to disk, once
    # per row.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one statement: about a third of executemany's cost per row
            # (which parses and binds each INSERT, even pipelined), the most of it in renewal.
            copy_sql = f"COPY {table} ({column_list}) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for row in params:
                    copy.write_row(row)
        else:
            cursor.executemany(sql, params)
