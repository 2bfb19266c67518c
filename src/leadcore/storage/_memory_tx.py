"""The transactional core of the memory adapter: committed tables and per-unit-of-work writes."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import Any, Final, Generic, TypeVar

from leadcore.errors import ConflictError, NotFound

__all__ = ["GLOBAL", "Repo", "Transaction"]

T = TypeVar("T")
GLOBAL: Final = ""
"""The scope of records that belong to no organisation (the user -> organisation index)."""


class _Deleted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<deleted>"


_DELETED: Final = _Deleted()
_ABSENT: Final = _Deleted()
"""The base of a key that had no committed record when the unit of work first saw it."""

# table -> organisation -> record key -> record (or a staged ``_DELETED``).
_Tables = dict[str, dict[str, dict[Hashable, Any]]]
Changes = Iterable[tuple[str, str, Hashable, object]]
"""What a commit wrote: ``(table, organisation, key, record or None)``."""


class Committed:
    """Committed state: table -> organisation -> key -> record.

    A record is stored as it is, without a version beside it: records are
    immutable values and every write stores the object it was given, so a
    unit of work detects a concurrent change by the identity of the object it
    first saw (see :meth:`Transaction.commit`).
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = 0
        # Insertion order of append-only records (history), shared by all units of work.
        self.order = itertools.count()
        self.tables: _Tables = {}
        # The last position handed out per (append-only table, organisation).
        self.heads: dict[tuple[str, str], int] = {}
        # Called under the lock with every (table, org, key, value or None) a commit wrote,
        # so derived structures (the dispatch index) change in the same instant as the data.
        self.listeners: list[Callable[[Changes], None]] = []

    def value(self, table: str, org: str, key: Hashable) -> Any:
        """The committed record under ``key``, or ``None`` (call with the lock held)."""
        return self.tables.get(table, {}).get(org, {}).get(key)

    def values(self, table: str, org: str) -> list[Any]:
        """Every committed record of ``table`` in ``org`` (call with the lock held)."""
        return list(self.tables.get(table, {}).get(org, {}).values())


def _slot(tables: _Tables, table: str, org: str) -> dict[Hashable, Any]:
    by_org = tables.get(table)
    if by_org is None:
        by_org = tables[table] = {}
    rows = by_org.get(org)
    if rows is None:
        rows = by_org[org] = {}
    return rows


