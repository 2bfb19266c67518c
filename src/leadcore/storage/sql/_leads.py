"""SQL repositories of the lead lifecycle (twins of :mod:`leadcore.storage._memory_leads`).

Lead lists come from the database in ``(created_at, id)`` order through the
indexes, merged with this unit of work's own staged leads; every lead that
comes back passes :meth:`LeadQuery.matches`, the memory adapter's own test.
Duplicate lookups read the contact-key table; like the memory index, each
contact value has one revisioned row, so two intakes of one number conflict
instead of missing each other.
"""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, FromClause, false, func, literal, select, union_all

from leadcore.errors import ConflictError, NotFound
from leadcore.leads._conversion import Conversion, Opportunity
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import HistoryEntry, Lead, Note, Task
from leadcore.leads._project import Project
from leadcore.leads._query import LeadQuery
from leadcore.storage.sql._codec import decode, micros
from leadcore.storage.sql._keys import contact_key
from leadcore.storage.sql._lead_query import (
    LEADS_ORDER,
    after,
    assigned_leads,
    assignee_is,
    lead_filters,
)
from leadcore.storage.sql._schema import NUMBER_LENGTH
from leadcore.storage.sql._tables import (
    CONTACT_KEYS,
    CONVERSIONS,
    DO_NOT_CALL,
    HISTORY,
    LEAD_CONTACTS,
    LEAD_SETTINGS,
    LEADS,
    NOTES,
    OPPORTUNITIES,
    PROJECTS,
    TASKS,
    bounded,
    contact_keys,
)
from leadcore.storage.sql._tenancy import Table
from leadcore.storage.sql._tx import CHUNK, Deleted, SqlTransaction

__all__ = [
    "SqlConversions",
    "SqlDoNotCall",
    "SqlHistory",
    "SqlLeadSettings",
    "SqlLeads",
    "SqlNotes",
    "SqlOpportunities",
    "SqlProjects",
    "SqlTasks",
]

_FIRST_BATCH = 50
_LAST_BATCH = 2000


def _newest_first(lead: Lead) -> tuple[int, str]:
    return (micros(lead.created_at), lead.id)


