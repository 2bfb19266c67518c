"""How records of one kind live in one table: :class:`Spec`, shared by the SQL repositories."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Row,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    insert,
    or_,
    select,
    tuple_,
    update,
)

#: Writes "``column`` is one of ``values``" for one database family.
OneOf = Callable[[Any, Sequence[Any]], ColumnElement[bool]]


if TYPE_CHECKING:
    from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["Key", "Spec"]

T = TypeVar("T")

Key = tuple[Any, ...]
"""A primary key's values, in the table's key order."""


@attrs.frozen(eq=False)
class Spec(Generic[T]):
    """How records of one kind live in one table.

    ``key`` names the primary-key columns (the organisation id first when
    ``scoped``); ``columns`` gives the other columns of a record (the JSON
    ``record`` among them), ``decode`` reads a record back from a row.
    """

    kind: str
    """What the records are, for messages (``"lead"``)."""
    order: int
    """Commits write tables in this order, so that two commits lock rows in one order."""
    table: Table
    key: tuple[str, ...]
    columns: Callable[[T], dict[str, Any]]
    decode: Callable[[Row[Any]], T]
    versioned: bool = True
    """The table has a ``revision`` column: replacements and removals compare it."""
    scoped: bool = True
    """The first key column is the organisation id."""
    sequence: str | None = None
    """A counter that numbers the rows of one organisation in commit order (column ``seq``)."""
    after_write: Callable[[SqlTransaction, Connection, Key, T | None, T], None] | None = None
    """Writes rows derived from a record (``(tx, connection, key, old, new)``) at commit."""
    after_writes: (
        Callable[[SqlTransaction, Connection, Sequence[tuple[Key, T | None, T]]], None] | None
    ) = None
    """Writes rows derived from every record written (``(key, old, new)`` each), at once."""
    cached: bool = False
    """Configuration (users, projects, pools...): read through the :class:`ConfigCache`."""

    def key_of(self, row: Row[Any]) -> Key:
        """The primary key of a row."""
        mapping = row._mapping
        return tuple(mapping[name] for name in self.key)

    def key_in(self, row: Mapping[str, Any]) -> Key:
        """The primary key of a row given as a mapping of column values."""
        return tuple(row[name] for name in self.key)

    @functools.cached_property
    def _bound_key(self) -> ColumnElement[bool]:
        c = self.table.c
        return and_(*(c[name] == bindparam(f"k{i}") for i, name in enumerate(self.key)))

    @functools.cached_property
    def by_key(self) -> Select[Any]:
        """``SELECT`` the row whose key is given as the parameters ``k0``, ``k1``..."""
        return select(self.table).where(self._bound_key)

    def key_params(self, key: Key) -> dict[str, Any]:
        """The parameters of :attr:`by_key` for ``key``."""
        return {f"k{i}": part for i, part in enumerate(key)}

    @functools.cached_property
    def insert(self) -> Insert:
        """``INSERT`` into the table, its rows given at execution."""
        return insert(self.table)

    @functools.cached_property
    def _replacements(self) -> dict[tuple[str, ...], Update]:
        return {}

    def replace(self, names: tuple[str, ...]) -> Update:
        """``UPDATE`` the columns ``names`` and the revision of one row still at the revision read.

        Its parameters come from :meth:`replace_params`. One statement per set of
        columns, built once: SQLAlchemy then neither builds nor keys it again on
        each commit.
        """
        found = self._replacements.get(names)
        if found is None:
            c = self.table.c
            found = (
                update(self.table)
                .where(self._bound_key, c.revision == bindparam("base_revision"))
                .values(
                    {
                        c[name]: bindparam(f"v_{name}", type_=c[name].type)
                        for name in (*names, "revision")
                    }
                )
            )
            self._replacements[names] = found
        return found

    def replace_params(self, key: Key, revision: int, values: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters of :meth:`replace`: the row ``key`` at ``revision`` gets ``values``."""
        params = self.key_params(key)
        params["base_revision"] = revision
        params["v_revision"] = revision + 1
        for name, value in values.items():
            params[f"v_{name}"] = value
        return params

    def where_key(self, key: Key) -> ColumnElement[bool]:
        """``WHERE`` the primary key is ``key``."""
        c = self.table.c
        return and_(*(c[name] == value for name, value in zip(self.key, key, strict=True)))

    def where_keys(self, keys: Sequence[Key], one_of: OneOf) -> ColumnElement[bool]:
        """``WHERE`` the primary key is one of ``keys``.

        ``one_of`` writes "a column is one of these values" for the database
        (:meth:`Backend.one_of <leadcore.storage.sql._backend.Backend.one_of>`).
        """
        c = self.table.c
        if len(self.key) == 1:
            return one_of(c[self.key[0]], [k[0] for k in keys])
        # The organisation id is shared by every key in practice: keep it out of the tuple.
        first = {k[0] for k in keys}
        if len(first) == 1:
            rest = [c[name] for name in self.key[1:]]
            tail = [k[1:] for k in keys]
            inner = (
                one_of(rest[0], [t[0] for t in tail]) if len(rest) == 1 else tuple_(*rest).in_(tail)
            )
            return and_(c[self.key[0]] == next(iter(first)), inner)
        return or_(*(self.where_key(k) for k in keys))

    def organization_of(self, key: Key, row: Mapping[str, Any]) -> str | None:
        """The organisation a row belongs to."""
        if self.scoped:
            return str(key[0])
        found = row.get("organization_id")
        return None if found is None else str(found)