class Transaction:
    """The write set of one unit of work over the committed store.

    Adapter code built on the memory store (repositories added by later
    features) reads and writes through these four methods only.

    Staged writes and the committed records they were based on are kept in
    nested dictionaries (table -> organisation -> key), so staging a write
    allocates no key object of its own: a unit of work writing a million
    records leaves no million small objects behind in the allocator's arenas
    once it has committed.
    """

    def __init__(self, committed: Committed) -> None:
        self._committed = committed
        self._writes: _Tables = {}
        # The committed record (``_ABSENT`` if none) each key had when first seen.
        self._base: _Tables = {}
        self._appends: list[tuple[str, str, object]] = []

    def _remember(self, table: str, org: str, key: Hashable, value: object) -> None:
        base = _slot(self._base, table, org)
        if key not in base:
            base[key] = _ABSENT if value is None else value

    def next_order(self) -> int:
        """A number larger than any handed out before (the insertion order of a record)."""
        return next(self._committed.order)

    def read(self, table: str, org: str, key: Hashable) -> Any:
        """The record under ``key``: this unit of work's write if any, else the committed one."""
        staged = self._writes.get(table, {}).get(org)
        if staged is not None and key in staged:
            value = staged[key]
            return None if value is _DELETED else value
        with self._committed.lock:
            value = self._committed.value(table, org, key)
        self._remember(table, org, key, value)
        return value

    def write(self, table: str, org: str, key: Hashable, value: object) -> None:
        """Stage ``value`` under ``key`` (visible to this unit of work only until commit)."""
        base = self._base.get(table, {}).get(org)
        if base is None or key not in base:
            with self._committed.lock:
                committed = self._committed.value(table, org, key)
            self._remember(table, org, key, committed)
        _slot(self._writes, table, org)[key] = value

    def delete(self, table: str, org: str, key: Hashable) -> None:
        """Stage the removal of ``key``."""
        self.write(table, org, key, _DELETED)

    def scan(self, table: str, org: str) -> list[Any]:
        """Every record of ``table`` in ``org`` as this unit of work sees it (unordered)."""
        with self._committed.lock:
            result = dict(self._committed.tables.get(table, {}).get(org, {}))
        for key, value in self._writes.get(table, {}).get(org, {}).items():
            if value is _DELETED:
                result.pop(key, None)
            else:
                result[key] = value
        return list(result.values())

    def append(self, table: str, org: str, value: object) -> None:
        """Stage a record that gets the next position of ``(table, org)`` when committed."""
        self._appends.append((table, org, value))

    def heads(self, table: str) -> dict[str, int]:
        """The last committed position per organisation of an append-only table."""
        with self._committed.lock:
            return {org: n for (t, org), n in self._committed.heads.items() if t == table}

    def _staged(self) -> Iterator[tuple[str, str, dict[Hashable, Any]]]:
        for table, by_org in self._writes.items():
            for org, rows in by_org.items():
                yield table, org, rows

    def _check(self) -> None:
        """Raise ``ConflictError`` if a written key changed since first seen (lock held)."""
        tables = self._committed.tables
        for table, org, rows in self._staged():
            current = tables.get(table, {}).get(org, {})
            base = self._base[table][org]
            for key in rows:
                seen = base[key]
                now = current.get(key, _ABSENT)
                if now is not seen:
                    raise ConflictError(
                        f"{table} record {key!r} was changed by another unit of work; "
                        "nothing was written"
                    )

    def _changes(self) -> Iterator[tuple[str, str, Hashable, object]]:
        for table, org, rows in self._staged():
            for key, value in rows.items():
                yield table, org, key, None if value is _DELETED else value

    def commit(self) -> None:
        """Apply every staged write atomically, or raise ``ConflictError`` and apply none.

        A written key conflicts when the committed record under it is no
        longer the very object this unit of work first saw there (or one
        appeared where there was none): records are immutable and each write
        stores a new object, so that is a change by another unit of work.
        """
        if not self._writes and not self._appends:
            return
        store = self._committed
        with store.lock:
            self._check()
            store.seq += 1
            for table, org, rows in self._staged():
                target = _slot(store.tables, table, org)
                for key, value in rows.items():
                    if value is _DELETED:
                        target.pop(key, None)
                    else:
                        target[key] = value
            for table, org, value in self._appends:
                position = store.heads.get((table, org), 0) + 1
                store.heads[(table, org)] = position
                _slot(store.tables, table, org)[position] = value
            for listener in store.listeners:
                listener(self._changes())
        self.rollback()

    def rollback(self) -> None:
        """Forget every staged write."""
        self._writes = {}
        self._base = {}
        self._appends = []


class Repo(Generic[T]):
    """A table of records of one type, keyed by (organisation, id)."""

    table: str
    kind: str

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _add(self, org: str, key: Hashable, record: T) -> None:
        if self._tx.read(self.table, org, key) is not None:
            raise ConflictError(f"{self.kind} {key!r} already exists")
        self._tx.write(self.table, org, key, record)

    def _get(self, org: str, key: Hashable) -> T | None:
        found: T | None = self._tx.read(self.table, org, key)
        return found

    def _update(self, org: str, key: Hashable, record: T) -> None:
        if self._tx.read(self.table, org, key) is None:
            raise NotFound(self.kind, key)
        self._tx.write(self.table, org, key, record)

    def _list(self, org: str, order: Callable[[T], Any]) -> list[T]:
        rows: list[T] = self._tx.scan(self.table, org)
        rows.sort(key=order)
        return rows
