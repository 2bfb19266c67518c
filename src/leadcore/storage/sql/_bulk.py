"""Many rows into one table in one statement, through the driver's ``executemany``.

SQLAlchemy processes the parameters of every row of an ``executemany`` on
its own (a dictionary per row, checked against the compiled statement); an
import of thousands of leads spent more time there than in the database.
Here the ``INSERT`` is compiled once per table, columns and dialect, and the
rows go to the driver as it takes them, through the columns' bind
processors (the same conversions SQLAlchemy applies).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, String, Table, bindparam, insert
from sqlalchemy.engine import Dialect

__all__ = ["insert_many"]

#: Below this many rows the usual path costs as little.
_FEW = 8


@functools.lru_cache(maxsize=256)
def _compiled(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, dict[str, Callable[[Any], Any]]]:
    """The SQL text, the order of positional parameters (``None``: named) and bind processors."""
    statement = insert(table).values({name: bindparam(name) for name in names})
    compiled = statement.compile(dialect=dialect)
    processors = {
        name: fn for name, fn in getattr(compiled, "_bind_processors", {}).items() if fn is not None
    }
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return str(compiled), order, processors


def insert_many(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each a mapping of column name to value, all with the same columns)."""
    if not rows:
        return
    if len(rows) < _FEW:
        connection.execute(insert(table), [dict(r) for r in rows])
        return
    names = tuple(rows[0])
    sql, order, processors = _compiled(table, names, connection.dialect)
    if connection.dialect.name == "postgresql":
        _values_lists(connection, table, names, processors, rows)
        return
    if order is not None:
        steps = [(name, processors.get(name)) for name in order]
        positional = [tuple(row[n] if p is None else p(row[n]) for n, p in steps) for row in rows]
        connection.exec_driver_sql(sql, positional)
    elif processors:
        connection.exec_driver_sql(
            sql,
            [{n: (processors[n](v) if n in processors else v) for n, v in r.items()} for r in rows],
        )
    else:
        connection.exec_driver_sql(sql, [dict(r) for r in rows])


@functools.lru_cache(maxsize=64)
def _unnest_sql(table: Table, names: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    # Text arrays for every text column (their collations stay the columns'), the
    # column's own type otherwise; the insert casts each element to its column.
    arrays = ", ".join(
        "%s::text[]"
        if isinstance(table.c[name].type, String)
        else f"%s::{table.c[name].type.compile(dialect=dialect)}[]"
        for name in names
    )
    return f"INSERT INTO {quote.format_table(table)} ({columns}) SELECT * FROM unnest({arrays})"


def _values_lists(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    processors: Mapping[str, Callable[[Any], Any]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """PostgreSQL: every row in one ``INSERT ... SELECT FROM unnest(arrays)``, one array a column.

    (psycopg's ``executemany`` still sends and executes each row on its own.)
    """
    arrays = []
    for name in names:
        p = processors.get(name)
        arrays.append([row[name] if p is None else p(row[name]) for row in rows])
    connection.exec_driver_sql(_unnest_sql(table, names, connection.dialect), tuple(arrays))
