"""The facade: :class:`Leadcore` wires storage, clock and ids; :class:`Session` acts as one user."""

from __future__ import annotations

from collections.abc import Callable, Collection
from types import TracebackType
from typing import TYPE_CHECKING, Self

from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.clock import Clock, SystemClock
from leadcore.errors import Forbidden, NotFound, ValidationError
from leadcore.ids import IdFactory, RandomIds
from leadcore.services._organizations import new_organization, upgrade_organization
from leadcore.services._shared import ServiceContext, recording_events
from leadcore.services.accounts import AccountsService
from leadcore.services.calendar import CalendarService, EmailsService
from leadcore.services.dispatch import DispatchService
from leadcore.services.forwarding import DeliveriesService, RoutingService
from leadcore.services.leads import LeadsService
from leadcore.services.opportunities import OpportunitiesService
from leadcore.services.outbox import EventLog
from leadcore.services.partners import PartnersService
from leadcore.services.reports import ReportsService
from leadcore.services.users import UsersService
from leadcore.services.workflow import WorkflowService
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.tenancy import Organization, OrganizationKind, User
from leadcore.workflow import Workflow

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["Leadcore", "Session"]

_SQL_FAMILIES = frozenset({"sqlite", "postgresql", "mysql", "mariadb"})


@checks_text
@checked_arguments
class Leadcore:
    """The entry point: one per application, shared by all its threads.

    >>> from leadcore import Leadcore
    >>> core = Leadcore.open()                       # in memory
    >>> org, admin = core.create_organization("Agency", admin_name="Dana")
    >>> s = core.session(admin.id)                   # acts as Dana, in Agency
    >>> s.workflow.current().id
    'sales'
    """

    def __init__(
        self,
        storage: Storage | None = None,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
    ) -> None:
        self.storage: Storage = storage if storage is not None else MemoryStorage()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.ids: IdFactory = ids if ids is not None else RandomIds()
        self.events = EventLog(self.storage, self.clock)
        """The outbox of domain events: read, acknowledge, subscribe."""

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
        migrate: bool = False,
    ) -> Leadcore:
        """Open leadcore on the storage a URL names.

        ``None`` or ``"memory://"`` gives :class:`~leadcore.storage.memory.MemoryStorage`;
        ``sqlite:///crm.db`` (``sqlite://`` in memory), ``postgresql+psycopg://...``
        and ``mysql+pymysql://...`` give :class:`~leadcore.storage.sql.SqlStorage`
        (extra ``sql``).

        A SQL database is changed only when that is safe or asked for: an empty
        database gets leadcore's tables, one at the current schema version is
        used as it is. A database at an older schema version, or one that holds
        other tables and no leadcore schema, raises
        :class:`~leadcore.errors.SchemaNotReady` unless ``migrate=True``, which
        applies the pending steps (``leadcore migrate --db URL`` shows them). A
        database at a newer version than this leadcore is always refused.

        A URL that cannot be opened as given (an unknown scheme, a driver that
        is not installed, a SQLite file in a folder that does not exist) raises
        :class:`~leadcore.errors.ValidationError` naming the URL to use.
        """
        if url is None or url == "memory://":
            return cls(MemoryStorage(), clock, ids)
        if not isinstance(url, str):
            raise ValidationError(
                "unsupported storage URL",
                [f"url: expected text such as 'sqlite:///crm.db', got {type(url).__name__}"],
            )
        scheme = url.split(":", 1)[0]
        family = scheme.split("+", 1)[0]
        if family in _SQL_FAMILIES:
            try:
                from leadcore.storage.sql import SqlStorage
            except ModuleNotFoundError as exc:
                if (exc.name or "").startswith("leadcore"):
                    raise  # a broken installation of leadcore itself, not a missing extra
                # The optional SQLAlchemy is missing.
                raise ValidationError(
                    "SQL storage is not installed",
                    [f"url: {scheme!r} needs the 'sql' extra: pip install 'leadcore[sql]' ({exc})"],
                ) from exc
            from leadcore.storage.sql._schema_check import prepare_schema

            storage = SqlStorage(url)
            try:
                prepare_schema(storage.engine, migrate=migrate)
            except BaseException:
                storage.close()
                raise
            return cls(storage, clock, ids)
        raise ValidationError(
            "unsupported storage URL",
            [
                f"url: {scheme!r} storage is not available; use None, 'memory://', "
                "'sqlite:///...', 'postgresql+psycopg://...' or 'mysql+pymysql://...'"
            ],
        )

    def create_organization(
        self,
        name: str,
        *,
        admin_name: str,
        admin_email: str | None = None,
        default_region: str | None = None,
        timezone: str = "UTC",
        workflow: Workflow | None = None,
    ) -> tuple[Organization, User]:
        """Create an organisation with its first user, an account manager.

        The organisation starts with ``workflow`` (default: the bundled sales
        workflow) as version 1 of its lead workflow. ``default_region`` (e.g.
        ``"IL"``) reads phone numbers written without a country code.
        """
        with recording_events() as touched, self.storage.unit_of_work() as uow:
            org, admin = new_organization(
                uow,
                self.ids,
                self.clock.now(),
                name=name,
                admin_name=admin_name,
                admin_email=admin_email,
                default_region=default_region,
                timezone=timezone,
                kind=OrganizationKind.FULL,
                created_by=None,
                workflow=workflow,
            )
            uow.commit()
        self.events.deliver(touched)
        return org, admin

    def upgrade_organization(self, organization_id: str) -> Organization:
        """Make a basic organisation (a supplier or advertiser's account) a full one.

        The organisation keeps its users, data and partnerships; from then on
        it alone manages its users, and the organisation that created it loses
        every management call over it (they raise
        :class:`~leadcore.errors.Forbidden`). This is an operator's call, made
        when the partner buys a full account, not a user's: it takes no
        session. Both organisations record ``organization.upgraded``.
        Raises :class:`~leadcore.errors.NotFound` for an unknown organisation
        and :class:`~leadcore.errors.ValidationError` for a full one.
        """
        with recording_events() as touched, self.storage.unit_of_work() as uow:
            org = upgrade_organization(uow, self.ids, self.clock.now(), organization_id)
            uow.commit()
        self.events.deliver(touched)
        return org

    def session(self, user_id: str, *, connection: Connection | None = None) -> Session:
        """A session acting as ``user_id``, in that user's organisation.

        Raises :class:`~leadcore.errors.NotFound` for an unknown user and
        :class:`~leadcore.errors.Forbidden` for an inactive one.

        With ``connection`` (a SQLAlchemy ``Connection`` of the host, on the
        same database as a :class:`~leadcore.storage.sql.SqlStorage`), every
        use case of the session runs inside the host's transaction, in a
        savepoint of its own: the host commits or rolls back leadcore's writes
        and events with its own, and a use case that fails undoes only its own
        writes. Such a session delivers no events (they are not committed yet):
        call :meth:`EventLog.deliver <leadcore.services.outbox.EventLog.deliver>`
        on :attr:`events` after the host commits.
        """
        storage = self.storage
        after_commit: Callable[[Collection[str]], object] | None = self.events.deliver
        if connection is not None:
            storage = _joined(storage, connection)
            after_commit = None
        with storage.unit_of_work() as uow:
            org_id = uow.users.organization_of(user_id)
            user = None if org_id is None else uow.users.get(org_id, user_id)
        if user is None:
            raise NotFound("user", user_id)
        if not user.active:
            raise Forbidden(f"user {user.name!r} is inactive")
        return Session(
            ServiceContext(
                storage,
                self.clock,
                self.ids,
                user.id,
                user.organization_id,
                after_commit=after_commit,
            )
        )

    def close(self) -> None:
        """Close the storage."""
        self.storage.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Leadcore(storage={self.storage!r}, clock={self.clock!r})"