class SqlLeads(Table[Lead]):
    """Leads, their assignee rows and their contact keys."""

    spec = LEADS

    def __init__(self, tx: SqlTransaction) -> None:
        super().__init__(tx)
        # Contact keys of the leads staged in this unit of work, for duplicate lookups
        # in an import of thousands of leads (rebuilt when the unit of work starts over).
        self._index: dict[tuple[str, str], set[str]] = {}
        self._generation = -1

    # -- staged leads ------------------------------------------------------------------

    def _staged(self, organization_id: str) -> dict[str, Lead]:
        return {
            key[1]: value
            for key, value in self._tx.staged(self.spec).items()
            if key[0] == organization_id and not isinstance(value, Deleted)
        }

    def _staged_index(self) -> dict[tuple[str, str], set[str]]:
        if self._generation != self._tx.generation:
            self._index = {}
            self._generation = self._tx.generation
        return self._index

    def _stage(self, old: Lead | None, lead: Lead, *, met: bool = False) -> None:
        """Stage ``lead`` (``old``: as stored); ``met``: its contact keys are met already."""
        org = lead.organization_id
        old_keys = contact_keys(old) if old is not None else frozenset[str]()
        new_keys = contact_keys(lead)
        changed = old_keys ^ new_keys
        if changed:
            keys = [(org, k) for k in sorted(changed)]
            if not met:
                self._tx.meet(CONTACT_KEYS, keys)
            for key in keys:
                self._tx.put(CONTACT_KEYS, key, True)
        index = self._staged_index()
        for k in old_keys:
            index.get((org, k), set()).discard(lead.id)
        for k in new_keys:
            index.setdefault((org, k), set()).add(lead.id)
        self._tx.put(self.spec, (org, lead.id), lead)

    # -- the protocol ------------------------------------------------------------------------

    def add(self, lead: Lead) -> None:
        """Store a new lead: whether its id is taken and its contact keys in one statement."""
        org = lead.organization_id
        key = self._key(org, lead.id)
        if self._tx.known_present(self.spec, key):
            raise ConflictError(f"lead {lead.id!r} already exists")
        if not self._tx.is_new(self.spec, key):
            self._probe(org, lead.id, sorted(contact_keys(lead)))
        self._stage(None, lead)

    def _probe(self, org: str, lead_id: str, keys: Sequence[str]) -> None:
        """Read whether ``lead_id`` is taken and the revisions of the contact keys not met yet.

        ``ConflictError`` when the id is taken; else both become bases of this
        unit of work, as :meth:`SqlTransaction.get` and ``meet`` would make them.
        """
        lead_key = (org, lead_id)
        missing = [k for k in keys if (org, k) not in self._tx.met(CONTACT_KEYS)]
        leads, known = self.spec.table, CONTACT_KEYS.table
        statement: Any = select(literal(True).label("lead"), leads.c.id, leads.c.revision).where(
            leads.c.organization_id == org, leads.c.id == lead_id
        )
        if missing:
            statement = union_all(
                statement,
                select(literal(False), known.c.contact_key, known.c.revision).where(
                    known.c.organization_id == org, known.c.contact_key.in_(missing)
                ),
            )
        found = self._tx.rows(statement, org, by_keys=bool(missing))
        if any(row.lead for row in found):
            raise ConflictError(f"lead {lead_id!r} already exists")
        self._tx.remember(self.spec, lead_key, None, None)
        revisions = {row.id: row.revision for row in found}
        for k in missing:
            revision = revisions.get(k)
            self._tx.remember(CONTACT_KEYS, (org, k), revision, None if revision is None else True)

    def add_many(self, leads: Sequence[Lead]) -> None:
        """Store new leads: their ids and contact keys are read in a few statements for all."""
        if len(leads) == 1:
            self.add(leads[0])  # one statement reads both
            return
        keys = [self._key(lead.organization_id, lead.id) for lead in leads]
        self._tx.meet(self.spec, keys)
        staged = self._tx.staged(self.spec)
        taken = next(
            (k for k in keys if k in staged or self._tx.base(self.spec, k) is not None), None
        )
        if taken is not None or len(set(keys)) != len(keys):
            what = taken[-1] if taken is not None else "given twice"
            raise ConflictError(f"lead {what!r} already exists")
        self._tx.meet(
            CONTACT_KEYS,
            [(lead.organization_id, k) for lead in leads for k in sorted(contact_keys(lead))],
        )
        for lead in leads:
            self._stage(None, lead, met=True)

    def get(self, organization_id: str, lead_id: str) -> Lead | None:
        """The lead, or ``None``."""
        return self._get((organization_id, lead_id))

    def update(self, lead: Lead, *, expected_version: int) -> None:
        """Compare-and-set on ``version`` (and on the row's revision at commit)."""
        # The row as this unit of work met it: a commit since then fails the revision check.
        stored = self._tx.known(self.spec, (lead.organization_id, lead.id))
        if stored is None:
            raise NotFound(self.spec.kind, lead.id)
        if stored.version != expected_version:
            raise ConflictError(
                f"lead {stored.name!r} is at version {stored.version}, not {expected_version}: "
                "it was changed meanwhile",
                ids={"lead_id": lead.id},
            )
        self._stage(stored, lead)

    def query(self, organization_id: str, query: LeadQuery) -> list[Lead]:
        """Matching leads, newest first, after the cursor, limited."""
        staged = self._staged(organization_id)
        cursor = query.after
        mine = sorted(
            (
                lead
                for lead in staged.values()
                if query.matches(lead) and (cursor is None or cursor.before(lead))
            ),
            key=_newest_first,
            reverse=True,
        )
        merged = heapq.merge(
            self._committed(organization_id, query, staged),
            mine,
            key=_newest_first,
            reverse=True,
        )
        out: list[Lead] = []
        if query.limit is not None and query.limit <= 0:
            # As a slice of the whole list, like the memory adapter.
            return list(merged)[: query.limit]
        for lead in merged:
            out.append(lead)
            if query.limit is not None and len(out) >= query.limit:
                break
        return out

    def _committed(
        self, organization_id: str, query: LeadQuery, staged: dict[str, Lead]
    ) -> Iterator[Lead]:
        """Committed leads matching ``query`` newest first, in growing batches."""
        t = self.spec.table
        source: FromClause = t
        order = LEADS_ORDER
        filters = lead_filters(organization_id, query)
        if query.assignee_id is not None:
            source, order = assigned_leads()
            filters = [
                *assignee_is(organization_id, query.assignee_id),
                *lead_filters(organization_id, query, assignee_joined=True),
            ]
        position = None
        if query.after is not None:
            position = (micros(query.after.at), query.after.id)
        batch = _FIRST_BATCH
        if query.limit is not None:
            batch = max(1, min(query.limit + len(staged), _LAST_BATCH))
        while True:
            statement = (
                select(t.c.id, t.c.created_us, t.c.record).select_from(source).where(*filters)
            )
            if position is not None:
                statement = statement.where(after(*position, order))
            statement = statement.order_by(order[0].desc(), order[1].desc()).limit(batch)
            rows = self._tx.rows(statement, organization_id)
            for row in rows:
                position = (row.created_us, row.id)
                if row.id in staged:
                    continue
                lead = decode(row.record, Lead)
                if query.matches(lead):
                    yield lead
            if len(rows) < batch:
                return
            batch = min(batch * 2, _LAST_BATCH)

    def count_by_status(self, organization_id: str, query: LeadQuery) -> dict[str | None, int]:
        """Leads matching ``query`` per status."""
        t = self.spec.table
        filters = lead_filters(organization_id, query)
        staged = self._staged(organization_id)
        counts: dict[str | None, int] = {}
        if query.text is None:
            grouped = (
                select(t.c.status_id, func.count().label("n"))
                .where(*filters)
                .group_by(t.c.status_id)
            )
            for row in self._tx.rows(grouped, organization_id):
                counts[row.status_id] = int(row.n)
            # Staged leads replace their committed rows, which the grouping counted.
            ids = sorted(staged)
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                replaced = select(t.c.status_id).where(*filters, t.c.id.in_(chunk))
                for row in self._tx.rows(replaced, organization_id):
                    counts[row.status_id] -= 1
        else:
            found = select(t.c.id, t.c.record).where(*filters)
            for row in self._tx.rows(found, organization_id):
                if row.id not in staged:
                    lead = decode(row.record, Lead)
                    if query.matches(lead):
                        counts[lead.status_id] = counts.get(lead.status_id, 0) + 1
        for lead in staged.values():
            if query.matches(lead):
                counts[lead.status_id] = counts.get(lead.status_id, 0) + 1
        return {status: n for status, n in counts.items() if n > 0}

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
        keys = sorted(
            {contact_key("phone", p) for p in phones}
            | {contact_key("email", e) for e in emails}
            | {contact_key("name", n) for n in name_keys}
        )
        if not keys:
            return []
        # Read like the memory index does, so that a lead added under one of these
        # keys by another unit of work before this one commits is a conflict.
        self._tx.meet(CONTACT_KEYS, [(organization_id, k) for k in keys])
        # Looked up per key, not over every staged lead: an import calls this once a row.
        staged = self._tx.staged(self.spec)
        found: dict[str, Lead] = {}
        for lead_id, record in self._committed_with_keys(organization_id, keys, since):
            if not isinstance(staged.get((organization_id, lead_id)), Lead):
                found[lead_id] = decode(record, Lead)
        index = self._staged_index()
        for k in keys:
            for lead_id in index.get((organization_id, k), ()):
                lead = staged.get((organization_id, lead_id))
                if isinstance(lead, Lead) and (since is None or lead.created_at >= since):
                    found[lead_id] = lead
        return sorted(found.values(), key=lambda lead: (lead.created_at, lead.id))

    def _committed_with_keys(
        self, organization_id: str, keys: list[str], since: datetime | None
    ) -> Iterator[tuple[str, str]]:
        """``(id, record)`` of the committed leads with one of the contact ``keys``.

        Two statements, each led by its own key: the contact rows give the
        lead ids, then the leads are read by primary key, and the window is
        applied to what comes back. (With the window in the statement, SQLite
        may drive it from the leads' creation index and read every lead in the
        duplicate window for each lookup.)
        """
        t, lc = self.spec.table, LEAD_CONTACTS
        backend = self._tx.backend
        size, one_of = backend.key_chunk, backend.one_of
        ids: set[str] = set()
        for start in range(0, len(keys), size):
            statement = select(lc.c.lead_id).where(
                lc.c.organization_id == organization_id,
                one_of(lc.c.contact_key, keys[start : start + size]),
            )
            found = self._tx.rows(statement, organization_id, by_keys=True)
            ids.update(row.lead_id for row in found)
        wanted = sorted(ids)
        floor = None if since is None else micros(since)
        for start in range(0, len(wanted), size):
            leads = select(t.c.id, t.c.created_us, t.c.record).where(
                t.c.organization_id == organization_id, one_of(t.c.id, wanted[start : start + size])
            )
            for row in self._tx.rows(leads, organization_id, by_keys=True):
                if floor is None or row.created_us >= floor:
                    yield row.id, row.record


