"""``SqlStorage``: the storage adapter on SQLAlchemy Core, and its unit of work."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import Connection, Engine, NestedTransaction, Select
from sqlalchemy.engine import URL, make_url

from leadcore.errors import ValidationError
from leadcore.storage.protocols import (
    CalendarRepository,
    Capabilities,
    DeliveryRepository,
    DeliveryTermsRepository,
    DispatchRepository,
    EmailRepository,
    RoutingRepository,
)
from leadcore.storage.sql import _calendar, _dispatch, _dispatch_queue, _emails, _forwarding
from leadcore.storage.sql._backend import Backend, backend_for
from leadcore.storage.sql._events import SqlEvents
from leadcore.storage.sql._leads import (
    SqlConversions,
    SqlDoNotCall,
    SqlHistory,
    SqlLeads,
    SqlLeadSettings,
    SqlNotes,
    SqlOpportunities,
    SqlProjects,
    SqlTasks,
)
from leadcore.storage.sql._pipeline import (
    SqlAccounts,
    SqlContacts,
    SqlPipelineHistory,
    SqlPipelineSettings,
)
from leadcore.storage.sql._rls import enable_row_level_security
from leadcore.storage.sql._schema_check import create_schema
from leadcore.storage.sql._tenancy import (
    SqlGroups,
    SqlOrganizations,
    SqlPartnerships,
    SqlRolePolicies,
    SqlUsers,
    SqlWorkflows,
)
from leadcore.storage.sql._tx import ConfigCache, DerivedWriter, SqlTransaction

__all__ = ["DERIVED_WRITERS", "JoinedStore", "SqlStorage", "SqlUnitOfWork", "Store"]

#: The writers of derived tables every commit runs, from the modules that define them.
DERIVED_WRITERS: Final[tuple[DerivedWriter, ...]] = (*_dispatch_queue.WRITERS,)


class Store:
    """The engine and connections a storage's units of work share."""

    def __init__(
        self,
        backend: Backend,
        engine: Engine,
        *,
        owned: bool,
        writers: Sequence[DerivedWriter],
    ) -> None:
        self.backend = backend
        self.engine = engine
        self.writers: tuple[DerivedWriter, ...] = tuple(writers)
        """The writers of derived tables its units of work's commits run."""
        self._owned = owned
        self._shared: Connection | None = None
        self._config = ConfigCache()
        self.statement_lock: AbstractContextManager[object] = nullcontext()
        """Held around every statement when units of work share one connection."""
        if backend.shared_connection:
            self._shared = engine.connect()
            self.statement_lock = threading.RLock()

    @property
    def config(self) -> ConfigCache:
        """Configuration records its units of work read (see :class:`ConfigCache`)."""
        return self._config

    @property
    def write_lock(self) -> AbstractContextManager[object]:
        """Held by a commit in this process (queues local writers without busy-waiting)."""
        return self.backend.write_lock

    def begin_write(self, connection: Connection, *, prepared: bool = False) -> None:
        """Start the transaction a commit writes in (see :meth:`Backend.begin_write`)."""
        self.backend.begin_write(connection, prepared=prepared)

    def preparing(self, query: Select[Any]) -> Select[Any] | None:
        """The first read of a transaction, making the write settings too (see ``Backend``)."""
        return self.backend.preparing(query)

    def commit_lock_timeout(self) -> str | None:
        """The lock timeout a commit sets itself (``None``: none to set)."""
        return self.backend.commit_lock_timeout()

    def set_lock_timeout(self, connection: Connection) -> None:
        """Set the lock timeout of a commit begun with ``prepared=True`` that did not set it."""
        self.backend.set_lock_timeout(connection)

    def end_write(self, connection: Connection, *, commit: bool) -> None:
        """Commit or roll back the transaction of a commit."""
        self.backend.end_write(connection, commit=commit)

    def end_read(self, connection: Connection) -> None:
        """End a transaction that only read."""
        self.backend.end_read(connection)

    def discard(self, connection: Connection) -> None:
        """Never hand out again a connection that could not even roll back."""
        connection.invalidate()
        self.release(connection)

    def checkout(self) -> Connection:
        """A connection for one unit of work."""
        if self._shared is not None:
            return self._shared
        return self.engine.connect()

    def release(self, connection: Connection) -> None:
        """Give back a connection from :meth:`checkout`."""
        if connection is self._shared:
            if connection.invalidated:
                self._shared = self.engine.connect()
            return
        connection.close()

    def close(self) -> None:
        """Close every connection."""
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        if self._owned:
            self.engine.dispose()


