"""Many rows into one table in one statement, through the driver's ``executemany``.

SQLAlchemy processes the parameters of every row of an ``executemany`` on
its own (a dictionary per row, checked against the compiled statement); an
import of thousands of leads spent more time there than in the database.
Here the ``INSERT`` is compiled once per table, columns and dialect, and the
rows go to the driver as it takes them, through the columns' bind
processors (the same conversions SQLAlchemy applies).

On PostgreSQL the rows go in with ``COPY ... FROM STDIN`` (psycopg's
``cursor.copy``), several times faster than an ``INSERT`` of arrays for
rows that carry JSON records; where Row-Level Security applies to the
table, which ``COPY FROM`` does not support, one
``INSERT ... SELECT FROM unnest(...)`` instead.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, String, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

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
        if _copy_allowed(connection, table):
            _copy(connection, table, names, processors, rows)
        else:
            _values_lists(connection, table, names, processors, rows)
        return
    if order is not None:
        connection.exec_driver_sql(sql, _positional(order, processors, rows))
    elif processors:
        connection.exec_driver_sql(
            sql,
            [{n: (processors[n](v) if n in processors else v) for n, v in r.items()} for r in rows],
        )
    else:
        connection.exec_driver_sql(sql, [dict(r) for r in rows])


def _positional(
    order: tuple[str, ...],
    processors: Mapping[str, Callable[[Any], Any]],
    rows: Sequence[Mapping[str, Any]],
) -> list[tuple[Any, ...]]:
    """The rows as tuples in the statement's order, each value through its bind processor."""
    take = operator.itemgetter(*order)
    values = [(take(row),) for row in rows] if len(order) == 1 else list(map(take, rows))
    steps = [(i, processors[name]) for i, name in enumerate(order) if name in processors]
    if not steps:
        return values
    out = []
    for value in values:
        row = list(value)
        for i, process in steps:
            row[i] = process(row[i])
        out.append(tuple(row))
    return out


#: ``connection.info`` key: per table, whether ``COPY FROM`` may write it on this connection.
_COPY_INFO = "leadcore_copy_allowed"


def _copy_allowed(connection: Connection, table: Table) -> bool:
    """Whether no Row-Level Security policy applies to ``table`` for this connection's role.

    Asked once per table and pooled connection (``connection.info`` lives as
    long as the driver's connection): the role and the table's policies do
    not change under a running application.
    """
    known: dict[str, bool] = connection.info.setdefault(_COPY_INFO, {})
    name = table.fullname
    if name not in known:
        qualified = connection.dialect.identifier_preparer.format_table(table)
        active = connection.exec_driver_sql(
            "SELECT row_security_active(%(t)s)", {"t": qualified}
        ).scalar()
        known[name] = not active
    return known[name]


@functools.lru_cache(maxsize=64)
def _copy_sql(table: Table, names: tuple[str, ...], dialect: Dialect) -> str:
    quote = dialect.identifier_preparer
    columns = ", ".join(quote.quote(name) for name in names)
    return f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"


def _copy(
    connection: Connection,
    table: Table,
    names: tuple[str, ...],
    processors: Mapping[str, Callable[[Any], Any]],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """PostgreSQL: every row in one ``COPY``; a refused row raises as an ``INSERT`` would.

    The driver's error is wrapped as SQLAlchemy wraps a statement's
    (``IntegrityError`` for a taken key...), so that callers tell conflicts
    apart the same way.
    """
    sql = _copy_sql(table, names, connection.dialect)
    driver: Any = connection.connection.driver_connection  # psycopg's own connection
    driver_error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in _positional(names, processors, rows):
                copy.write_row(row)
    except driver_error as exc:
        raise DBAPIError.instance(sql, None, exc, driver_error, dialect=connection.dialect) from exc


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
