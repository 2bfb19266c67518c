"""What differs between SQLite, PostgreSQL and MariaDB/MySQL: engines, transactions, errors.

- **SQLite**: reads run in autocommit mode (each statement sees the latest
  commit, like the memory adapter); a commit takes the database's write lock
  with ``BEGIN IMMEDIATE``, so writers queue instead of failing half-way. A
  file database runs in WAL mode, so readers never wait for a writer. An
  in-memory database is one connection that every unit of work shares, one
  statement at a time.
- **PostgreSQL** and **MariaDB/MySQL**: a unit of work's reads and its commit run
  in one ``READ COMMITTED`` transaction on one connection.

The lost races of a commit (a duplicate key, a deadlock, a lock wait that
timed out) become :class:`~leadcore.errors.ConflictError`; the transaction is
rolled back, so nothing of the unit of work is written.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    String,
    Table,
    TextClause,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError
from sqlalchemy.pool import StaticPool

from leadcore.errors import ValidationError
from leadcore.storage.sql._bulk import insert_many
from leadcore.storage.sql._combined import Combined
from leadcore.storage.sql._compound import Compound
from leadcore.storage.sql._rls import set_local_statement
from leadcore.storage.sql._url import read_url

__all__ = ["Backend", "backend_for", "pg_events_params", "pg_events_parts"]

# SQLSTATEs / error numbers of a lost race: deadlock, serialisation failure, lock timeout.
_PG_RACES: Final = frozenset({"40P01", "40001", "55P03"})
_PG_UNIQUE: Final = "23505"
_MYSQL_RACES: Final = frozenset({1205, 1213})
_MYSQL_UNIQUE: Final = 1062
_SQLITE_BUSY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
#: A pooled connection idle longer than this is pinged before a unit of work gets it.
IDLE_PING_SECONDS: Final = 10.0


def ping_when_idle(engine: Engine, idle: float = IDLE_PING_SECONDS) -> None:
    """Ping a pooled connection at checkout only if it sat in the pool over ``idle`` seconds.

    Instead of ``pool_pre_ping``, which pings on every checkout: a round trip
    for each unit of work, a tenth of a claim's statements. A connection in
    steady use is handed out as it is; one that sat idle long enough for the
    server to drop it (an idle timeout, a restart, a network change) is pinged,
    and replaced by a new one when the ping fails. A connection that dies
    between two quick uses fails its first statement once, and SQLAlchemy then
    drops it and the rest of the pool (see :meth:`SqlTransaction.rows
    <leadcore.storage.sql._tx.SqlTransaction.rows>`, which runs a unit of
    work's first read again on a new connection).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["leadcore_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("leadcore_idle_since", None)
        if since is None or time.monotonic() - since <= idle:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("a pooled connection did not answer its ping") from exc
        if not alive:
            raise DisconnectionError("a pooled connection did not answer its ping")


class Backend:
    """The behaviour of one database family; :func:`backend_for` picks it from a URL."""

    name: str = "?"
    isolation_level: str = "READ COMMITTED"
    """The isolation level of the storage's connections."""
    shared_connection: bool = False
    """One connection for every unit of work (SQLite in memory)."""

    def __init__(self, url: URL, *, row_level_security: bool, timeout: float) -> None:
        self.url = url
        self.row_level_security = row_level_security
        self.timeout = timeout
        self.write_lock: AbstractContextManager[object] = nullcontext()
        """Held by a commit in this process (queues local writers without busy-waiting)."""

    def gather_writes(self, connection: Connection, counters: Table) -> Combined | Compound | None:
        """What gathers a commit's few-row writes into one statement (``None``: one each)."""
        return None

    #: At most this many keys in one look-up by a list of keys.
    key_chunk: int = 500

    def one_of(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        """``column`` is one of ``values``: ``IN (...)``, a parameter per value."""
        found: ColumnElement[bool] = column.in_(values)
        return found

    @property
    def durable(self) -> bool:
        """Whether committed data outlives the process."""
        return True

    def create_engine(self, **options: Any) -> Engine:
        """A new engine for :attr:`url`."""
        return create_engine(self.url, isolation_level=self.isolation_level, **options)

    # -- transactions ------------------------------------------------------------------

    def begin_write(self, connection: Connection, *, prepared: bool = False) -> None:
        """Start the transaction a commit writes in (reads may already have begun it).

        ``prepared``: the lock timeout is already set (a read of this transaction
        ran :meth:`preparing`'s query, or the commit's one statement sets it with
        :meth:`commit_lock_timeout`); otherwise :meth:`set_lock_timeout` runs.
        """

    def preparing(self, query: Select[Any]) -> Select[Any] | None:
        """``query`` also making the settings of :meth:`begin_write`; ``None``: none to make.

        The query returned has one row: ``query``'s first value (``NULL``: no row).

        For the first read of a transaction that a commit may continue: the
        settings then cost no statement of their own.
        """
        return None

    def commit_lock_timeout(self) -> str | None:
        """The lock timeout each commit must set itself (``None``: the session has it)."""
        return None

    def set_lock_timeout(self, connection: Connection) -> None:
        """Set the lock timeout of this commit, if the session does not have it."""

    def end_write(self, connection: Connection, *, commit: bool) -> None:
        """Commit or roll back the transaction of a commit."""
        if commit:
            connection.commit()
        else:
            connection.rollback()

    def end_read(self, connection: Connection) -> None:
        """End a transaction that only read."""
        connection.rollback()

    def scope(self, connection: Connection, organization_id: str) -> None:
        """Tell the database which organisation the next statements act in (RLS)."""

    def planned_each_time(self, connection: Connection) -> AbstractContextManager[None]:
        """Statements run inside are planned for their values each time (no generic plan).

        For look-ups by a list of keys: once a driver prepares such a statement,
        the database may switch to one generic plan for every list, chosen when
        the tables were small (an import fills them as it goes).
        """
        return nullcontext()

    # -- writes that differ per dialect --------------------------------------------------

    def advance_counter(
        self, connection: Connection, table: Table, organization_id: str, name: str, by: int
    ) -> int:
        """Add ``by`` to a counter (creating it at 0) and return its new value.

        The counter row stays locked until the transaction ends, which orders
        the commits that advance it.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement advance_counter")

    def append_events(
        self,
        connection: Connection,
        counters: Table,
        events: Table,
        organization_id: str,
        rows: Sequence[tuple[str, str]],
    ) -> None:
        """Append ``rows`` (``(event_id, record)``) to the organisation's outbox, numbered next.

        The ``events`` counter numbers them, and its row stays locked until the
        transaction ends: every commit of an organisation that records events
        queues on it. The records are encoded before this is called, so the
        lock is held for as few statements as the backend can manage.
        """
        last = self.advance_counter(connection, counters, organization_id, "events", len(rows))
        first = last - len(rows) + 1
        insert_many(
            connection,
            events,
            [
                {
                    "organization_id": organization_id,
                    "position": first + i,
                    "event_id": event_id,
                    "record": record,
                }
                for i, (event_id, record) in enumerate(rows)
            ],
        )

    # -- errors --------------------------------------------------------------------------

    def is_duplicate(self, error: DBAPIError) -> bool:
        """Whether ``error`` is a primary-key collision."""
        return isinstance(error, IntegrityError)

    def is_lost_race(self, error: DBAPIError) -> bool:
        """Whether ``error`` is a deadlock, a serialisation failure or a lock timeout."""
        return False


class SqliteBackend(Backend):
    """SQLite through the standard library's ``sqlite3``."""

    name = "sqlite"
    isolation_level = "AUTOCOMMIT"

    def __init__(self, url: URL, *, row_level_security: bool, timeout: float) -> None:
        super().__init__(url, row_level_security=row_level_security, timeout=timeout)
        database = url.database or ""
        self.in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
        self.shared_connection = self.in_memory
        # One process queues its own writers here; other processes wait on the file lock.
        self.write_lock = threading.RLock()

    @property
    def durable(self) -> bool:
        return not self.in_memory

    def create_engine(self, **options: Any) -> Engine:
        connect_args = {"timeout": self.timeout, "check_same_thread": False}
        if self.in_memory:
            options.setdefault("poolclass", StaticPool)
        engine = create_engine(
            self.url, isolation_level=self.isolation_level, connect_args=connect_args, **options
        )
        in_memory = self.in_memory

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

        return engine

    def begin_write(self, connection: Connection, *, prepared: bool = False) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def end_write(self, connection: Connection, *, commit: bool) -> None:
        raw = connection.connection.dbapi_connection
        if raw is not None and raw.in_transaction:
            connection.exec_driver_sql("COMMIT" if commit else "ROLLBACK")

    def end_read(self, connection: Connection) -> None:
        """Nothing to end: reads run in autocommit mode."""

    def advance_counter(
        self, connection: Connection, table: Table, organization_id: str, name: str, by: int
    ) -> int:
        c = table.c
        stmt = sqlite.insert(table).values(organization_id=organization_id, name=name, value=by)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.organization_id, c.name], set_={"value": c.value + by}
        )
        return int(connection.execute(stmt.returning(c.value)).scalar_one())

    def is_duplicate(self, error: DBAPIError) -> bool:
        return isinstance(error, IntegrityError) and "UNIQUE" in str(error.orig)

    def is_lost_race(self, error: DBAPIError) -> bool:
        code = getattr(error.orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_BUSY


class PostgresBackend(Backend):
    """PostgreSQL through ``psycopg`` 3; optional Row-Level Security."""

    name = "postgresql"

    def gather_writes(self, connection: Connection, counters: Table) -> Combined | Compound | None:
        """Data-modifying CTEs (:mod:`leadcore.storage.sql._combined`)."""
        return Combined(counters)

    # One array parameter, whatever the number of values: the driver sends it as one
    # value and the server parses no list of thousands of parameters.
    key_chunk = 10_000

    def one_of(self, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
        """``column = ANY(:array)``: one parameter for every value."""
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        found: ColumnElement[bool] = column == any_(array)
        return found

    def __init__(self, url: URL, *, row_level_security: bool, timeout: float) -> None:
        super().__init__(url, row_level_security=row_level_security, timeout=timeout)
        self._session_timeout = False

    def create_engine(self, **options: Any) -> Engine:
        engine = create_engine(self.url, isolation_level=self.isolation_level, **options)
        if not options.get("pool_pre_ping"):
            ping_when_idle(engine)
        timeout = f"{round(self.timeout * 1000)}ms"

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # The storage's own connections: set once, not by every commit.
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT set_config('lock_timeout', %s, false)", (timeout,))
            dbapi_connection.commit()

        self._session_timeout = True
        return engine

    def begin_write(self, connection: Connection, *, prepared: bool = False) -> None:
        if not prepared:
            self.set_lock_timeout(connection)

    def preparing(self, query: Select[Any]) -> Select[Any] | None:
        if self._session_timeout:
            return None
        # One row even when the query finds none, so that the setting is always made.
        return select(query.scalar_subquery(), self._lock_timeout())

    def _lock_timeout(self) -> ColumnElement[Any]:
        ms = bindparam("lock_timeout_ms", f"{round(self.timeout * 1000)}ms", type_=String())
        return func.set_config("lock_timeout", ms, True)

    def commit_lock_timeout(self) -> str | None:
        # Locks are only held while a commit writes, so a long wait means trouble. A
        # host's engine keeps its sessions as they are: the timeout lasts one commit.
        return None if self._session_timeout else f"{round(self.timeout * 1000)}ms"

    def set_lock_timeout(self, connection: Connection) -> None:
        ms = self.commit_lock_timeout()
        if ms is not None:
            connection.execute(_PG_SET_LOCK_TIMEOUT, {"ms": ms})

    @contextmanager
    def planned_each_time(self, connection: Connection) -> Iterator[None]:
        # psycopg prepares a statement on its fifth run, and PostgreSQL then moves to a
        # generic plan: for a list of keys in a table that grew since, a scan per lookup.
        driver = connection.connection.driver_connection
        threshold = getattr(driver, "prepare_threshold", None)
        if threshold is None:
            yield
            return
        driver.prepare_threshold = None  # type: ignore[union-attr]
        try:
            yield
        finally:
            driver.prepare_threshold = threshold  # type: ignore[union-attr]

    def scope(self, connection: Connection, organization_id: str) -> None:
        if self.row_level_security:
            # No bound parameters: a '%' in the id must reach the server as it is.
            connection.exec_driver_sql(set_local_statement(organization_id).replace("%", "%%"))

    def advance_counter(
        self, connection: Connection, table: Table, organization_id: str, name: str, by: int
    ) -> int:
        c = table.c
        stmt = postgresql.insert(table).values(organization_id=organization_id, name=name, value=by)
        stmt = stmt.on_conflict_do_update(
            index_elements=[c.organization_id, c.name], set_={"value": c.value + by}
        )
        return int(connection.execute(stmt.returning(c.value)).scalar_one())

    def append_events(
        self,
        connection: Connection,
        counters: Table,
        events: Table,
        organization_id: str,
        rows: Sequence[tuple[str, str]],
    ) -> None:
        # One statement advances the counter and inserts the events: the counter's row
        # lock is taken by the last statement before COMMIT, not held across a round trip.
        connection.execute(
            _pg_append_events(counters, events), pg_events_params(organization_id, rows)
        )

    def is_duplicate(self, error: DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) == _PG_UNIQUE

    def is_lost_race(self, error: DBAPIError) -> bool:
        return getattr(error.orig, "sqlstate", None) in _PG_RACES


class MysqlBackend(Backend):
    """MariaDB or MySQL through ``pymysql``."""

    name = "mysql"

    def create_engine(self, **options: Any) -> Engine:
        url = self.url
        if "charset" not in url.query:
            url = url.update_query_dict({"charset": "utf8mb4"})
        engine = create_engine(url, isolation_level=self.isolation_level, **options)
        if not options.get("pool_pre_ping"):
            ping_when_idle(engine)
        timeout = max(1, round(self.timeout))

        @event.listens_for(engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"SET SESSION innodb_lock_wait_timeout = {timeout}")
            cursor.close()

        return engine

    def gather_writes(self, connection: Connection, counters: Table) -> Combined | Compound | None:
        """On MariaDB a compound statement (:mod:`leadcore.storage.sql._compound`); MySQL: none."""
        dialect = connection.dialect
        # The block's statements are joined with named parameters (pymysql's default).
        gathered = getattr(dialect, "is_mariadb", False) and not dialect.positional
        return Compound(counters) if gathered else None

    def advance_counter(
        self, connection: Connection, table: Table, organization_id: str, name: str, by: int
    ) -> int:
        # LAST_INSERT_ID(expr) hands the new value back in the statement's reply (the
        # cursor's lastrowid): no SELECT after the upsert.
        c = table.c
        stmt = mysql.insert(table).values(
            organization_id=organization_id, name=name, value=func.last_insert_id(by)
        )
        stmt = stmt.on_duplicate_key_update(value=func.last_insert_id(c.value + by))
        return int(connection.execute(stmt).lastrowid)

    def is_duplicate(self, error: DBAPIError) -> bool:
        return _mysql_code(error) == _MYSQL_UNIQUE

    def is_lost_race(self, error: DBAPIError) -> bool:
        return _mysql_code(error) in _MYSQL_RACES


def pg_events_parts(counters: Table, events: Table) -> tuple[str, str]:
    """``append_events`` on PostgreSQL as SQL text: the ``counter`` CTE and the insert.

    The CTE advances the organisation's ``events`` counter by ``:n``; the insert
    numbers the events ``:ids``/``:records`` (JSON arrays) after it, for ``:org``.
    Its parameters come from :func:`pg_events_params`. Any statement that appends
    events on PostgreSQL is built from these two parts.
    """
    counter = (
        f"counter AS ("
        f"INSERT INTO {counters.name} (organization_id, name, value) VALUES (:org, 'events', :n) "
        f"ON CONFLICT (organization_id, name) "
        f"DO UPDATE SET value = {counters.name}.value + EXCLUDED.value RETURNING value)"
    )
    appended = (
        f"INSERT INTO {events.name} (organization_id, position, event_id, record) "
        f"SELECT :org, counter.value - :n + given.ord, given.event_id, given.record "
        f"FROM counter, ROWS FROM (json_array_elements_text(CAST(:ids AS json)), "
        f"json_array_elements_text(CAST(:records AS json))) "
        f"WITH ORDINALITY AS given(event_id, record, ord)"
    )
    return counter, appended


_PG_SET_LOCK_TIMEOUT: Final = select(text("set_config('lock_timeout', :ms, true)"))


@functools.cache
def _pg_append_events(counters: Table, events: Table) -> TextClause:
    """``append_events`` on PostgreSQL: the counter's upsert and the insert in one statement."""
    counter, appended = pg_events_parts(counters, events)
    return text(f"WITH {counter} {appended}")


def pg_events_params(organization_id: str, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The parameters of :func:`pg_events_parts` for ``rows`` (``(event_id, record)``)."""
    # The ids and records go as JSON arrays of strings, each one text parameter, not as
    # text[]: the driver quotes each element of an array literal in Python (0.4 ms of a
    # claim's one event), json.dumps escapes the whole list in C.
    return {
        "org": organization_id,
        "n": len(rows),
        "ids": json.dumps([event_id for event_id, _ in rows]),
        "records": json.dumps([record for _, record in rows], ensure_ascii=False),
    }


def _mysql_code(error: DBAPIError) -> object:
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return args[0] if args else None


def backend_for(url: str | URL, *, row_level_security: bool, timeout: float) -> Backend:
    """The backend of a database URL; ``ValidationError`` if it is not supported."""
    parsed = read_url(url)
    family = parsed.get_backend_name()
    kinds: dict[str, type[Backend]] = {
        "sqlite": SqliteBackend,
        "postgresql": PostgresBackend,
        "mysql": MysqlBackend,
        "mariadb": MysqlBackend,
    }
    kind = kinds.get(family)
    if kind is None:
        raise ValidationError(
            "unsupported database URL",
            [
                f"url: {family!r} is not a supported database; use sqlite:///..., "
                "postgresql+psycopg://... or mysql+pymysql://..."
            ],
        )
    if row_level_security and kind is not PostgresBackend:
        raise ValidationError(
            "row-level security is not available",
            [f"row_level_security: only PostgreSQL has it, not {family!r}"],
        )
    return kind(parsed, row_level_security=row_level_security, timeout=timeout)