class JoinedStore(Store):
    """A host's connection: each unit of work writes in a SAVEPOINT of the host's transaction.

    Leadcore never commits nor rolls back the host's transaction: a commit
    releases its savepoint (the rows are then the host's to commit or roll
    back), a failed commit rolls back to it, so the host's own earlier writes
    stay. Reads see the host's uncommitted writes. Configuration is cached by
    no more than one unit of work: what a host's transaction wrote may still
    be rolled back.
    """

    def __init__(self, backend: Backend, connection: Connection, writers: Sequence[DerivedWriter]):
        # Not Store.__init__: it would open a connection of its own.
        self.backend = backend
        self.engine = connection.engine
        self.writers = tuple(writers)
        self._owned = False
        self._shared = None
        self._config = ConfigCache()
        self.statement_lock = nullcontext()
        self.connection = connection
        """The host's connection."""
        self._savepoint: NestedTransaction | None = None

    @property
    def config(self) -> ConfigCache:
        """A new cache each time: nothing is cached past one unit of work."""
        return ConfigCache()

    @property
    def write_lock(self) -> AbstractContextManager[object]:
        """No lock: the host's transaction holds the database's own locks."""
        return nullcontext()

    def checkout(self) -> Connection:
        """The host's connection."""
        return self.connection

    def release(self, connection: Connection) -> None:
        """Nothing to give back: the connection stays the host's."""

    def preparing(self, query: Select[Any]) -> Select[Any] | None:
        """Nothing: the host's transaction keeps its settings."""
        return None

    def begin_write(self, connection: Connection, *, prepared: bool = False) -> None:
        """Open a savepoint (and the host's transaction if none is open yet)."""
        if self.backend.name == "sqlite":
            # pysqlite opens a transaction only before a data change; a SAVEPOINT
            # outside one would start, and its RELEASE commit, a transaction of its own.
            raw = connection.connection.dbapi_connection
            if raw is not None and not raw.in_transaction:
                connection.exec_driver_sql("BEGIN")
        self._savepoint = connection.begin_nested()

    def commit_lock_timeout(self) -> str | None:
        """None: the host's transaction keeps its own settings."""
        return None

    def set_lock_timeout(self, connection: Connection) -> None:
        """Nothing to set: the host's transaction keeps its own settings."""

    def end_write(self, connection: Connection, *, commit: bool) -> None:
        """Release the savepoint, or roll back to it."""
        savepoint, self._savepoint = self._savepoint, None
        if savepoint is None or not savepoint.is_active:
            return
        if commit:
            savepoint.commit()
        else:
            savepoint.rollback()

    def end_read(self, connection: Connection) -> None:
        """Nothing to end: the reads belong to the host's transaction."""

    def discard(self, connection: Connection) -> None:
        """Leave a broken connection to the host, whose transaction it is."""

    def close(self) -> None:
        """Nothing to close: the connection stays the host's."""


class SqlUnitOfWork:
    """A unit of work over a :class:`SqlStorage`: one database transaction at commit.

    See :class:`~leadcore.storage.protocols.UnitOfWork` for the contract and
    :mod:`leadcore.storage.sql._tx` for how it keeps it.
    """

    def __init__(self, store: Store) -> None:
        self.tx = SqlTransaction(store, store.writers)
        tx = self.tx
        self.organizations = SqlOrganizations(tx)
        self.users = SqlUsers(tx)
        self.groups = SqlGroups(tx)
        self.partnerships = SqlPartnerships(tx)
        self.role_policies = SqlRolePolicies(tx)
        self.workflows = SqlWorkflows(tx)
        self.projects = SqlProjects(tx)
        self.leads = SqlLeads(tx)
        self.history = SqlHistory(tx)
        self.notes = SqlNotes(tx)
        self.tasks = SqlTasks(tx)
        self.do_not_call = SqlDoNotCall(tx)
        self.lead_settings = SqlLeadSettings(tx)
        self.accounts = SqlAccounts(tx)
        self.contacts = SqlContacts(tx)
        self.opportunities = SqlOpportunities(tx)
        self.conversions = SqlConversions(tx)
        self.pipeline_history = SqlPipelineHistory(tx)
        self.pipeline_settings = SqlPipelineSettings(tx)
        self.events = SqlEvents(tx)

    # The ports of schema version 2 each live in a module of their own.
    @property
    def dispatch(self) -> DispatchRepository:
        """Pools, agent filters, leases, the claim log and the next-lead query."""
        return _dispatch.repository(self.tx)

    @property
    def deliveries(self) -> DeliveryRepository:
        """Delivery records of leads sent to and received from partners."""
        return _forwarding.deliveries(self.tx)

    @property
    def delivery_terms(self) -> DeliveryTermsRepository:
        """Partner terms and receiving policies."""
        return _forwarding.delivery_terms(self.tx)

    @property
    def routing(self) -> RoutingRepository:
        """Routing rules, their rotation state and cap counters."""
        return _forwarding.routing(self.tx)

    @property
    def calendar(self) -> CalendarRepository:
        """Activities, activity types and statuses, calendar settings."""
        return _calendar.repository(self.tx)

    @property
    def emails(self) -> EmailRepository:
        """The e-mail log."""
        return _emails.repository(self.tx)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.tx.close()

    def commit(self) -> None:
        """Write everything in one transaction (``ConflictError`` on a lost race: nothing)."""
        self.tx.commit()

    def rollback(self) -> None:
        """Discard every uncommitted write."""
        self.tx.rollback()


