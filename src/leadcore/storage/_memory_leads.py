"""Memory repositories of the lead lifecycle (wired into :class:`MemoryUnitOfWork`).

Per-lead records (history, notes, tasks) live in one table per lead, so that
two units of work adding notes to the same lead never touch the same row.
The contact index (phone, e-mail, name key -> lead ids) is one row per value:
two intakes of the same number do touch the same row, and the second one to
commit gets a ``ConflictError`` instead of missing the duplicate.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from leadcore.errors import ConflictError, NotFound
from leadcore.leads._conversion import (
    Account,
    Contact,
    Conversion,
    Opportunity,
    account_match_values,
    contact_match_values,
    match_values,
)
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import HistoryEntry, Lead, Note, Task
from leadcore.leads._project import Project
from leadcore.leads._query import LeadQuery
from leadcore.storage._memory_tx import Repo
from leadcore.workflow import name_key

__all__ = [
    "MemoryAccounts",
    "MemoryContacts",
    "MemoryConversions",
    "MemoryDoNotCall",
    "MemoryHistory",
    "MemoryLeadSettings",
    "MemoryLeads",
    "MemoryNotes",
    "MemoryOpportunities",
    "MemoryProjects",
    "MemoryTasks",
]


# One table per kind of contact value, keyed by the value itself: the key is the
# string the lead already holds (no key object per row), and the row is the one id
# that has the value (the lead's own id string) or, for a value shared, a tuple of ids.
_PHONES, _EMAILS, _NAMES = "lead_contacts:phone", "lead_contacts:email", "lead_contacts:name"
_Ids = str | tuple[str, ...]


def _contact_keys(lead: Lead) -> set[tuple[str, str]]:
    keys = {(_PHONES, p) for p in lead.phones} | {(_EMAILS, e) for e in lead.emails}
    if lead.name.strip():
        keys.add((_NAMES, name_key(lead.name)))
    return keys


def _oldest_first(record: Account | Contact) -> tuple[datetime, str]:
    return (record.created_at, record.id)


def _ids(row: _Ids | None) -> tuple[str, ...]:
    if row is None:
        return ()
    return (row,) if isinstance(row, str) else row


class MemoryLeads(Repo[Lead]):
    """Leads, with a contact index for duplicate detection."""

    table, kind = "leads", "lead"

    def _index(self, org: str, keys: Iterable[tuple[str, str]], lead_id: str, add: bool) -> None:
        for table, value in keys:
            ids = _ids(self._tx.read(table, org, value))
            new = (*ids, lead_id) if add else tuple(i for i in ids if i != lead_id)
            if not new:
                self._tx.delete(table, org, value)
            else:
                self._tx.write(table, org, value, new[0] if len(new) == 1 else new)

    def add(self, lead: Lead) -> None:
        """Store a new lead."""
        self._add(lead.organization_id, lead.id, lead)
        self._index(lead.organization_id, _contact_keys(lead), lead.id, add=True)

    def add_many(self, leads: Sequence[Lead]) -> None:
        """Store new leads (none if one id is taken)."""
        ids = [(lead.organization_id, lead.id) for lead in leads]
        taken = next((i for i in ids if self._get(*i) is not None), None)
        if taken is not None or len(set(ids)) != len(ids):
            what = taken[1] if taken is not None else "given twice"
            raise ConflictError(f"{self.kind} {what!r} already exists")
        for lead in leads:
            self.add(lead)

    def get(self, organization_id: str, lead_id: str) -> Lead | None:
        """The lead, or ``None``."""
        return self._get(organization_id, lead_id)

    def update(self, lead: Lead, *, expected_version: int) -> None:
        """Compare-and-set on ``version``."""
        org = lead.organization_id
        stored = self._get(org, lead.id)
        if stored is None:
            raise NotFound(self.kind, lead.id)
        if stored.version != expected_version:
            raise ConflictError(
                f"lead {stored.name!r} is at version {stored.version}, not {expected_version}: "
                "it was changed meanwhile",
                ids={"lead_id": lead.id},
            )
        old_keys, new_keys = _contact_keys(stored), _contact_keys(lead)
        if old_keys != new_keys:
            self._index(org, old_keys - new_keys, lead.id, add=False)
            self._index(org, new_keys - old_keys, lead.id, add=True)
        self._tx.write(self.table, org, lead.id, lead)

    def query(self, organization_id: str, query: LeadQuery) -> list[Lead]:
        """Matching leads, newest first, after the cursor, limited."""
        after = query.after
        rows = [
            lead
            for lead in self._tx.scan(self.table, organization_id)
            if query.matches(lead) and (after is None or after.before(lead))
        ]
        rows.sort(key=lambda lead: (lead.created_at, lead.id), reverse=True)
        return rows if query.limit is None else rows[: query.limit]

    def count_by_status(self, organization_id: str, query: LeadQuery) -> dict[str | None, int]:
        """Leads matching ``query`` per status."""
        counts: dict[str | None, int] = {}
        for lead in self._tx.scan(self.table, organization_id):
            if query.matches(lead):
                counts[lead.status_id] = counts.get(lead.status_id, 0) + 1
        return counts

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
        name_keys: Collection[str] = (),
        since: datetime | None = None,
    ) -> list[Lead]:
        """Leads sharing a contact value, oldest first."""
        keys = (
            [(_PHONES, p) for p in phones]
            + [(_EMAILS, e) for e in emails]
            + [(_NAMES, n) for n in name_keys]
        )
        ids: set[str] = set()
        for table, value in keys:
            ids.update(_ids(self._tx.read(table, organization_id, value)))
        found = [
            lead
            for lead in (self._get(organization_id, i) for i in ids)
            if lead is not None and (since is None or lead.created_at >= since)
        ]
        found.sort(key=lambda lead: (lead.created_at, lead.id))
        return found


class MemoryHistory(Repo[HistoryEntry]):
    """History entries: one table per lead, plus one for the organisation (reports).

    Rows are ``(insertion order, entry)`` so entries of the same instant keep the
    order they were written in.
    """

    table, kind = "history", "history entry"

    def add(self, entry: HistoryEntry) -> None:
        """Store an entry; ``ConflictError`` if its id is taken in the organisation."""
        org = entry.organization_id
        if self._tx.read(self.table, org, entry.id) is not None:
            raise ConflictError(f"{self.kind} {entry.id!r} already exists")
        row = (self._tx.next_order(), entry)
        self._tx.write(f"history:{entry.lead_id}", org, entry.id, row)
        self._tx.write(self.table, org, entry.id, row)

    def for_lead(
        self,
        organization_id: str,
        lead_id: str,
        *,
        actor_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        """A lead's entries, newest first."""
        rows: list[tuple[int, HistoryEntry]] = self._tx.scan(f"history:{lead_id}", organization_id)
        if actor_ids is not None:
            rows = [r for r in rows if r[1].actor_id in actor_ids]
        rows.sort(key=lambda r: (r[1].at, r[0]), reverse=True)
        return [r[1] for r in rows]

    def between(
        self, organization_id: str, start: datetime | None, end: datetime | None
    ) -> list[HistoryEntry]:
        """Entries in ``[start, end)``, oldest first."""
        rows: list[tuple[int, HistoryEntry]] = [
            r
            for r in self._tx.scan(self.table, organization_id)
            if (start is None or r[1].at >= start) and (end is None or r[1].at < end)
        ]
        rows.sort(key=lambda r: (r[1].at, r[0]))
        return [r[1] for r in rows]