class SqlHistory(Table[HistoryEntry]):
    """History entries, numbered per organisation in commit order."""

    spec = HISTORY

    def add(self, entry: HistoryEntry) -> None:
        """Store an entry; ``ConflictError`` if its id is taken.

        An id taken by this unit of work is refused here; one committed before
        is refused by the primary key when this unit of work commits (no
        query per entry).
        """
        key = self._key(entry.organization_id, entry.id)
        if key in self._tx.staged(self.spec):
            raise ConflictError(f"{self.spec.kind} {entry.id!r} already exists")
        self._tx.put(self.spec, key, entry)

    def _rows(
        self, organization_id: str, *where: Any, keep: Any
    ) -> list[tuple[tuple[int, int, int], HistoryEntry]]:
        """Committed and staged entries with their order ``(at, staged?, seq)``."""
        t = self.spec.table
        statement = select(t.c.id, t.c.at_us, t.c.seq, t.c.record).where(
            t.c.organization_id == organization_id, *where
        )
        staged = self._tx.staged(self.spec)
        out = [
            ((row.at_us, 0, row.seq), decode(row.record, HistoryEntry))
            for row in self._tx.rows(statement, organization_id)
            if (organization_id, row.id) not in staged
        ]
        # Staged entries are numbered at commit, after every committed one.
        for i, (key, entry) in enumerate(staged.items()):
            if key[0] == organization_id and not isinstance(entry, Deleted) and keep(entry):
                out.append(((micros(entry.at), 1, i), entry))
        return out

    def for_lead(
        self,
        organization_id: str,
        lead_id: str,
        *,
        actor_ids: Collection[str] | None = None,
    ) -> list[HistoryEntry]:
        """A lead's entries, newest first."""
        t = self.spec.table
        rows = self._rows(
            organization_id, t.c.lead_id == lead_id, keep=lambda e: e.lead_id == lead_id
        )
        if actor_ids is not None:
            rows = [r for r in rows if r[1].actor_id in actor_ids]
        rows.sort(key=lambda r: r[0], reverse=True)
        return [r[1] for r in rows]

    def between(
        self, organization_id: str, start: datetime | None, end: datetime | None
    ) -> list[HistoryEntry]:
        """Entries in ``[start, end)``, oldest first."""
        t = self.spec.table
        where = []
        if start is not None:
            where.append(t.c.at_us >= micros(start))
        if end is not None:
            where.append(t.c.at_us < micros(end))
        rows = self._rows(
            organization_id,
            *where,
            keep=lambda e: (start is None or e.at >= start) and (end is None or e.at < end),
        )
        rows.sort(key=lambda r: r[0])
        return [r[1] for r in rows]