class SqlStorage:
    """Storage in a SQL database: SQLite, PostgreSQL or MariaDB/MySQL.

    ``url`` is a SQLAlchemy URL: ``sqlite:///crm.db`` (``sqlite://`` in
    memory), ``postgresql+psycopg://user@host/db``,
    ``mysql+pymysql://user@host/db``; or an :class:`~sqlalchemy.engine.Engine`
    the host already has (its pool is shared, and :meth:`close` leaves it open;
    the storage sets the isolation level it needs on its own connections).

    - ``create=True`` creates the tables in an empty database, or brings
      leadcore's tables to the current schema version
      (:func:`~leadcore.storage.sql.migrate`). A database that holds other
      tables and no leadcore schema (a URL naming the wrong database) is
      refused with :class:`~leadcore.errors.SchemaNotReady`, unless
      ``beside_other_tables=True`` asks for leadcore's tables beside them.
    - ``row_level_security=True`` (PostgreSQL) names the organisation of
      every statement in the transaction-local setting the Row-Level Security
      policies read; with ``create=True`` it also installs the policies.
    - ``timeout`` is how many seconds a commit waits for a lock before it
      gives up with :class:`~leadcore.errors.ConflictError` (with a host's
      engine, only PostgreSQL takes it; SQLite and MariaDB keep the engine's
      own busy and lock-wait timeouts).
    - ``engine_options`` go to :func:`sqlalchemy.create_engine` (pool sizes...).

    >>> from leadcore.storage.sql import SqlStorage
    >>> storage = SqlStorage("sqlite://", create=True)
    >>> with storage.unit_of_work() as uow:
    ...     print(uow.users.list("org-1"))
    []
    >>> storage.close()
    """

    def __init__(
        self,
        url: str | URL | Engine,
        *,
        create: bool = False,
        beside_other_tables: bool = False,
        row_level_security: bool = False,
        timeout: float = 30.0,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.url: str | URL = url.url if isinstance(url, Engine) else url
        """Where the data is (the URL to open the same database again)."""
        self.row_level_security = row_level_security
        backend = backend_for(self.url, row_level_security=row_level_security, timeout=timeout)
        engine: Engine
        if isinstance(url, Engine):
            engine = url.execution_options(isolation_level=backend.isolation_level)
            self._store = Store(backend, engine, owned=False, writers=DERIVED_WRITERS)
        else:
            engine = backend.create_engine(**dict(engine_options or {}))
            self._store = Store(backend, engine, owned=True, writers=DERIVED_WRITERS)
        if create:
            try:
                create_schema(engine, beside_other_tables=beside_other_tables)
                if row_level_security:
                    enable_row_level_security(engine)
            except BaseException:
                self._store.close()
                raise

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for migrations and inspection; not for writing records)."""
        return self._store.engine

    @property
    def capabilities(self) -> Capabilities:
        """Durable and shared between processes, except SQLite in memory."""
        durable = self._store.backend.durable
        return Capabilities(
            durable=durable,
            multi_process=durable,
            concurrent_units_of_work=True,
            dispatch=_dispatch.AVAILABLE,
            calendar=_calendar.AVAILABLE,
            forwarding=_forwarding.AVAILABLE,
        )

    def unit_of_work(self) -> SqlUnitOfWork:
        """Open a new unit of work."""
        return SqlUnitOfWork(self._store)

    def joined(self, connection: Connection) -> SqlStorage:
        """The same storage inside a host's transaction on ``connection`` (same database).

        Each unit of work of the storage returned writes in a ``SAVEPOINT`` of
        the host's transaction and never commits nor rolls it back: its rows
        (events included) are committed or rolled back with the host's own.
        A unit of work that fails rolls back to its savepoint only. An ORM
        session lends its connection: ``storage.joined(db.connection())``.
        Open it for one transaction of the host (configuration is not cached
        across its units of work); :meth:`close` leaves the connection open.
        """
        if not isinstance(connection, Connection):
            raise ValidationError(
                "cannot join a host's transaction",
                [
                    "connection: expected a sqlalchemy.Connection (an ORM session's "
                    f"connection()), got {type(connection).__name__}"
                ],
            )
        backend = self._store.backend
        family = connection.dialect.name
        if family != backend.name and not (backend.name == "mysql" and family == "mariadb"):
            raise ValidationError(
                "cannot join a host's transaction",
                [f"connection: a {family} connection, but this storage is on {backend.name}"],
            )
        joined = SqlStorage.__new__(SqlStorage)
        joined.url = self.url
        joined.row_level_security = self.row_level_security
        joined._store = JoinedStore(backend, connection, self._store.writers)
        return joined

    def close(self) -> None:
        """Close every connection (an in-memory SQLite database is gone after this)."""
        self._store.close()

    def __repr__(self) -> str:
        return f"SqlStorage({make_url(self.url).render_as_string(hide_password=True)!r})"
