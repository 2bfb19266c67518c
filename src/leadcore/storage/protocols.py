"""The ports every storage adapter implements.

A :class:`Storage` opens :class:`UnitOfWork` objects; a unit of work holds one
repository per kind of record and writes nothing unless :meth:`UnitOfWork.commit`
is called. Every repository method takes the id of the organisation it acts in,
and an adapter must never return a record of another organisation: a record of
another organisation is reported exactly like a record that does not exist.

Lists come back in a documented, deterministic order, so that every adapter
gives the same answers for the same data (DESIGN.md, invariant 6).

Write this with :mod:`leadcore.storage.memory` open beside it: the memory
adapter is the reference model, and :mod:`leadcore.testing.conformance`
checks any adapter against these rules.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from types import TracebackType
from typing import Protocol, Self

import attrs

from leadcore.events._model import Event, StoredEvent
from leadcore.storage._calendar_ports import CalendarRepository
from leadcore.storage._dispatch_ports import DispatchRepository
from leadcore.storage._email_ports import EmailRepository
from leadcore.storage._forwarding_ports import (
    DeliveryRepository,
    DeliveryTermsRepository,
    RoutingRepository,
)
from leadcore.storage._lead_ports import (
    AccountRepository,
    ContactRepository,
    ConversionRepository,
    DoNotCallRepository,
    HistoryRepository,
    LeadRepository,
    LeadSettingsRepository,
    NoteRepository,
    OpportunityRepository,
    ProjectRepository,
    TaskRepository,
)
from leadcore.storage._pipeline_ports import (
    PipelineHistoryRepository,
    PipelineSettingsRepository,
)
from leadcore.tenancy import Group, Organization, Partnership, RolePolicy, User
from leadcore.workflow import Workflow

__all__ = [
    "AccountRepository",
    "CalendarRepository",
    "Capabilities",
    "ContactRepository",
    "ConversionRepository",
    "DeliveryRepository",
    "DeliveryTermsRepository",
    "DispatchRepository",
    "DoNotCallRepository",
    "EmailRepository",
    "EventRepository",
    "GroupRepository",
    "HistoryRepository",
    "LeadRepository",
    "LeadSettingsRepository",
    "NoteRepository",
    "OpportunityRepository",
    "OrganizationRepository",
    "PartnershipRepository",
    "PipelineHistoryRepository",
    "PipelineSettingsRepository",
    "ProjectRepository",
    "RolePolicyRepository",
    "RoutingRepository",
    "Storage",
    "TaskRepository",
    "UnitOfWork",
    "UserRepository",
    "WorkflowRepository",
]


class OrganizationRepository(Protocol):
    """Organisations. An organisation is its own scope."""

    def add(self, organization: Organization) -> None:
        """Store a new organisation; ``ConflictError`` if its id is taken."""
        ...

    def get(self, organization_id: str) -> Organization | None:
        """The organisation, or ``None``."""
        ...

    def update(self, organization: Organization) -> None:
        """Replace a stored organisation; ``NotFound`` if it is not stored."""
        ...


class UserRepository(Protocol):
    """Users of an organisation."""

    def add(self, user: User) -> None:
        """Store a new user in ``user.organization_id``; ``ConflictError`` if the id is taken."""
        ...

    def get(self, organization_id: str, user_id: str) -> User | None:
        """The user of this organisation, or ``None`` (also for another organisation's user)."""
        ...

    def list(self, organization_id: str) -> Sequence[User]:
        """Every user of the organisation, ordered by name, then id."""
        ...

    def update(self, user: User) -> None:
        """Replace a user of ``user.organization_id``; ``NotFound`` if it is not stored there."""
        ...

    def organization_of(self, user_id: str) -> str | None:
        """The id of the organisation a user belongs to, or ``None``.

        The one lookup not scoped by organisation: it opens a session for a
        user id, and returns nothing but the organisation id.
        """
        ...


class GroupRepository(Protocol):
    """Groups of users of one organisation."""

    def add(self, group: Group) -> None:
        """Store a new group; ``ConflictError`` if the id is taken."""
        ...

    def get(self, organization_id: str, group_id: str) -> Group | None:
        """The group, or ``None``."""
        ...

    def list(self, organization_id: str) -> Sequence[Group]:
        """Every group of the organisation, ordered by name, then id."""
        ...

    def update(self, group: Group) -> None:
        """Replace a stored group; ``NotFound`` if it is not stored in its organisation."""
        ...

    def remove(self, organization_id: str, group_id: str) -> None:
        """Delete a group; ``NotFound`` if it is not stored in this organisation."""
        ...


class PartnershipRepository(Protocol):
    """One organisation's records of its partners."""

    def add(self, partnership: Partnership) -> None:
        """Store a new partnership record; ``ConflictError`` if the id is taken."""
        ...

    def get(self, organization_id: str, partnership_id: str) -> Partnership | None:
        """The partnership record, or ``None``."""
        ...

    def list(self, organization_id: str) -> Sequence[Partnership]:
        """Every partnership record of the organisation, ordered by partner name, then id."""
        ...

    def update(self, partnership: Partnership) -> None:
        """Replace a stored partnership record; ``NotFound`` if it is not stored."""
        ...


class RolePolicyRepository(Protocol):
    """The permissions of each role, per organisation."""

    def get(self, organization_id: str) -> RolePolicy | None:
        """The organisation's policy, or ``None`` when it keeps the defaults."""
        ...

    def put(self, organization_id: str, policy: RolePolicy) -> None:
        """Store the organisation's policy."""
        ...


class WorkflowRepository(Protocol):
    """Versions of an organisation's workflows; ``kind`` names the slot (``"leads"``)."""

    def add(self, organization_id: str, kind: str, workflow: Workflow) -> None:
        """Store a new version; ``ConflictError`` unless ``workflow.version`` is the latest + 1."""
        ...

    def get(self, organization_id: str, kind: str, version: int | None = None) -> Workflow | None:
        """The given version (default: the latest), or ``None``."""
        ...

    def versions(self, organization_id: str, kind: str) -> Sequence[Workflow]:
        """Every version, oldest first."""
        ...


class UnitOfWork(Protocol):
    """One atomic piece of work: everything in it is committed together or not at all.

    Use it as a context manager. Leaving the block without :meth:`commit`
    (or through an exception) rolls everything back. Reads inside a unit of
    work see its own writes, and never the uncommitted writes of another.
    """

    # Read-only properties, so that an adapter may expose its own repository classes.
    @property
    def organizations(self) -> OrganizationRepository:
        """Organisations."""
        ...

    @property
    def users(self) -> UserRepository:
        """Users."""
        ...

    @property
    def groups(self) -> GroupRepository:
        """Groups of users."""
        ...

    @property
    def partnerships(self) -> PartnershipRepository:
        """Partnership records."""
        ...

    @property
    def role_policies(self) -> RolePolicyRepository:
        """Role permissions per organisation."""
        ...

    @property
    def workflows(self) -> WorkflowRepository:
        """Workflow versions."""
        ...

    @property
    def projects(self) -> ProjectRepository:
        """Projects (campaigns)."""
        ...

    @property
    def leads(self) -> LeadRepository:
        """Leads."""
        ...

    @property
    def history(self) -> HistoryRepository:
        """Lead history."""
        ...

    @property
    def notes(self) -> NoteRepository:
        """Notes on leads."""
        ...

    @property
    def tasks(self) -> TaskRepository:
        """Tasks and reminders."""
        ...

    @property
    def do_not_call(self) -> DoNotCallRepository:
        """Do-not-call numbers."""
        ...

    @property
    def lead_settings(self) -> LeadSettingsRepository:
        """Intake settings."""
        ...

    @property
    def accounts(self) -> AccountRepository:
        """Accounts."""
        ...

    @property
    def contacts(self) -> ContactRepository:
        """Contacts."""
        ...

    @property
    def opportunities(self) -> OpportunityRepository:
        """Opportunities."""
        ...

    @property
    def conversions(self) -> ConversionRepository:
        """Conversion records."""
        ...

    @property
    def pipeline_history(self) -> PipelineHistoryRepository:
        """The history of accounts and opportunities."""
        ...

    @property
    def pipeline_settings(self) -> PipelineSettingsRepository:
        """Pipeline settings."""
        ...

    @property
    def events(self) -> EventRepository:
        """The outbox of domain events."""
        ...

    @property
    def dispatch(self) -> DispatchRepository:
        """Pools, filters, leases and the next-lead query."""
        ...

    @property
    def deliveries(self) -> DeliveryRepository:
        """Delivery records of leads sent to and received from partners."""
        ...

    @property
    def delivery_terms(self) -> DeliveryTermsRepository:
        """Partner terms (field mappings, return windows) and receiving policies."""
        ...

    @property
    def routing(self) -> RoutingRepository:
        """Routing rules, their rotation state and cap counters."""
        ...

    @property
    def calendar(self) -> CalendarRepository:
        """Activities, activity types and statuses, calendar settings."""
        ...

    @property
    def emails(self) -> EmailRepository:
        """The e-mail log: records of e-mails sent and received."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write of this unit of work durable and visible, atomically.

        Raises ``ConflictError`` when a record written here was changed by a
        unit of work committed since this one first touched it; then nothing
        is written.
        """
        ...

    def rollback(self) -> None:
        """Discard every write not yet committed."""
        ...


class EventRepository(Protocol):
    """The outbox: events recorded with the changes they describe, delivered afterwards.

    Positions count per organisation, 1, 2, 3..., in commit order: an event
    recorded in a unit of work gets its position when that unit of work
    commits, and a unit of work that does not commit records none.
    """

    def record(self, event: Event) -> None:
        """Record an event in this unit of work (it gets its position at commit)."""
        ...

    def read(
        self, organization_id: str, *, after: int = 0, limit: int | None = None
    ) -> Sequence[StoredEvent]:
        """Committed events of one organisation with a position above ``after``, in order."""
        ...

    def heads(self, organization_ids: Collection[str] | None = None) -> Mapping[str, int]:
        """The last position of every organisation that has events (of those named, if named)."""
        ...

    def position(self, consumer: str, organization_id: str) -> int:
        """The last position a consumer acknowledged in an organisation (0: none)."""
        ...

    def set_position(self, consumer: str, organization_id: str, position: int) -> None:
        """Acknowledge every event of the organisation up to ``position`` for a consumer."""
        ...


@attrs.frozen
class Capabilities:
    """What an adapter can do, declared instead of silently skipping tests.

    The conformance suite runs or skips each check by these flags, and says
    which flag skipped it.
    """

    durable: bool = False
    """Data survives closing and reopening the storage."""
    multi_process: bool = False
    """Several processes (hosts) may share the storage safely."""
    concurrent_units_of_work: bool = True
    """Several threads may hold open units of work at once."""
    dispatch: bool = True
    """``UnitOfWork.dispatch`` works: pools, agent filters, leases, claims, the next lead."""
    calendar: bool = True
    """``UnitOfWork.calendar`` works: activities, their types and statuses, settings."""
    forwarding: bool = True
    """``deliveries``, ``delivery_terms`` and ``routing`` of a unit of work work."""
    emails: bool = True
    """``UnitOfWork.emails`` works: the e-mail log."""


class Storage(Protocol):
    """A storage backend: opens units of work; declares its capabilities."""

    @property
    def capabilities(self) -> Capabilities:
        """What this adapter can do."""
        ...

    def unit_of_work(self) -> UnitOfWork:
        """Open a new unit of work."""
        ...

    def close(self) -> None:
        """Release the backend's resources."""
        ...