class SqlNotes(Table[Note]):
    """Notes."""

    spec = NOTES

    def add(self, note: Note) -> None:
        """Store a note; a taken id is refused at the latest by the commit (no query)."""
        self._tx.put_new(self.spec, self._key(note.organization_id, note.id), note)

    def get(self, organization_id: str, note_id: str) -> Note | None:
        """The note, or ``None``."""
        return self._get((organization_id, note_id))

    def for_lead(self, organization_id: str, lead_id: str) -> list[Note]:
        """A lead's notes, oldest first."""
        return self._having(organization_id, "lead_id", lead_id, lambda n: (n.created_at, n.id))


class SqlTasks(Table[Task]):
    """Tasks."""

    spec = TASKS

    def add(self, task: Task) -> None:
        """Store a task."""
        self._add_record(task)

    def get(self, organization_id: str, task_id: str) -> Task | None:
        """The task, or ``None``."""
        return self._get((organization_id, task_id))

    def update(self, task: Task) -> None:
        """Replace a task."""
        self._update_record(task)

    def for_lead(self, organization_id: str, lead_id: str) -> list[Task]:
        """A lead's tasks by due time."""
        return self._having(organization_id, "lead_id", lead_id, lambda x: (x.due_at, x.id))

    def open_for(
        self, organization_id: str, assignee_ids: Collection[str], due_until: datetime | None
    ) -> list[Task]:
        """Open tasks of these assignees, by due time."""
        wanted = set(assignee_ids)
        if not wanted:
            return []
        t = self.spec.table
        where: list[ColumnElement[bool]] = [
            t.c.assignee_id.in_(sorted(wanted)),
            t.c.done == false(),
        ]
        if due_until is not None:
            where.append(t.c.due_us < micros(due_until))

        def keep(_: object, x: Task) -> bool:
            return (
                not x.done
                and x.assignee_id in wanted
                and (due_until is None or x.due_at < due_until)
            )

        rows = self._tx.scan(self.spec, organization_id, where, keep)
        rows.sort(key=lambda x: (x.due_at, x.id))
        return rows


