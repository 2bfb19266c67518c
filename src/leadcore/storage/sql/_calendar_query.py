"""An :class:`~leadcore.calendar.ActivityWindow` as SQL: the terms of a window query compiled.

The window states its filters once, as terms (:attr:`ActivityWindow.terms
<leadcore.calendar.ActivityWindow.terms>`); this module says where each field
a term tests is kept and writes the term as conditions there. The span is two
columns repeated on the activity row and on every participant and client row
(see :mod:`~leadcore.storage.sql._calendar_schema`); participants and linked
clients are rows of their own, searched through their index, each search
giving the ids of the activities it finds. Staged activities, not in the
tables yet, are checked with the same terms in Python
(:meth:`ActivityWindow.matches <leadcore.calendar.ActivityWindow.matches>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import attrs
from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.expression import TableClause

from leadcore.calendar._model import ClientRef
from leadcore.calendar._terms import ActivityField, ActivityTerm
from leadcore.storage.sql._codec import micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._tx import CHUNK

__all__ = [
    "ACTIVITY_CLIENTS",
    "ACTIVITY_USERS",
    "Lookup",
    "WindowQuery",
    "chunks",
    "compile_window",
]

_T: Final = metadata.tables
ACTIVITY_USERS: Final = _T["leadcore_activity_users"]
ACTIVITY_CLIENTS: Final = _T["leadcore_activity_clients"]


def chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """``values`` in slices small enough for one statement's parameters."""
    for i in range(0, len(values), CHUNK):
        yield values[i : i + CHUNK]


def _linked_to(clients: Sequence[ClientRef]) -> ColumnElement[bool]:
    """``WHERE`` a client row is one of ``clients``."""
    c = ACTIVITY_CLIENTS.c
    by_kind: dict[str, list[str]] = {}
    for ref in clients:
        by_kind.setdefault(ref.kind.value, []).append(ref.id)
    return or_(
        *(
            and_(c.client_kind == kind, c.client_id.in_(sorted(ids)))
            for kind, ids in sorted(by_kind.items())
        )
    )


@attrs.frozen
class Lookup:
    """A search of one side table: the activities with a row matching one of ``matches``."""

    table: TableClause
    """``leadcore_activity_users`` or ``leadcore_activity_clients``."""
    matches: tuple[ColumnElement[bool], ...]
    """One condition a statement (the values of the term, a chunk at a time); none: no match."""


@attrs.frozen
class WindowQuery:
    """A window's terms compiled: the span bounds, and the side-table searches to intersect."""

    lo: int | None = None
    """``last_us`` must be above it (``None``: open)."""
    hi: int | None = None
    """``first_us`` must be below it (``None``: open)."""
    lookups: tuple[Lookup, ...] = ()
    """The ids of the activities found must be found by every one (none: no such filter)."""

    def span(self, columns: Any) -> list[ColumnElement[bool]]:
        """``WHERE`` the span kept in ``columns`` (a table's ``.c``) overlaps the window."""
        where: list[ColumnElement[bool]] = []
        if self.hi is not None:
            where.append(columns.first_us < self.hi)
        if self.lo is not None:
            where.append(columns.last_us > self.lo)
        return where


def _lookup(term: ActivityTerm) -> Lookup:
    if term.field is ActivityField.PARTICIPANT_IDS:
        users = sorted(term.value)
        column = ACTIVITY_USERS.c.user_id
        return Lookup(ACTIVITY_USERS, tuple(column.in_(chunk) for chunk in chunks(users)))
    if term.field is ActivityField.CLIENTS and all(isinstance(c, ClientRef) for c in term.value):
        refs = list(dict.fromkeys(term.value))
        return Lookup(ACTIVITY_CLIENTS, tuple(_linked_to(chunk) for chunk in chunks(refs)))
    raise ValueError(f"no SQL for the activity term {term.field.value} {term.value!r}")


def compile_window(terms: Iterable[ActivityTerm]) -> WindowQuery:
    """The terms of an :class:`~leadcore.calendar.ActivityWindow` as a :class:`WindowQuery`.

    ``ValueError`` for a term a window does not hold (a second span, a type,
    a text search, a bare client id).
    """
    query = WindowQuery()
    spans = 0
    for term in terms:
        if term.field is ActivityField.SPAN and spans == 0:
            spans += 1
            start, end = term.value
            lo = None if start is None else micros(start)
            hi = None if end is None else micros(end)
            query = attrs.evolve(query, lo=lo, hi=hi)
        else:
            query = attrs.evolve(query, lookups=(*query.lookups, _lookup(term)))
    return query
