"""The small writes of one commit in one statement, on MariaDB (a compound statement).

MariaDB has no data-modifying CTEs, but it runs a block of statements sent as
one, ``BEGIN NOT ATOMIC ... END``: :class:`Compound` gathers a commit's
few-row writes (the lead, its contact rows and keys, a history entry and the
events numbered by their counters) like
:class:`~leadcore.storage.sql._combined.Combined` does on PostgreSQL, and
sends them in one round trip. The statements run one after the other in the
commit's transaction ("not atomic": the block opens no transaction of its
own). A compare-and-set ``UPDATE`` that changed fewer rows than it should is
followed by ``SIGNAL``, which stops the block with an error that
:meth:`Compound.flush` turns into :class:`~leadcore.errors.ConflictError`;
the commit then rolls back everything, the block's earlier statements too.

Each statement is compiled by SQLAlchemy for the connection's dialect and
its parameters are bound by the driver, as for any other statement: only the
block's frame (variable names, row counts, the conflict's number) is text
written here. MySQL has no such block; there the writes go one statement
each (:meth:`~leadcore.storage.sql._backend.Backend.gather_writes`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import Connection, Table, Update, func, insert, literal_column
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from leadcore.errors import ConflictError

__all__ = ["Compound"]

# The error a SIGNAL with SQLSTATE 45000 raises (ER_SIGNAL_EXCEPTION), and the text
# that says which check failed.
_SIGNALLED: Final = 1644
_MARK: Final = "leadcore compare-and-set "
_NAMED: Final = re.compile(r"%\(([^)]+)\)s")


class Compound:
    """Writes gathered for one compound statement (see the module docs)."""

    def __init__(self, counters: Table) -> None:
        self._counters = counters
        self._parts: list[ClauseElement | str] = []
        self._variables = 0
        self._conflicts: list[str] = []
        self.first: tuple[str, Any] | None = None
        """What the first gathered insert of a record writes (``(kind, key)``), for messages."""

    def __bool__(self) -> bool:
        return bool(self._parts)

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """``INSERT`` ``rows`` (mappings of column name to value, all with the same columns)."""
        if rows:
            self._parts.append(insert(table).values([dict(r) for r in rows]))

    def insert_numbered(
        self,
        table: Table,
        organization_id: str,
        counter: str,
        column: str,
        rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """``INSERT`` ``rows`` numbered in order in ``column`` by the organisation's ``counter``.

        The counter is advanced by ``len(rows)`` (created at 0) first, its row
        locked until the transaction ends, as :meth:`Backend.advance_counter`
        does; ``LAST_INSERT_ID(expr)`` keeps its new value for the insert.
        """
        if not rows:
            return
        n = len(rows)
        c = self._counters.c
        upsert = mysql.insert(self._counters).values(
            organization_id=organization_id, name=counter, value=func.last_insert_id(n)
        )
        self._parts.append(upsert.on_duplicate_key_update(value=func.last_insert_id(c.value + n)))
        variable = f"leadcore_v{self._variables}"
        self._variables += 1
        self._parts.append(f"SET {variable} = LAST_INSERT_ID()")
        numbered = [
            {**row, column: literal_column(f"{variable} - {n - 1 - i}")}
            for i, row in enumerate(rows)
        ]
        self._parts.append(insert(table).values(numbered))

    def update(self, statement: Update, expected: int, conflict: str) -> None:
        """Run ``statement``; ``ConflictError(conflict)`` unless it changes ``expected`` rows."""
        self._parts.append(statement)
        self._parts.append(
            f"IF ROW_COUNT() <> {int(expected)} THEN SIGNAL SQLSTATE '45000' "
            f"SET MESSAGE_TEXT = '{_MARK}{len(self._conflicts)}'; END IF"
        )
        self._conflicts.append(conflict)

    def flush(self, connection: Connection) -> None:
        """Send the gathered writes in one statement (nothing if none) and forget them."""
        if not self._parts:
            return
        parts, conflicts, variables = self._parts, self._conflicts, self._variables
        self.clear()
        params: dict[str, Any] = {}
        body = [f"DECLARE leadcore_v{i} BIGINT" for i in range(variables)]
        for n, part in enumerate(parts):
            body.append(
                part if isinstance(part, str) else _render(part, connection.dialect, n, params)
            )
        sql = "BEGIN NOT ATOMIC\n" + ";\n".join(body) + ";\nEND"
        try:
            connection.exec_driver_sql(sql, params)
        except DBAPIError as exc:
            failed = _failed_check(exc)
            if failed is None:
                raise
            raise ConflictError(conflicts[failed]) from None

    def clear(self) -> None:
        """Forget the gathered writes (the commit failed)."""
        self._parts, self._conflicts, self._variables, self.first = [], [], 0, None


def _render(statement: ClauseElement, dialect: Dialect, n: int, params: dict[str, Any]) -> str:
    """``statement``'s SQL for ``dialect``, its parameters renamed apart and added to ``params``."""
    # Lists (``IN``) rendered as one parameter per value, like the rest.
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    assert isinstance(compiled, SQLCompiler)
    values = compiled.construct_params() or {}
    for name, value in values.items():
        bind = compiled.binds.get(name)
        process = None if bind is None else bind.type.bind_processor(dialect)
        params[f"p{n}_{name}"] = value if process is None else process(value)
    return _NAMED.sub(lambda m: f"%(p{n}_{m.group(1)})s", compiled.string)


def _failed_check(error: DBAPIError) -> int | None:
    """The number of the compare-and-set that signalled ``error``, or ``None``: another error."""
    args: tuple[object, ...] = tuple(getattr(error.orig, "args", ()))
    if len(args) < 2 or args[0] != _SIGNALLED or not str(args[1]).startswith(_MARK):
        return None
    return int(str(args[1])[len(_MARK) :])