class MemoryNotes(Repo[Note]):
    """Notes, one table per lead plus an id index."""

    table, kind = "notes", "note"

    def add(self, note: Note) -> None:
        """Store a note."""
        self._add(note.organization_id, note.id, note)
        self._tx.write(f"notes:{note.lead_id}", note.organization_id, note.id, note)

    def get(self, organization_id: str, note_id: str) -> Note | None:
        """The note, or ``None``."""
        return self._get(organization_id, note_id)

    def for_lead(self, organization_id: str, lead_id: str) -> list[Note]:
        """A lead's notes, oldest first."""
        rows: list[Note] = self._tx.scan(f"notes:{lead_id}", organization_id)
        rows.sort(key=lambda n: (n.created_at, n.id))
        return rows


class MemoryTasks(Repo[Task]):
    """Tasks, one table per lead plus an id index."""

    table, kind = "tasks", "task"

    def add(self, task: Task) -> None:
        """Store a task."""
        self._add(task.organization_id, task.id, task)
        self._tx.write(f"tasks:{task.lead_id}", task.organization_id, task.id, task)

    def get(self, organization_id: str, task_id: str) -> Task | None:
        """The task, or ``None``."""
        return self._get(organization_id, task_id)

    def update(self, task: Task) -> None:
        """Replace a task."""
        self._update(task.organization_id, task.id, task)
        self._tx.write(f"tasks:{task.lead_id}", task.organization_id, task.id, task)

    def for_lead(self, organization_id: str, lead_id: str) -> list[Task]:
        """A lead's tasks by due time."""
        rows: list[Task] = self._tx.scan(f"tasks:{lead_id}", organization_id)
        rows.sort(key=lambda t: (t.due_at, t.id))
        return rows

    def open_for(
        self, organization_id: str, assignee_ids: Collection[str], due_until: datetime | None
    ) -> list[Task]:
        """Open tasks of these assignees, by due time."""
        wanted = set(assignee_ids)
        rows: list[Task] = [
            t
            for t in self._tx.scan(self.table, organization_id)
            if not t.done
            and t.assignee_id in wanted
            and (due_until is None or t.due_at < due_until)
        ]
        rows.sort(key=lambda t: (t.due_at, t.id))
        return rows