class SqlProjects(Table[Project]):
    """Projects."""

    spec = PROJECTS

    def add(self, project: Project) -> None:
        """Store a project."""
        self._add_record(project)

    def get(self, organization_id: str, project_id: str) -> Project | None:
        """The project, or ``None``."""
        return self._get((organization_id, project_id))

    def list(self, organization_id: str) -> builtins.list[Project]:
        """Projects by name, then id."""
        return self._list(organization_id, lambda p: (p.name, p.id))

    def update(self, project: Project) -> None:
        """Replace a project."""
        self._update_record(project)


class SqlDoNotCall(Table[str]):
    """Do-not-call numbers."""

    spec = DO_NOT_CALL

    def add(self, organization_id: str, number: str) -> None:
        """Put a number on the list."""
        bounded(number, "do-not-call number", NUMBER_LENGTH)
        self._tx.put(self.spec, self._key(organization_id, number), number)

    def remove(self, organization_id: str, number: str) -> None:
        """Take a number off the list."""
        self._tx.delete(self.spec, (organization_id, number))

    def contains(self, organization_id: str, number: str) -> bool:
        """Whether the number is listed."""
        return self._get((organization_id, number)) is not None

    def listed(self, organization_id: str, numbers: Collection[str]) -> frozenset[str]:
        """Those of ``numbers`` that are listed (read in one statement per chunk)."""
        keys = [(organization_id, n) for n in sorted(set(numbers))]
        self._tx.meet(self.spec, keys)
        return frozenset(k[1] for k in keys if self._tx.known(self.spec, k) is not None)

    def list(self, organization_id: str) -> builtins.list[str]:
        """The numbers, sorted."""
        return self._list(organization_id, lambda n: n)


class SqlLeadSettings(Table[LeadSettings]):
    """Intake settings."""

    spec = LEAD_SETTINGS

    def get(self, organization_id: str) -> LeadSettings | None:
        """The settings, or ``None``."""
        return self._get((organization_id,))

    def put(self, organization_id: str, settings: LeadSettings) -> None:
        """Store the settings."""
        self._tx.put(self.spec, self._key(organization_id), settings)


class SqlOpportunities(Table[Opportunity]):
    """Opportunities."""

    spec = OPPORTUNITIES

    def add(self, opportunity: Opportunity) -> None:
        """Store an opportunity."""
        self._add_record(opportunity)

    def get(self, organization_id: str, opportunity_id: str) -> Opportunity | None:
        """The opportunity, or ``None``."""
        return self._get((organization_id, opportunity_id))

    def update(self, opportunity: Opportunity) -> None:
        """Replace an opportunity."""
        self._update_record(opportunity)

    def for_account(self, organization_id: str, account_id: str) -> list[Opportunity]:
        """An account's opportunities by creation time."""
        return self._having(
            organization_id, "account_id", account_id, lambda o: (o.created_at, o.id)
        )

    def list(self, organization_id: str) -> builtins.list[Opportunity]:
        """Opportunities by creation time."""
        return self._list(organization_id, lambda o: (o.created_at, o.id))


class SqlConversions(Table[Conversion]):
    """Conversion records."""

    spec = CONVERSIONS

    def add(self, conversion: Conversion) -> None:
        """Store a record."""
        self._add_record(conversion)

    def get(self, organization_id: str, conversion_id: str) -> Conversion | None:
        """The record, or ``None``."""
        return self._get((organization_id, conversion_id))

    def update(self, conversion: Conversion) -> None:
        """Replace a record."""
        self._update_record(conversion)

    def list(self, organization_id: str) -> builtins.list[Conversion]:
        """Records by conversion time."""
        return self._list(organization_id, lambda c: (c.converted_at, c.id))

    def for_lead(self, organization_id: str, lead_id: str) -> builtins.list[Conversion]:
        """A lead's records, oldest first."""
        return self._having(organization_id, "lead_id", lead_id, lambda c: (c.converted_at, c.id))

    def for_account(self, organization_id: str, account_id: str) -> builtins.list[Conversion]:
        """Records that used an account, oldest first."""
        return self._having(
            organization_id, "account_id", account_id, lambda c: (c.converted_at, c.id)
        )
