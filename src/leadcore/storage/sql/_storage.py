"""``SqlStorage``: the storage adapter on SQLAlchemy Core, and its unit of work."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, Final, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL, make_url

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
    SqlAccounts,
    SqlContacts,
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
from leadcore.storage.sql._migrations import migrate
from leadcore.storage.sql._pipeline import SqlPipelineHistory, SqlPipelineSettings
from leadcore.storage.sql._rls import enable_row_level_security
from leadcore.storage.sql._tenancy import (
    SqlGroups,
    SqlOrganizations,
    SqlPartnerships,
    SqlRolePolicies,
    SqlUsers,
    SqlWorkflows,
)
from leadcore.storage.sql._tx import ConfigCache, DerivedWriter, SqlTransaction

__all__ = ["DERIVED_WRITERS", "SqlStorage", "SqlUnitOfWork", "Store"]

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
        self.config = ConfigCache()
        """Configuration records its units of work read (see :class:`ConfigCache`)."""
        self.statement_lock: AbstractContextManager[object] = nullcontext()
        """Held around every statement when units of work share one connection."""
        if backend.shared_connection:
            self._shared = engine.connect()
            self.statement_lock = threading.RLock()

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

    - ``create=True`` creates the tables, or brings them to the current
      schema version (:func:`~leadcore.storage.sql.migrate`).
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
                migrate(engine)
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

    def close(self) -> None:
        """Close every connection (an in-memory SQLite database is gone after this)."""
        self._store.close()

    def __repr__(self) -> str:
        return f"SqlStorage({make_url(self.url).render_as_string(hide_password=True)!r})"
