"""The small writes of one commit in one statement, on PostgreSQL (data-modifying CTEs).

A commit of one use case writes a row or two into each of several tables:
the lead, its contact rows and keys, a history entry numbered by a counter,
its events numbered by another. Each of those is a round trip of its own
elsewhere; on PostgreSQL :class:`Combined` gathers them and sends them as
one statement, ``WITH w0 AS (INSERT ...), w1 AS (UPDATE ... RETURNING 1), ...
SELECT`` the number of rows each compare-and-set ``UPDATE`` changed.

Every part of such a statement sees the database as it was before the
statement, and the parts touch different rows, so the result is that of the
statements one after the other. A part that breaks a key fails the whole
statement, as it would fail the commit; an ``UPDATE`` that changed fewer rows
than it should (its row moved to another revision) raises
:class:`~leadcore.errors.ConflictError`, and the commit rolls back.

:class:`~leadcore.storage.sql._tx.SqlTransaction` sends the gathered writes
before any other statement its commit executes (a ``before_execute`` hook on
the connection) and before it moves to another organisation's Row-Level
Security scope, so every read of the commit (a derived writer's) sees them
and every part is written in its own organisation. The statements sent
around SQLAlchemy's ``execute`` (bulk inserts of many rows) only add rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import (
    CTE,
    ColumnElement,
    Connection,
    Table,
    Update,
    func,
    insert,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql

from leadcore.errors import ConflictError

__all__ = ["FEW", "Combined"]

#: At most this many rows in one part: more go through the usual bulk statements.
FEW: Final = 20


class Combined:
    """Writes gathered for one statement (see the module docs)."""

    def __init__(self, counters: Table) -> None:
        self._counters = counters
        self._parts: list[CTE] = []
        self._checks: list[tuple[CTE, int, str]] = []
        self.first: tuple[str, Any] | None = None
        """What the first gathered insert of a record writes (``(kind, key)``), for messages."""

    def __bool__(self) -> bool:
        return bool(self._parts)

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """``INSERT`` ``rows`` (mappings of column name to value, all with the same columns)."""
        if rows:
            statement = postgresql.insert(table).values([dict(r) for r in rows])
            self._parts.append(statement.cte(f"w{len(self._parts)}"))

    def insert_numbered(
        self,
        table: Table,
        organization_id: str,
        counter: str,
        column: str,
        rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """``INSERT`` ``rows`` numbered in order in ``column`` by the organisation's ``counter``.

        The counter is advanced by ``len(rows)`` (created at 0) in the same
        statement, its row locked until the transaction ends, as
        :meth:`Backend.advance_counter` does.
        """
        if not rows:
            return
        n = len(rows)
        c = self._counters.c
        upsert = postgresql.insert(self._counters).values(
            organization_id=organization_id, name=counter, value=n
        )
        advanced = (
            upsert.on_conflict_do_update(
                index_elements=[c.organization_id, c.name],
                set_={"value": c.value + upsert.excluded.value},
            )
            .returning(c.value)
            .cte(f"w{len(self._parts)}")
        )
        self._parts.append(advanced)
        names = list(rows[0])
        numbered = [
            select(
                *(literal(row[name], table.c[name].type).label(name) for name in names),
                (advanced.c.value - n + (i + 1)).label(column),
            ).select_from(advanced)
            for i, row in enumerate(rows)
        ]
        source = numbered[0] if len(numbered) == 1 else union_all(*numbered)
        statement = insert(table).from_select([*names, column], source)
        self._parts.append(statement.cte(f"w{len(self._parts)}"))

    def update(self, statement: Update, expected: int, conflict: str) -> None:
        """Run ``statement``; ``ConflictError(conflict)`` unless it changes ``expected`` rows."""
        part = statement.returning(literal_column("1")).cte(f"w{len(self._parts)}")
        self._parts.append(part)
        self._checks.append((part, expected, conflict))

    def flush(self, connection: Connection) -> None:
        """Send the gathered writes in one statement (nothing if none) and forget them."""
        if not self._parts:
            return
        parts, checks = self._parts, self._checks
        self._parts, self._checks, self.first = [], [], None
        counts: list[ColumnElement[Any]] = [
            select(func.count()).select_from(part).scalar_subquery() for part, _, _ in checks
        ]
        query = select(*(counts or [literal(1)])).add_cte(*parts)
        found = connection.execute(query).one()
        if counts:
            for (_, expected, conflict), changed in zip(checks, found, strict=True):
                if changed != expected:
                    raise ConflictError(conflict)

    def clear(self) -> None:
        """Forget the gathered writes (the commit failed)."""
        self._parts, self._checks, self.first = [], [], None
