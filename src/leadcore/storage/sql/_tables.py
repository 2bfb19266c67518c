"""How each kind of record maps to its table: key, columns, and the rows derived from it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Row, Table, delete

from leadcore.errors import ValidationError
from leadcore.leads._conversion import Account, Contact, Conversion, Opportunity
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import HistoryEntry, Lead, Note, Task
from leadcore.leads._pipeline import PipelineEntry, PipelineSettings
from leadcore.leads._project import Project
from leadcore.storage.sql._bulk import insert_many
from leadcore.storage.sql._codec import decode, encode, micros
from leadcore.storage.sql._keys import (
    ACCOUNT_KIND,
    CONTACT_KIND,
    account_keys,
    contact_key,
    person_keys,
)
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._schema import ID_LENGTH
from leadcore.storage.sql._tx import Key, Spec, SqlTransaction
from leadcore.tenancy import Group, Organization, Partnership, RolePolicy, User
from leadcore.workflow import Workflow, name_key

__all__ = [
    "ACCOUNTS",
    "ASSIGNEES",
    "CONTACTS",
    "CONTACT_KEYS",
    "CONVERSIONS",
    "DIRECTORY",
    "DO_NOT_CALL",
    "EVENT_POSITIONS",
    "GROUPS",
    "HISTORY",
    "LEADS",
    "LEAD_CONTACTS",
    "LEAD_SETTINGS",
    "NOTES",
    "OPPORTUNITIES",
    "ORGANIZATIONS",
    "PARTNERSHIPS",
    "PIPELINE_HISTORY",
    "PIPELINE_KEYS",
    "PIPELINE_SETTINGS",
    "PROJECTS",
    "ROLE_POLICIES",
    "TASKS",
    "USERS",
    "WORKFLOWS",
    "bounded",
    "contact_keys",
    "record_reader",
    "search_text",
]

R = TypeVar("R")

_T: Final = metadata.tables


def bounded(value: str | None, what: str, limit: int = ID_LENGTH) -> str | None:
    """``value`` if it fits its column; ``ValidationError`` naming it otherwise."""
    if value is not None and len(value) > limit:
        raise ValidationError(
            "value too long for the SQL storage",
            [f"{what}: {len(value)} characters, at most {limit} are accepted"],
        )
    return value


def _record(record: object) -> dict[str, Any]:
    return {"record": encode(record)}


def record_reader(cls: type[R]) -> Callable[[Row[Any]], R]:
    """Read a ``cls`` record back from the JSON ``record`` column of a row."""

    def read(row: Row[Any]) -> R:
        return decode(row._mapping["record"], cls)

    return read


@functools.lru_cache(maxsize=256)
def _workflow(text: str) -> Workflow:
    # Versions never change once stored, and building one validates and compiles it.
    return decode(text, Workflow)


def _spec(
    kind: str,
    order: int,
    table: str,
    key: tuple[str, ...],
    cls: type[R],
    columns: Callable[[R], dict[str, Any]] = _record,
    **options: Any,
) -> Spec[R]:
    return Spec(kind, order, _T[table], key, columns, record_reader(cls), **options)


_ORG_ID: Final = ("organization_id", "id")

ORGANIZATIONS: Final = _spec(
    "organization", 0, "leadcore_organizations", ("organization_id",), Organization, cached=True
)
DIRECTORY: Final[Spec[str]] = Spec(
    "user",
    1,
    _T["leadcore_user_directory"],
    ("user_id",),
    lambda org: {"organization_id": org},
    lambda row: str(row._mapping["organization_id"]),
    versioned=False,
    scoped=False,
)
USERS: Final = _spec("user", 2, "leadcore_users", _ORG_ID, User, cached=True)
GROUPS: Final = _spec("group", 3, "leadcore_groups", _ORG_ID, Group)
PARTNERSHIPS: Final = _spec("partnership", 4, "leadcore_partnerships", _ORG_ID, Partnership)
ROLE_POLICIES: Final = _spec(
    "role policy", 5, "leadcore_role_policies", ("organization_id",), RolePolicy, cached=True
)
WORKFLOWS: Final[Spec[Workflow]] = Spec(
    "workflow",
    6,
    _T["leadcore_workflows"],
    ("organization_id", "kind", "version"),
    _record,
    lambda row: _workflow(row._mapping["record"]),
    versioned=False,
    cached=True,
)
PROJECTS: Final = _spec("project", 7, "leadcore_projects", _ORG_ID, Project, cached=True)
LEAD_SETTINGS: Final = _spec(
    "lead settings", 8, "leadcore_lead_settings", ("organization_id",), LeadSettings, cached=True
)
DO_NOT_CALL: Final[Spec[str]] = Spec(
    "do-not-call number",
    9,
    _T["leadcore_do_not_call"],
    ("organization_id", "number"),
    lambda number: {},
    lambda row: str(row._mapping["number"]),
)

# -- leads and the rows derived from them -------------------------------------------------

ASSIGNEES: Final[Table] = _T["leadcore_lead_assignees"]
LEAD_CONTACTS: Final[Table] = _T["leadcore_lead_contacts"]


def contact_keys(lead: Lead) -> frozenset[str]:
    """The contact keys of a lead: its phones, e-mails and name key (as the memory index)."""
    return _contact_keys(lead.name, lead.phones, lead.emails)


# Cached: an import asks for the keys of each lead when it looks up, stages and writes it.
@functools.lru_cache(maxsize=1 << 14)
def _contact_keys(name: str, phones: tuple[str, ...], emails: tuple[str, ...]) -> frozenset[str]:
    keys = {contact_key("phone", p) for p in phones}
    keys |= {contact_key("email", e) for e in emails}
    if name.strip():
        keys.add(contact_key("name", name_key(name)))
    return frozenset(keys)


def search_text(lead: Lead) -> str:
    """What a text search looks in (a superset test; the exact test runs on the record)."""
    return "\n".join([lead.name.casefold(), *lead.emails, *lead.phones])


def _lead_columns(lead: Lead) -> dict[str, Any]:
    source = lead.source
    return {
        "version": lead.version,
        "created_us": micros(lead.created_at),
        "status_id": bounded(lead.status_id, "lead.status_id"),
        "project_id": bounded(lead.project_id, "lead.project_id"),
        "pool_id": bounded(lead.pool_id, "lead.pool_id"),
        "supplier_id": bounded(source.supplier_id, "lead.source.supplier_id"),
        "channel": bounded(source.channel, "lead.source.channel"),
        "converted": lead.converted,
        "search": search_text(lead),
        "record": encode(lead),
    }


def _lead_rows(
    tx: SqlTransaction, connection: Connection, written: Sequence[tuple[Key, Lead | None, Lead]]
) -> None:
    """Keep the assignee and contact rows of leads in step with the leads (at commit).

    The new rows of every lead of an organisation go in one statement per table.
    """
    by_org: dict[str, list[tuple[Key, Lead | None, Lead]]] = {}
    for item in written:
        by_org.setdefault(str(item[0][0]), []).append(item)
    for org in sorted(by_org):
        tx.scope(connection, org)
        assignees: list[dict[str, Any]] = []
        contacts: list[dict[str, Any]] = []
        for (_, lead_id), old, new in by_org[org]:
            old_users = set(old.assignee_ids) if old is not None else set()
            if old is not None and old.created_at != new.created_at:
                old_users_kept: set[str] = set()
                _drop(connection, ASSIGNEES, org, lead_id, "user_id", old_users)
            else:
                old_users_kept = old_users
            new_users = set(new.assignee_ids)
            for uid in new_users:
                bounded(uid, "lead.assignee_ids[]")
            _drop(connection, ASSIGNEES, org, lead_id, "user_id", old_users_kept - new_users)
            created = micros(new.created_at)
            assignees.extend(
                {"organization_id": org, "user_id": u, "lead_id": lead_id, "created_us": created}
                for u in sorted(new_users - old_users_kept)
            )
            old_keys = contact_keys(old) if old is not None else frozenset[str]()
            new_keys = contact_keys(new)
            _drop(connection, LEAD_CONTACTS, org, lead_id, "contact_key", old_keys - new_keys)
            contacts.extend(
                {"organization_id": org, "contact_key": k, "lead_id": lead_id}
                for k in sorted(new_keys - old_keys)
            )
        _add(tx, connection, ASSIGNEES, assignees)
        _add(tx, connection, LEAD_CONTACTS, contacts)


def _drop(
    connection: Connection, table: Table, org: str, lead_id: str, column: str, values: Iterable[str]
) -> None:
    wanted = sorted(values)
    if wanted:
        c = table.c
        connection.execute(
            delete(table).where(
                c.organization_id == org, c.lead_id == lead_id, c[column].in_(wanted)
            )
        )


def _add(
    tx: SqlTransaction, connection: Connection, table: Table, rows: list[dict[str, Any]]
) -> None:
    if rows:
        tx.insert_rows(connection, table, rows)


LEADS: Final = _spec(
    "lead", 10, "leadcore_leads", _ORG_ID, Lead, _lead_columns, after_writes=_lead_rows
)
CONTACT_KEYS: Final[Spec[bool]] = Spec(
    "contact",
    11,
    _T["leadcore_contact_keys"],
    ("organization_id", "contact_key"),
    lambda _: {},
    lambda row: True,
)

# -- what hangs off leads --------------------------------------------------------------------


def _history_columns(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "lead_id": bounded(entry.lead_id, "history.lead_id"),
        "at_us": micros(entry.at),
        "record": encode(entry),
    }


def _ids_and_record(prefix: str, *names: str) -> Callable[[Any], dict[str, Any]]:
    """The columns of a record: the ids ``names`` it refers to, then the JSON record.

    Each id is checked to fit its column; a message names it ``prefix + name``.
    """

    def columns(record: Any) -> dict[str, Any]:
        out = {name: bounded(getattr(record, name), f"{prefix}{name}") for name in names}
        out["record"] = encode(record)
        return out

    return columns


def _task_columns(task: Task) -> dict[str, Any]:
    return {
        "lead_id": bounded(task.lead_id, "task.lead_id"),
        "assignee_id": bounded(task.assignee_id, "task.assignee_id"),
        "due_us": micros(task.due_at),
        "done": task.done,
        "record": encode(task),
    }


HISTORY: Final = _spec(
    "history entry",
    12,
    "leadcore_history",
    _ORG_ID,
    HistoryEntry,
    _history_columns,
    versioned=False,
    sequence="history",
)
NOTES: Final = _spec(
    "note",
    13,
    "leadcore_notes",
    _ORG_ID,
    Note,
    _ids_and_record("note.", "lead_id"),
    versioned=False,
)
TASKS: Final = _spec("task", 14, "leadcore_tasks", _ORG_ID, Task, _task_columns)
# -- accounts, contacts and their contact keys ---------------------------------------------

PIPELINE_KEYS: Final[Table] = _T["leadcore_pipeline_keys"]


def _pipeline_rows(
    kind: str, keys_of: Callable[[Any], set[str]]
) -> Callable[[SqlTransaction, Connection, Sequence[tuple[Key, Any, Any]]], None]:
    """Keep the key rows of accounts (or contacts) in step with them, at commit."""

    def write(
        tx: SqlTransaction, connection: Connection, written: Sequence[tuple[Key, Any, Any]]
    ) -> None:
        by_org: dict[str, list[tuple[Key, Any, Any]]] = {}
        for item in written:
            by_org.setdefault(str(item[0][0]), []).append(item)
        k = PIPELINE_KEYS.c
        for org in sorted(by_org):
            tx.scope(connection, org)
            rows: list[dict[str, Any]] = []
            for (_, record_id), old, new in by_org[org]:
                old_keys = keys_of(old) if old is not None else set()
                new_keys = keys_of(new)
                if gone := sorted(old_keys - new_keys):
                    connection.execute(
                        delete(PIPELINE_KEYS).where(
                            k.organization_id == org,
                            k.kind == kind,
                            k.record_id == record_id,
                            k.contact_key.in_(gone),
                        )
                    )
                rows.extend(
                    {
                        "organization_id": org,
                        "kind": kind,
                        "contact_key": key,
                        "record_id": record_id,
                    }
                    for key in sorted(new_keys - old_keys)
                )
            insert_many(connection, PIPELINE_KEYS, rows)

    return write


ACCOUNTS: Final = _spec(
    "account",
    15,
    "leadcore_accounts",
    _ORG_ID,
    Account,
    after_writes=_pipeline_rows(ACCOUNT_KIND, account_keys),
)
# Contacts and opportunities name the column alone in their messages.
_OF_ACCOUNT: Final = _ids_and_record("", "account_id")
CONTACTS: Final = _spec(
    "contact",
    16,
    "leadcore_contacts",
    _ORG_ID,
    Contact,
    _OF_ACCOUNT,
    after_writes=_pipeline_rows(CONTACT_KIND, person_keys),
)
OPPORTUNITIES: Final = _spec(
    "opportunity", 17, "leadcore_opportunities", _ORG_ID, Opportunity, _OF_ACCOUNT
)
CONVERSIONS: Final = _spec(
    "conversion",
    18,
    "leadcore_conversions",
    _ORG_ID,
    Conversion,
    _ids_and_record("conversion.", "lead_id", "account_id"),
)
PIPELINE_HISTORY: Final = _spec(
    "pipeline history entry",
    25,
    "leadcore_pipeline_history",
    _ORG_ID,
    PipelineEntry,
    lambda e: {
        "subject_id": bounded(e.subject_id, "pipeline history.subject_id"),
        "at_us": micros(e.at),
        "record": encode(e),
    },
    versioned=False,
)
PIPELINE_SETTINGS: Final = _spec(
    "pipeline settings", 26, "leadcore_pipeline_settings", ("organization_id",), PipelineSettings
)
EVENT_POSITIONS: Final[Spec[int]] = Spec(
    "event position",
    19,
    _T["leadcore_event_positions"],
    ("organization_id", "consumer"),
    lambda position: {"position": position},
    lambda row: int(row._mapping["position"]),
)
