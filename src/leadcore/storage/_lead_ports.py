"""Repository ports of the lead lifecycle (re-exported by :mod:`leadcore.storage.protocols`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from leadcore.leads._conversion import Account, Contact, Conversion, Opportunity
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import HistoryEntry, Lead, Note, Task
from leadcore.leads._project import Project
from leadcore.leads._query import LeadQuery

__all__ = [
    "AccountRepository",
    "ContactRepository",
    "ConversionRepository",
    "DoNotCallRepository",
    "HistoryRepository",
    "LeadRepository",
    "LeadSettingsRepository",
    "NoteRepository",
    "OpportunityRepository",
    "ProjectRepository",
    "TaskRepository",
]


class LeadRepository(Protocol):
    """Leads of an organisation."""

    def add(self, lead: Lead) -> None:
        """Store a new lead; ``ConflictError`` if its id is taken."""
        ...

    def add_many(self, leads: Sequence[Lead]) -> None:
        """Store new leads, as :meth:`add` each in turn, in a few statements for all.

        ``ConflictError`` if any id is taken (then none is stored). A lead
        added here is found by :meth:`matching` like one added by :meth:`add`.
        """
        ...

    def get(self, organization_id: str, lead_id: str) -> Lead | None:
        """The lead, or ``None``."""
        ...

    def update(self, lead: Lead, *, expected_version: int) -> None:
        """Replace a lead if its stored ``version`` is ``expected_version`` (compare-and-set).

        ``ConflictError`` when the stored version differs, ``NotFound`` when
        the lead is not stored in ``lead.organization_id``.
        """
        ...

    def query(self, organization_id: str, query: LeadQuery) -> Sequence[Lead]:
        """Leads matching ``query``, newest first by ``(created_at, id)``.

        Only leads after ``query.after`` in that order; at most ``query.limit``.
        """
        ...

    def count_by_status(self, organization_id: str, query: LeadQuery) -> Mapping[str | None, int]:
        """How many leads matching ``query`` sit in each status (``None``: no status)."""
        ...

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
        name_keys: Collection[str] = (),
        since: datetime | None = None,
    ) -> Sequence[Lead]:
        """Leads sharing a phone, an e-mail or a name key, created at or after ``since``.

        Oldest first by ``(created_at, id)``. Name keys are
        :func:`leadcore.workflow.name_key` of the lead's name.
        """
        ...


class HistoryRepository(Protocol):
    """History entries of leads."""

    def add(self, entry: HistoryEntry) -> None:
        """Store a new entry."""
        ...

    def for_lead(
        self,
        organization_id: str,
        lead_id: str,
        *,
        actor_ids: Collection[str] | None = None,
    ) -> Sequence[HistoryEntry]:
        """A lead's entries, newest first: by ``at``, then the reverse of the order they were added.

        Only the entries of ``actor_ids`` when given.
        """
        ...

    def between(
        self, organization_id: str, start: datetime | None, end: datetime | None
    ) -> Sequence[HistoryEntry]:
        """Every entry with ``start <= at < end`` (open ends when ``None``).

        Oldest first: by ``at``, then the order they were added.
        """
        ...


class NoteRepository(Protocol):
    """Notes on leads."""

    def add(self, note: Note) -> None:
        """Store a new note."""
        ...

    def get(self, organization_id: str, note_id: str) -> Note | None:
        """The note, or ``None``."""
        ...

    def for_lead(self, organization_id: str, lead_id: str) -> Sequence[Note]:
        """A lead's notes, oldest first by ``(created_at, id)``."""
        ...


class TaskRepository(Protocol):
    """Tasks and reminders on leads."""

    def add(self, task: Task) -> None:
        """Store a new task."""
        ...

    def get(self, organization_id: str, task_id: str) -> Task | None:
        """The task, or ``None``."""
        ...

    def update(self, task: Task) -> None:
        """Replace a stored task; ``NotFound`` if it is not stored."""
        ...

    def for_lead(self, organization_id: str, lead_id: str) -> Sequence[Task]:
        """A lead's tasks, by ``(due_at, id)``."""
        ...

    def open_for(
        self, organization_id: str, assignee_ids: Collection[str], due_until: datetime | None
    ) -> Sequence[Task]:
        """Open tasks of these assignees due before ``due_until`` (all if ``None``), by due time."""
        ...