class MemoryProjects(Repo[Project]):
    """Projects."""

    table, kind = "projects", "project"

    def add(self, project: Project) -> None:
        """Store a project."""
        self._add(project.organization_id, project.id, project)

    def get(self, organization_id: str, project_id: str) -> Project | None:
        """The project, or ``None``."""
        return self._get(organization_id, project_id)

    def list(self, organization_id: str) -> list[Project]:
        """Projects by name."""
        return self._list(organization_id, lambda p: (p.name, p.id))

    def update(self, project: Project) -> None:
        """Replace a project."""
        self._update(project.organization_id, project.id, project)


class MemoryDoNotCall(Repo[str]):
    """Do-not-call numbers."""

    table, kind = "do_not_call", "do-not-call number"

    def add(self, organization_id: str, number: str) -> None:
        """Put a number on the list."""
        self._tx.write(self.table, organization_id, number, number)

    def remove(self, organization_id: str, number: str) -> None:
        """Take a number off the list."""
        self._tx.delete(self.table, organization_id, number)

    def contains(self, organization_id: str, number: str) -> bool:
        """Whether the number is listed."""
        return self._get(organization_id, number) is not None

    def listed(self, organization_id: str, numbers: Collection[str]) -> frozenset[str]:
        """Those of ``numbers`` that are listed."""
        return frozenset(n for n in numbers if self._get(organization_id, n) is not None)

    def list(self, organization_id: str) -> list[str]:
        """The numbers, sorted."""
        return self._list(organization_id, lambda n: n)


class MemoryLeadSettings(Repo[LeadSettings]):
    """Intake settings."""

    table, kind = "lead_settings", "lead settings"

    def get(self, organization_id: str) -> LeadSettings | None:
        """The settings, or ``None``."""
        return self._get(organization_id, "settings")

    def put(self, organization_id: str, settings: LeadSettings) -> None:
        """Store the settings."""
        self._tx.write(self.table, organization_id, "settings", settings)


