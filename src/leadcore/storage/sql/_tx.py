"""The write set of one unit of work over the database: the SQL twin of the memory store.

A unit of work reads committed rows from the database and keeps its own
writes to itself until :meth:`SqlTransaction.commit`, exactly as
:mod:`leadcore.storage._memory_tx` does over the memory store:

- a read returns this unit of work's own write if it made one, else the
  latest committed row; the first time it meets a row it remembers the row's
  revision (its *base*);
- :meth:`~SqlTransaction.commit` writes everything in one database
  transaction, each replaced or removed row with ``WHERE revision = base``.
  A row changed by another commit since this unit of work first met it
  matches nothing: the commit raises :class:`~leadcore.errors.ConflictError`
  and the transaction rolls back, so nothing is written (first committer wins).

Writes reach the database only inside that one transaction, so a unit of work
never holds a lock while the caller works, two open units of work never wait
for each other, and a statement that fails or a connection that drops in the
middle leaves nothing half-written.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    Table,
    bindparam,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable

from leadcore.errors import ConflictError
from leadcore.events._codec import event_to_dict
from leadcore.events._model import Event
from leadcore.storage.sql._bulk import insert_many
from leadcore.storage.sql._combined import FEW, Combined
from leadcore.storage.sql._compound import Compound
from leadcore.storage.sql._config_cache import ConfigCache
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._spec import Key, Spec

if TYPE_CHECKING:
    from leadcore.storage.sql._backend import Backend
    from leadcore.storage.sql._storage import Store

__all__ = [
    "CHUNK",
    "CONFIG",
    "COUNTERS",
    "DELETED",
    "EVENTS",
    "ConfigCache",
    "Deleted",
    "DerivedWriter",
    "Key",
    "Spec",
    "SqlTransaction",
    "moment",
]

T = TypeVar("T")


class Deleted:
    """The staged removal of a row."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<deleted>"


#: A staged removal.
DELETED: Final = Deleted()

COUNTERS: Final = metadata.tables["leadcore_counters"]
EVENTS: Final = metadata.tables["leadcore_events"]

#: The counter each commit that writes an organisation's configuration advances.
CONFIG: Final = "config"
_CONFIG_GENERATION: Final = select(COUNTERS.c.value).where(
    COUNTERS.c.organization_id == bindparam("org"), COUNTERS.c.name == CONFIG
)

#: Rows per ``IN (...)`` list, well under every backend's limit of bound parameters.
CHUNK: Final = 500


@attrs.frozen
class _Base(Generic[T]):
    """A row as a unit of work first met it."""

    revision: int | None
    """``None``: there was no row."""
    record: T | None


_ABSENT: Final[_Base[Any]] = _Base(None, None)


DerivedWriter = Callable[["SqlTransaction", Connection], None]
"""Writes the rows of a derived table at commit (``(tx, connection)``)."""