class ProjectRepository(Protocol):
    """Projects (campaigns) and their rules."""

    def add(self, project: Project) -> None:
        """Store a new project."""
        ...

    def get(self, organization_id: str, project_id: str) -> Project | None:
        """The project, or ``None``."""
        ...

    def list(self, organization_id: str) -> Sequence[Project]:
        """Every project of the organisation, by name, then id."""
        ...

    def update(self, project: Project) -> None:
        """Replace a stored project; ``NotFound`` if it is not stored."""
        ...


class DoNotCallRepository(Protocol):
    """The organisation's do-not-call list of E.164 numbers."""

    def add(self, organization_id: str, number: str) -> None:
        """Put a number on the list (no error if it is there already)."""
        ...

    def remove(self, organization_id: str, number: str) -> None:
        """Take a number off the list (no error if it is not there)."""
        ...

    def contains(self, organization_id: str, number: str) -> bool:
        """Whether the number is on the list."""
        ...

    def listed(self, organization_id: str, numbers: Collection[str]) -> frozenset[str]:
        """Those of ``numbers`` that are on the list (one look-up for all of them)."""
        ...

    def list(self, organization_id: str) -> Sequence[str]:
        """Every number on the list, sorted."""
        ...


class LeadSettingsRepository(Protocol):
    """Intake settings per organisation."""

    def get(self, organization_id: str) -> LeadSettings | None:
        """The organisation's settings, or ``None`` when it keeps the defaults."""
        ...

    def put(self, organization_id: str, settings: LeadSettings) -> None:
        """Store the organisation's settings."""
        ...


class AccountRepository(Protocol):
    """Accounts."""

    def add(self, account: Account) -> None:
        """Store a new account."""
        ...

    def get(self, organization_id: str, account_id: str) -> Account | None:
        """The account, or ``None``."""
        ...

    def list(self, organization_id: str) -> Sequence[Account]:
        """Every account, by name, then id."""
        ...

    def update(self, account: Account) -> None:
        """Replace a stored account (``NotFound`` if there is none)."""
        ...

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
        name_keys: Collection[str] = (),
    ) -> Sequence[Account]:
        """Accounts sharing a phone, an e-mail or a name key, merged ones too.

        Oldest first by ``(created_at, id)``; as this unit of work sees them
        (its own additions and changes included). Name keys are
        :func:`leadcore.workflow.name_key` of the account's name. The
        duplicate check of a new account reads these instead of every account.
        """
        ...


class ContactRepository(Protocol):
    """Contacts."""

    def add(self, contact: Contact) -> None:
        """Store a new contact."""
        ...

    def get(self, organization_id: str, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        ...

    def for_account(self, organization_id: str, account_id: str) -> Sequence[Contact]:
        """The contacts of an account, by name, then id."""
        ...

    def update(self, contact: Contact) -> None:
        """Replace a stored contact (``NotFound`` if there is none)."""
        ...

    def list(self, organization_id: str) -> Sequence[Contact]:
        """Every contact, by name, then id."""
        ...

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
    ) -> Sequence[Contact]:
        """Contacts sharing a phone or an e-mail, of any account.

        Oldest first by ``(created_at, id)``; as this unit of work sees them
        (its own additions and changes included).
        """
        ...


class OpportunityRepository(Protocol):
    """Opportunities."""

    def add(self, opportunity: Opportunity) -> None:
        """Store a new opportunity."""
        ...

    def get(self, organization_id: str, opportunity_id: str) -> Opportunity | None:
        """The opportunity, or ``None``."""
        ...

    def update(self, opportunity: Opportunity) -> None:
        """Replace a stored opportunity."""
        ...

    def for_account(self, organization_id: str, account_id: str) -> Sequence[Opportunity]:
        """The opportunities of an account, by creation time, then id."""
        ...

    def list(self, organization_id: str) -> Sequence[Opportunity]:
        """Every opportunity, by creation time, then id."""
        ...


class ConversionRepository(Protocol):
    """Conversion records (kept after un-conversion, for the audit trail)."""

    def add(self, conversion: Conversion) -> None:
        """Store a new conversion record."""
        ...

    def get(self, organization_id: str, conversion_id: str) -> Conversion | None:
        """The record, or ``None``."""
        ...

    def update(self, conversion: Conversion) -> None:
        """Replace a stored record (to mark it undone)."""
        ...

    def list(self, organization_id: str) -> Sequence[Conversion]:
        """Every conversion record, by conversion time, then id."""
        ...

    def for_lead(self, organization_id: str, lead_id: str) -> Sequence[Conversion]:
        """A lead's conversion records, oldest first."""
        ...

    def for_account(self, organization_id: str, account_id: str) -> Sequence[Conversion]:
        """The conversions that used an account, oldest first."""
        ...
