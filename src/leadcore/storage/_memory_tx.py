"""The transactional core of the memory adapter: committed tables and per-unit-of-work writes."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Hashable
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

_Key = tuple[str, str, Hashable]  # (table, organisation id, record key)


class Committed:
    """Committed state: table -> organisation -> key -> (commit sequence, record)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = 0
        # Insertion order of append-only records (history), shared by all units of work.
        self.order = itertools.count()
        self.tables: dict[str, dict[str, dict[Hashable, tuple[int, object]]]] = {}
        # The last position handed out per (append-only table, organisation).
        self.heads: dict[tuple[str, str], int] = {}
        # Called under the lock with every (table, org, key, value or None) a commit wrote,
        # so derived structures (the dispatch index) change in the same instant as the data.
        self.listeners: list[Callable[[list[tuple[str, str, Hashable, object]]], None]] = []

    def row(self, table: str, org: str, key: Hashable) -> tuple[int, object] | None:
        return self.tables.get(table, {}).get(org, {}).get(key)

    def value(self, table: str, org: str, key: Hashable) -> Any:
        """The committed record under ``key``, or ``None`` (call with the lock held)."""
        row = self.tables.get(table, {}).get(org, {}).get(key)
        return None if row is None else row[1]

    def values(self, table: str, org: str) -> list[Any]:
        """Every committed record of ``table`` in ``org`` (call with the lock held)."""
        return [row[1] for row in self.tables.get(table, {}).get(org, {}).values()]


class Transaction:
    """The write set of one unit of work over the committed store.

    Adapter code built on the memory store (repositories added by later
    features) reads and writes through these four methods only.
    """

    def __init__(self, committed: Committed) -> None:
        self._committed = committed
        self._writes: dict[_Key, object] = {}
        self._base: dict[_Key, int | None] = {}
        self._appends: list[tuple[str, str, object]] = []

    def _remember(self, k: _Key, row: tuple[int, object] | None) -> None:
        if k not in self._base:
            self._base[k] = None if row is None else row[0]

    def next_order(self) -> int:
        """A number larger than any handed out before (the insertion order of a record)."""
        return next(self._committed.order)

    def read(self, table: str, org: str, key: Hashable) -> Any:
        """The record under ``key``: this unit of work's write if any, else the committed one."""
        k = (table, org, key)
        if k in self._writes:
            value = self._writes[k]
            return None if value is _DELETED else value
        with self._committed.lock:
            row = self._committed.row(table, org, key)
        self._remember(k, row)
        return None if row is None else row[1]

    def write(self, table: str, org: str, key: Hashable, value: object) -> None:
        """Stage ``value`` under ``key`` (visible to this unit of work only until commit)."""
        k = (table, org, key)
        if k not in self._base:
            with self._committed.lock:
                self._remember(k, self._committed.row(table, org, key))
        self._writes[k] = value

    def delete(self, table: str, org: str, key: Hashable) -> None:
        """Stage the removal of ``key``."""
        self.write(table, org, key, _DELETED)

    def scan(self, table: str, org: str) -> list[Any]:
        """Every record of ``table`` in ``org`` as this unit of work sees it (unordered)."""
        with self._committed.lock:
            committed = dict(self._committed.tables.get(table, {}).get(org, {}))
        result: dict[Hashable, object] = {key: row[1] for key, row in committed.items()}
        for (t, o, key), value in self._writes.items():
            if t == table and o == org:
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

    def commit(self) -> None:
        """Apply every staged write atomically, or raise ``ConflictError`` and apply none."""
        if not self._writes and not self._appends:
            return
        store = self._committed
        with store.lock:
            for k in self._writes:
                table, org, key = k
                row = store.row(table, org, key)
                current = None if row is None else row[0]
                if current != self._base.get(k):
                    raise ConflictError(
                        f"{table} record {key!r} was changed by another unit of work; "
                        "nothing was written"
                    )
            store.seq += 1
            seq = store.seq
            changes: list[tuple[str, str, Hashable, object]] = []
            for (table, org, key), value in self._writes.items():
                rows = store.tables.setdefault(table, {}).setdefault(org, {})
                if value is _DELETED:
                    rows.pop(key, None)
                    changes.append((table, org, key, None))
                else:
                    rows[key] = (seq, value)
                    changes.append((table, org, key, value))
            for table, org, value in self._appends:
                position = store.heads.get((table, org), 0) + 1
                store.heads[(table, org)] = position
                store.tables.setdefault(table, {}).setdefault(org, {})[position] = (seq, value)
            for listener in store.listeners:
                listener(changes)
        self.rollback()

    def rollback(self) -> None:
        """Forget every staged write."""
        self._writes.clear()
        self._base.clear()
        self._appends.clear()


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