class MemoryAccounts(Repo[Account]):
    """Accounts."""

    table, kind = "accounts", "account"

    def add(self, account: Account) -> None:
        """Store an account."""
        self._add(account.organization_id, account.id, account)

    def get(self, organization_id: str, account_id: str) -> Account | None:
        """The account, or ``None``."""
        return self._get(organization_id, account_id)

    def list(self, organization_id: str) -> list[Account]:
        """Accounts by name."""
        return self._list(organization_id, lambda a: (a.name, a.id))

    def update(self, account: Account) -> None:
        """Replace an account."""
        self._update(account.organization_id, account.id, account)

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
        name_keys: Collection[str] = (),
    ) -> builtins.list[Account]:
        """Accounts sharing a phone, an e-mail or a name key, oldest first."""
        wanted = match_values(phones, emails, name_keys)
        return [
            a
            for a in self._list(organization_id, _oldest_first)
            if wanted & account_match_values(a)
        ]


class MemoryContacts(Repo[Contact]):
    """Contacts."""

    table, kind = "contacts", "contact"

    def add(self, contact: Contact) -> None:
        """Store a contact."""
        self._add(contact.organization_id, contact.id, contact)

    def get(self, organization_id: str, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        return self._get(organization_id, contact_id)

    def for_account(self, organization_id: str, account_id: str) -> list[Contact]:
        """An account's contacts by name."""
        return [
            c
            for c in self._list(organization_id, lambda c: (c.name, c.id))
            if c.account_id == account_id
        ]

    def update(self, contact: Contact) -> None:
        """Replace a contact."""
        self._update(contact.organization_id, contact.id, contact)

    def list(self, organization_id: str) -> builtins.list[Contact]:
        """Contacts by name."""
        return self._list(organization_id, lambda c: (c.name, c.id))

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
    ) -> builtins.list[Contact]:
        """Contacts sharing a phone or an e-mail, oldest first."""
        wanted = match_values(phones, emails)
        return [
            c
            for c in self._list(organization_id, _oldest_first)
            if wanted & contact_match_values(c)
        ]


class MemoryOpportunities(Repo[Opportunity]):
    """Opportunities."""

    table, kind = "opportunities", "opportunity"

    def add(self, opportunity: Opportunity) -> None:
        """Store an opportunity."""
        self._add(opportunity.organization_id, opportunity.id, opportunity)

    def get(self, organization_id: str, opportunity_id: str) -> Opportunity | None:
        """The opportunity, or ``None``."""
        return self._get(organization_id, opportunity_id)

    def update(self, opportunity: Opportunity) -> None:
        """Replace an opportunity."""
        self._update(opportunity.organization_id, opportunity.id, opportunity)

    def for_account(self, organization_id: str, account_id: str) -> list[Opportunity]:
        """An account's opportunities by creation time."""
        return [
            o
            for o in self._list(organization_id, lambda o: (o.created_at, o.id))
            if o.account_id == account_id
        ]

    def list(self, organization_id: str) -> builtins.list[Opportunity]:
        """Opportunities by creation time."""
        return self._list(organization_id, lambda o: (o.created_at, o.id))


class MemoryConversions(Repo[Conversion]):
    """Conversion records."""

    table, kind = "conversions", "conversion"

    def add(self, conversion: Conversion) -> None:
        """Store a record."""
        self._add(conversion.organization_id, conversion.id, conversion)

    def get(self, organization_id: str, conversion_id: str) -> Conversion | None:
        """The record, or ``None``."""
        return self._get(organization_id, conversion_id)

    def update(self, conversion: Conversion) -> None:
        """Replace a record."""
        self._update(conversion.organization_id, conversion.id, conversion)

    def list(self, organization_id: str) -> list[Conversion]:
        """Records by conversion time."""
        return self._list(organization_id, lambda c: (c.converted_at, c.id))

    def for_lead(self, organization_id: str, lead_id: str) -> builtins.list[Conversion]:
        """A lead's records, oldest first."""
        return [c for c in self.list(organization_id) if c.lead_id == lead_id]

    def for_account(self, organization_id: str, account_id: str) -> builtins.list[Conversion]:
        """Records that used an account, oldest first."""
        return [c for c in self.list(organization_id) if c.account_id == account_id]