class SqlTransaction:
    """Staged writes and remembered bases of one unit of work (see the module docs).

    ``writers`` write derived tables: every commit runs them, in order, after
    the staged records are written and before the events, so that they read
    what the commit wrote. The storage passes the ones its tables need.
    """

    def __init__(self, store: Store, writers: Sequence[DerivedWriter] = ()) -> None:
        self._store = store
        self.writers: tuple[DerivedWriter, ...] = tuple(writers)
        """The writers of derived tables this unit of work's commits run."""
        self._connection: Connection | None = None
        self._scoped: str | None = None
        self._staged: dict[Spec[Any], dict[Key, Any]] = {}
        self._bases: dict[Spec[Any], dict[Key, _Base[Any]]] = {}
        self._events: list[Event] = []
        self._vouched: dict[Spec[Any], dict[Key, Any]] = {}
        self._config_entries: dict[str, dict[Any, Any]] = {}
        self._writing: tuple[str, Key] | None = None
        self._prepared = False
        self._combined: Combined | Compound | None = None
        self.generation = 0
        """Counts the times the staged writes were dropped (commit or rollback)."""
        self.after_commit: list[Callable[[int], None]] = []
        """Called with the commit's :func:`moment` once it is visible; dropped at its end."""
        self.whole_write: Callable[[SqlTransaction, Connection], bool] | None = None
        """Writes the next commit in one statement if it has the shape it knows (``True``),
        else leaves it to the general path (``False``); set by a repository, dropped after."""

    @property
    def backend(self) -> Backend:
        """The database family the unit of work runs on."""
        return self._store.backend

    # -- statements ------------------------------------------------------------------

    def _conn(self) -> Connection:
        if self._connection is None:
            self._connection = self._store.checkout()
        return self._connection

    def scope(self, connection: Connection, organization_id: str | None) -> None:
        """Make the next statements act in ``organization_id`` (Row-Level Security)."""
        if organization_id is not None and organization_id != self._scoped:
            if self._store.backend.row_level_security:
                self._send_first(connection)  # written in the organisation they belong to
            self._store.backend.scope(connection, organization_id)
            self._scoped = organization_id

    def rows(
        self,
        statement: Executable,
        organization_id: str | None,
        parameters: Mapping[str, Any] | None = None,
        *,
        by_keys: bool = False,
    ) -> list[Row[Any]]:
        """Run a query in the organisation ``organization_id`` acts in; every row it returns.

        ``by_keys``: the query looks rows up by a list of keys, so the database
        plans it for that list each time (see :meth:`Backend.planned_each_time`).
        """
        with self._store.statement_lock:
            fresh = self._connection is None
            try:
                return self._run(statement, organization_id, parameters, by_keys)
            except DBAPIError as exc:
                if not (fresh and exc.connection_invalidated):
                    raise
                # The first statement met a pooled connection the server had dropped (see
                # ping_when_idle): nothing ran on it, so run the statement on a new one.
                self._drop(self._conn())
                self._scoped = None
                return self._run(statement, organization_id, parameters, by_keys)

    def _run(
        self,
        statement: Executable,
        organization_id: str | None,
        parameters: Mapping[str, Any] | None,
        by_keys: bool,
    ) -> list[Row[Any]]:
        connection = self._conn()
        self.scope(connection, organization_id)
        if not by_keys:
            return list(connection.execute(statement, parameters).all())
        with self._store.backend.planned_each_time(connection):
            return list(connection.execute(statement, parameters).all())

    # -- records -----------------------------------------------------------------------

    def staged(self, spec: Spec[T]) -> dict[Key, T | Deleted]:
        """The writes of this unit of work to ``spec``'s table (in the order they were made)."""
        return self._staged.setdefault(spec, {})

    def _remember(self, spec: Spec[T], key: Key, row: Row[Any] | None) -> T | None:
        """Remember the base of ``key`` if it is met for the first time; return the record."""
        return self._remember_base(spec, key, *_entry(spec, row))

    def _remember_base(
        self, spec: Spec[T], key: Key, revision: int | None, record: T | None
    ) -> T | None:
        bases = self._bases.setdefault(spec, {})
        if key not in bases:
            bases[key] = _ABSENT if record is None else _Base(revision, record)
        return record

    def config(self, organization_id: str) -> dict[Any, Any]:
        """The cached configuration of the organisation, as of this unit of work's generation.

        The first call of a unit of work for an organisation reads its
        ``config`` counter; the entries are ``(spec, key) -> (revision, record)``
        and answers derived from configuration alone (see :meth:`config_value`).
        """
        entries = self._config_entries.get(organization_id)
        if entries is None:
            query = _CONFIG_GENERATION
            if not self._prepared:
                # The first read of the transaction: it makes the commit's settings too.
                prepared = self._store.preparing(_CONFIG_GENERATION)
                if prepared is not None:
                    query = prepared
            found = self.rows(query, organization_id, {"org": organization_id})
            self._prepared = self._prepared or query is not _CONFIG_GENERATION
            generation = int(found[0][0]) if found and found[0][0] is not None else 0
            entries = self._store.config.at(organization_id, generation)
            self._config_entries[organization_id] = entries
        return entries

    def config_value(self, organization_id: str, name: Hashable, load: Callable[[], T]) -> T:
        """An answer computed from committed configuration alone, cached like its records."""
        entries = self.config(organization_id)
        if name in entries:
            return entries[name]  # type: ignore[no-any-return]
        value = entries[name] = load()
        return value

    def get(self, spec: Spec[T], key: Key) -> T | None:
        """The record under ``key``: this unit of work's write, else the committed one."""
        staged = self._staged.get(spec)
        if staged is not None and key in staged:
            value = staged[key]
            return None if isinstance(value, Deleted) else value
        vouched = self._vouched.get(spec)
        if vouched is not None and key in vouched:
            return vouched[key]  # type: ignore[no-any-return]
        if spec.cached:
            entries = self.config(str(key[0]))
            entry = entries.get((spec, key))
            if entry is None:
                found = self.rows(spec.by_key, self._org(spec, key), spec.key_params(key))
                entry = entries[(spec, key)] = _entry(spec, found[0] if found else None)
            return self._remember_base(spec, key, entry[0], entry[1])
        found = self.rows(spec.by_key, self._org(spec, key), spec.key_params(key))
        return self._remember(spec, key, found[0] if found else None)

    def vouch(self, spec: Spec[T], key: Key, record: T | None, revision: int | None) -> None:
        """Hold ``record`` (``None``: no row) as ``key``'s committed row in this unit of work.

        Only for a row read under a lock that this unit of work holds until it
        ends, so that no other commit can change it meanwhile: later reads of
        ``key`` then need no query. The first base met stays the base.
        """
        self._remember_base(spec, key, revision, record)
        self._vouched.setdefault(spec, {})[key] = record

    def meet(self, spec: Spec[T], keys: Iterable[Key]) -> None:
        """Remember the bases of ``keys`` not met yet, in as few queries as possible."""
        bases = self._bases.setdefault(spec, {})
        missing = [key for key in keys if key not in bases]
        if not missing:
            return
        wanted: dict[str | None, list[Key]] = {}
        for key in dict.fromkeys(missing):
            wanted.setdefault(self._org(spec, key), []).append(key)
        backend = self._store.backend
        size = backend.key_chunk
        for org, of_org in wanted.items():
            for start in range(0, len(of_org), size):
                chunk = of_org[start : start + size]
                statement = select(spec.table).where(spec.where_keys(chunk, backend.one_of))
                found = {spec.key_of(r): r for r in self.rows(statement, org, by_keys=True)}
                for key in chunk:
                    self._remember(spec, key, found.get(key))

    def known(self, spec: Spec[T], key: Key) -> T | None:
        """The record under ``key`` as this unit of work wrote it, else as it first met it.

        Reads the row only if the unit of work never met it (then as :meth:`get`).
        """
        staged = self._staged.get(spec)
        if staged is not None and key in staged:
            value = staged[key]
            return None if isinstance(value, Deleted) else value
        base = self._bases.get(spec, {}).get(key)
        if base is not None:
            found: T | None = base.record
            return found
        return self.get(spec, key)

    def base(self, spec: Spec[T], key: Key) -> T | None:
        """The committed record under ``key`` as this unit of work first met it (or ``None``)."""
        found: T | None = self._bases.get(spec, {}).get(key, _ABSENT).record
        return found

    def base_revision(self, spec: Spec[Any], key: Key) -> int | None:
        """The revision of ``key``'s row when this unit of work first met it (``None``: no row)."""
        return self._bases.get(spec, {}).get(key, _ABSENT).revision

    def staged_specs(self) -> list[Spec[Any]]:
        """The specs this unit of work has staged writes to."""
        return [spec for spec, staged in self._staged.items() if staged]

    def encoded_events(self) -> dict[str, list[tuple[str, str]]]:
        """The staged events as ``(event_id, record)`` per organisation, in order."""
        by_org: dict[str, list[tuple[str, str]]] = {}
        for e in self._events:
            record = _EVENT_JSON.encode(event_to_dict(e))
            by_org.setdefault(e.organization_id, []).append((e.event_id, record))
        return by_org

    def is_new(self, spec: Spec[Any], key: Key) -> bool:
        """Whether ``key`` had no row when this unit of work first met it."""
        base = self._bases.get(spec, {}).get(key)
        return base is not None and base.revision is None

    def remember(self, spec: Spec[T], key: Key, revision: int | None, record: T | None) -> None:
        """Take ``record`` at ``revision`` (``None``: no row) as ``key``'s base, if not met yet.

        For a repository that read the row itself, in a statement of its own
        that looked up several tables at once.
        """
        self._remember_base(spec, key, revision, record)

    def put_new(self, spec: Spec[T], key: Key, record: T) -> None:
        """Stage a new record under ``key`` without reading whether the key is taken.

        ``ConflictError`` now if this unit of work holds or met a record under
        ``key``; a record committed under it meanwhile makes the commit's
        ``INSERT`` fail on the primary key, and the commit raises
        ``ConflictError`` with nothing written. For fresh ids, whose check
        would cost a query per record.
        """
        if self.known_present(spec, key):
            raise ConflictError(f"{spec.kind} {key[-1]!r} already exists")
        self._bases.setdefault(spec, {}).setdefault(key, _ABSENT)
        self.staged(spec)[key] = record

    def met(self, spec: Spec[Any]) -> Collection[Key]:
        """The keys of ``spec``'s table whose base this unit of work holds."""
        return self._bases.get(spec, {}).keys()

    def known_present(self, spec: Spec[Any], key: Key) -> bool:
        """Whether this unit of work wrote, or first met, a record under ``key`` (no query)."""
        staged = self._staged.get(spec)
        if staged is not None and key in staged:
            return not isinstance(staged[key], Deleted)
        base = self._bases.get(spec, {}).get(key)
        return base is not None and base.record is not None

    def put(self, spec: Spec[T], key: Key, record: T) -> None:
        """Stage ``record`` under ``key`` (visible to this unit of work only until commit)."""
        if spec.versioned and key not in self._bases.get(spec, ()):
            self.meet(spec, [key])
        self.staged(spec)[key] = record

    def delete(self, spec: Spec[Any], key: Key) -> None:
        """Stage the removal of ``key``."""
        self.meet(spec, [key])
        self.staged(spec)[key] = DELETED

    def scan(
        self,
        spec: Spec[T],
        organization_id: str,
        where: Sequence[ColumnElement[bool]] = (),
        keep: Callable[[Key, T], bool] | None = None,
    ) -> list[T]:
        """Every record of the organisation matching ``where``, as this unit of work sees it.

        ``keep`` must say of a staged record what ``where`` says of a row:
        a staged record replaces the committed one whether it still matches or not.
        """
        t = spec.table
        statement = select(t).where(t.c.organization_id == organization_id, *where)
        found = {spec.key_of(r): spec.decode(r) for r in self.rows(statement, organization_id)}
        for key, value in self.staged(spec).items():
            if key[0] != organization_id:
                continue
            if isinstance(value, Deleted) or (keep is not None and not keep(key, value)):
                found.pop(key, None)
            else:
                found[key] = value
        return list(found.values())

    def record_event(self, event: Event) -> None:
        """Stage an event; it gets its position when the unit of work commits."""
        self._events.append(event)

    def _org(self, spec: Spec[Any], key: Key) -> str | None:
        return str(key[0]) if spec.scoped else None

    # -- commit and rollback --------------------------------------------------------------

    def commit(self) -> None:
        """Write every staged change in one transaction, or raise ``ConflictError``: none."""
        if not self._events and not any(self._staged.values()):
            # Like the memory store: nothing to write, and the bases stay remembered.
            self._end_read()
            return
        store = self._store
        with store.write_lock, store.statement_lock:
            connection = self._conn()
            try:
                # A commit written in one statement sets its lock timeout in it.
                whole = self.whole_write
                store.begin_write(connection, prepared=self._prepared or whole is not None)
                if whole is None or not whole(self, connection):
                    if whole is not None and not self._prepared:
                        store.set_lock_timeout(connection)
                    self._combined = store.backend.gather_writes(connection, COUNTERS)
                    if self._combined is not None:
                        event.listen(connection, "before_execute", self._send_first)
                    try:
                        self._flush(connection)
                        self._send(connection)
                    finally:
                        if self._combined is not None:
                            event.remove(connection, "before_execute", self._send_first)
                store.end_write(connection, commit=True)
                visible = moment()
                for done in self.after_commit:
                    done(visible)
            except BaseException as exc:
                self._abandon(connection)
                if isinstance(exc, DBAPIError):
                    raise self._conflict(exc) from exc
                raise
            finally:
                self._combined = None
                self._forget()

    def insert_rows(
        self, connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
    ) -> None:
        """At commit, ``INSERT`` ``rows`` (all with the same columns) in the current scope.

        On PostgreSQL and MariaDB a few rows join the commit's gathered statement
        (see :mod:`leadcore.storage.sql._combined` and
        :mod:`~leadcore.storage.sql._compound`); many go in a bulk statement now.
        """
        if self._combined is not None and len(rows) <= FEW:
            self._combined.insert(table, rows)
        else:
            insert_many(connection, table, rows)

    def _send_first(self, connection: Connection, *_: Any) -> None:
        # Any other statement of the commit sees the combined writes: they go first.
        if self._combined:
            self._send(connection)

    def _send(self, connection: Connection) -> None:
        combined = self._combined
        if combined:
            self._writing = combined.first
            combined.flush(connection)
            self._writing = None

    def rollback(self) -> None:
        """Forget every staged write and end the database transaction of the reads."""
        self._end_read()
        self._forget()

    def _end_read(self) -> None:
        connection = self._connection
        if connection is not None:
            with self._store.statement_lock:
                try:
                    self._store.end_read(connection)
                except DBAPIError:
                    self._drop(connection)
        self._scoped = None
        self._prepared = False

    def close(self) -> None:
        """Roll back and give the connection back."""
        self.rollback()
        if self._connection is not None:
            self._store.release(self._connection)
            self._connection = None

    def _forget(self) -> None:
        self.generation += 1
        self._staged.clear()
        self._bases.clear()
        self._vouched.clear()
        self._config_entries.clear()
        self._events.clear()
        self.after_commit.clear()
        self.whole_write = None
        self._scoped = None
        self._prepared = False
        self._writing = None

    def _abandon(self, connection: Connection) -> None:
        try:
            self._store.end_write(connection, commit=False)
        except DBAPIError:
            self._drop(connection)

    def _drop(self, connection: Connection) -> None:
        # A connection that cannot even roll back is broken: the database has
        # already discarded its transaction; never hand it out again.
        self._store.discard(connection)
        self._connection = None
        self._prepared = False

    def _conflict(self, error: DBAPIError) -> BaseException:
        backend = self._store.backend
        what = "a record"
        if self._writing is not None:
            kind, key = self._writing
            what = f"{kind} {key[-1]!r}"
        if backend.is_duplicate(error):
            return ConflictError(
                f"{what} was added by another unit of work meanwhile; nothing was written"
            )
        if backend.is_lost_race(error):
            return ConflictError(
                f"writing {what} lost a race with another unit of work "
                f"({type(error.orig).__name__}); nothing was written"
            )
        return error

    # -- the writes of a commit -------------------------------------------------------------

    def commit_lock_timeout(self) -> str | None:
        """The lock timeout a commit's one statement must set (``None``: none to set)."""
        return self._store.commit_lock_timeout()

    def _flush(self, connection: Connection) -> None:
        for spec in sorted(self._staged, key=lambda s: s.order):
            staged = self._staged[spec]
            if staged:
                self._write(connection, spec, staged)
        configured = {
            str(key[0]) for spec, staged in self._staged.items() if spec.cached for key in staged
        }
        for org in sorted(configured):
            self.scope(connection, org)
            self._store.backend.advance_counter(connection, COUNTERS, org, CONFIG, 1)
        for writer in self.writers:
            writer(self, connection)
        self._write_events(connection)

    def _write(self, connection: Connection, spec: Spec[Any], staged: dict[Key, Any]) -> None:
        bases = self._bases.get(spec, {})
        inserts: dict[str | None, list[dict[str, Any]]] = {}
        # Replacements of the same columns in one organisation go in one executemany
        # where the driver counts the rows it changed (an import touches many contact keys).
        replacements: dict[
            tuple[str | None, tuple[str, ...]], list[tuple[Key, dict[str, Any]]]
        ] = {}
        batched = connection.dialect.supports_sane_multi_rowcount
        combined = self._combined if len(staged) <= FEW else None
        numbered = spec.sequence is not None and combined is not None and spec.scoped
        seqs = (
            self._sequence(connection, spec, staged, bases)
            if spec.sequence and not numbered
            else {}
        )
        # Keys in order, so that two commits lock shared rows in the same order.
        ordered = sorted(staged, key=_sort_key)
        # Read once: this loop runs for every row an import writes.
        key_names, columns, versioned = spec.key, spec.columns, spec.versioned
        for key in ordered:
            value = staged[key]
            base = bases.get(key, _ABSENT)
            if isinstance(value, Deleted):
                self._writing = (spec.kind, key)
                self._remove(connection, spec, key, base)
                continue
            values = columns(value)
            row = dict(zip(key_names, key, strict=True))
            row.update(values)
            org = spec.organization_of(key, row)
            if key in seqs:
                row["seq"] = seqs[key]
            if not versioned or base.revision is None:
                if versioned:
                    row["revision"] = 1
                inserts.setdefault(org, []).append(row)
            elif combined is not None:
                self.scope(connection, org)
                t = spec.table
                combined.update(
                    update(t)
                    .where(spec.where_key(key), t.c.revision == base.revision)
                    .values({**values, "revision": base.revision + 1}),
                    1,
                    f"{spec.kind} {key[-1]!r} was changed by another unit of work; "
                    "nothing was written",
                )
            elif batched:
                params = spec.replace_params(key, base.revision, values)
                replacements.setdefault((org, tuple(values)), []).append((key, params))
            else:
                self._writing = (spec.kind, key)
                self.scope(connection, org)
                changed = connection.execute(
                    spec.replace(tuple(values)), spec.replace_params(key, base.revision, values)
                )
                if changed.rowcount != 1:
                    raise ConflictError(
                        f"{spec.kind} {key[-1]!r} was changed by another unit of work; "
                        "nothing was written"
                    )
        if ordered:  # what a failure of the statements below names, as before
            self._writing = (spec.kind, ordered[-1])
        for (org, names), of_names in replacements.items():
            self.scope(connection, org)
            changed = connection.execute(spec.replace(names), [p for _, p in of_names])
            if changed.rowcount != len(of_names):
                what = (
                    f"{spec.kind} {of_names[0][0][-1]!r}"
                    if len(of_names) == 1
                    else (f"one of {len(of_names)} {spec.kind} rows")
                )
                raise ConflictError(
                    f"{what} was changed by another unit of work; nothing was written"
                )
        for org, rows in inserts.items():
            self._writing = (spec.kind, spec.key_in(rows[0])) if len(rows) == 1 else None
            self.scope(connection, org)
            if combined is None:
                insert_many(connection, spec.table, rows)
                continue
            if combined.first is None and spec.versioned and len(rows) == 1:
                combined.first = self._writing
            if numbered and org is not None and spec.sequence is not None:
                # Numbered in the order staged, as _sequence numbers them.
                order = {key: i for i, key in enumerate(staged)}
                rows.sort(key=lambda r: order[spec.key_in(r)])
                combined.insert_numbered(spec.table, org, spec.sequence, "seq", rows)
            else:
                combined.insert(spec.table, rows)
        self._writing = None
        if spec.after_writes is not None:
            spec.after_writes(
                self,
                connection,
                [
                    (key, bases.get(key, _ABSENT).record, value)
                    for key in ordered
                    if not isinstance(value := staged[key], Deleted)
                ],
            )
        if spec.after_write is not None:
            for key in ordered:
                value = staged[key]
                if not isinstance(value, Deleted):
                    base = bases.get(key, _ABSENT)
                    spec.after_write(self, connection, key, base.record, value)

    def _remove(self, connection: Connection, spec: Spec[Any], key: Key, base: _Base[Any]) -> None:
        t = spec.table
        self.scope(connection, spec.organization_of(key, {}))
        if base.revision is None:
            # Removing what was not there: only a conflict if someone added it meanwhile.
            present = connection.execute(select(t).where(spec.where_key(key))).first()
            if present is not None:
                raise ConflictError(
                    f"{spec.kind} {key[-1]!r} was added by another unit of work meanwhile; "
                    "nothing was written"
                )
            return
        gone = connection.execute(
            delete(t).where(spec.where_key(key), t.c.revision == base.revision)
        )
        if gone.rowcount != 1:
            raise ConflictError(
                f"{spec.kind} {key[-1]!r} was changed by another unit of work; nothing was written"
            )

    def _sequence(
        self,
        connection: Connection,
        spec: Spec[Any],
        staged: dict[Key, Any],
        bases: dict[Key, _Base[Any]],
    ) -> dict[Key, int]:
        """Number the new rows of each organisation in the order they were staged."""
        assert spec.sequence is not None
        new: dict[str, list[Key]] = {}
        for key, value in staged.items():
            if not isinstance(value, Deleted) and bases.get(key, _ABSENT).revision is None:
                new.setdefault(str(key[0]), []).append(key)
        out: dict[Key, int] = {}
        for org in sorted(new):
            keys = new[org]
            self.scope(connection, org)
            last = self._store.backend.advance_counter(
                connection, COUNTERS, org, spec.sequence, len(keys)
            )
            out.update(zip(keys, itertools.count(last - len(keys) + 1), strict=False))
        return out

    def _write_events(self, connection: Connection) -> None:
        by_org = self.encoded_events()  # before the counter's row lock is taken
        for org in sorted(by_org):
            self.scope(connection, org)
            rows = by_org[org]
            if self._combined is not None and len(rows) <= FEW:
                given = [
                    {"organization_id": org, "event_id": event_id, "record": record}
                    for event_id, record in rows
                ]
                self._combined.insert_numbered(EVENTS, org, "events", "position", given)
            else:
                self._store.backend.append_events(connection, COUNTERS, EVENTS, org, rows)


#: The encoder of event records (``json.dumps`` with arguments builds one a call).
_EVENT_JSON: Final = json.JSONEncoder(ensure_ascii=False)

_MOMENTS: Final = itertools.count(1)


def moment() -> int:
    """A number greater than every one given before, in this process (a logical clock).

    A statement that starts after a commit's :attr:`SqlTransaction.after_commit`
    moment sees that commit; one that started before a moment may not.
    """
    return next(_MOMENTS)


def _entry(spec: Spec[T], row: Row[Any] | None) -> tuple[int | None, T | None]:
    """A row's revision (0 for a table without one) and record; ``(None, None)``: no row."""
    if row is None:
        return None, None
    return (row._mapping["revision"] if spec.versioned else 0), spec.decode(row)


def _sort_key(key: Key) -> tuple[str, ...]:
    return tuple(map(str, key))