def _joined(storage: Storage, connection: Connection) -> Storage:
    """``storage`` inside the host's transaction on ``connection``."""
    join = getattr(storage, "joined", None)
    if join is None:
        raise ValidationError(
            "cannot join a host's transaction",
            [
                f"connection: {type(storage).__name__} has no database connection to share; "
                "open leadcore on SqlStorage to run inside a host's transaction"
            ],
        )
    joined: Storage = join(connection)
    return joined


class Session:
    """Every call acts as one user, inside that user's organisation.

    Each method checks the user's permissions (``Forbidden`` otherwise) and
    runs in its own unit of work. Nothing a session returns belongs to
    another organisation; an id of another organisation's record is answered
    exactly like an id that does not exist.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self.users = UsersService(ctx)
        """Users, groups and role permissions."""
        self.partners = PartnersService(ctx)
        """Suppliers and advertisers."""
        self.workflow = WorkflowService(ctx)
        """The organisation's workflows and their versions."""
        self.leads = LeadsService(ctx)
        """The lead lifecycle: intake, statuses, notes, tasks, lists, conversion."""
        self.reports = ReportsService(ctx)
        """Funnel, pipeline, time in status, transitions, pile-ups."""
        self.accounts = AccountsService(ctx)
        """Accounts and their contacts, with or without a converted lead."""
        self.opportunities = OpportunitiesService(ctx)
        """Opportunities moving through the opportunity workflow."""
        self.dispatch = DispatchService(ctx)
        """Pools, agent filters, "next lead" with leases, calls under a claim."""
        self.deliveries = DeliveriesService(ctx)
        """Leads sent to and received from partners: feedback, terms, delivery reports."""
        self.routing = RoutingService(ctx)
        """Routing rules with caps, to users or to partner organisations."""
        self.calendar = CalendarService(ctx)
        """Activities and calendars: types, statuses, scheduling, views, free slots, iCalendar."""
        self.emails = EmailsService(ctx)
        """The log of e-mails sent and received, beside the activities."""

    @property
    def user_id(self) -> str:
        """The acting user's id."""
        return self._ctx.user_id

    @property
    def organization_id(self) -> str:
        """The acting user's organisation id."""
        return self._ctx.organization_id

    def __repr__(self) -> str:
        return f"Session(user_id={self.user_id!r}, organization_id={self.organization_id!r})"
