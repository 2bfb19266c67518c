"""The tables of schema version 1.

Every table of organisation data starts its primary key and each of its
indexes with ``organization_id``, so that the tables can be sharded by
organisation (e.g. distributed by that column with Citus) without a schema
change. Two small tables cannot be keyed that way by nature: the user
directory, which answers "which organisation is this user in?" before the
organisation is known, and the schema version of the runner; make them
reference tables when sharding.

A table keeps the columns that queries filter and sort on, and the whole
record as JSON text (``record``). Tables whose rows are ever replaced or
removed carry a hidden ``revision``, which every write compares and bumps
(optimistic concurrency). Instants are whole microseconds since the epoch
(``*_us``).

Identifiers compare byte by byte on every backend (``COLLATE "C"`` on
PostgreSQL, ``utf8mb4_nopad_bin`` on MariaDB/MySQL, SQLite's default), so the
database orders them exactly as Python orders strings.

This module is version 1 as released: a later change to the schema is a new
step in :mod:`leadcore.storage.sql._migrations`, never an edit here.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

__all__ = ["ID_LENGTH", "NUMBER_LENGTH", "define_v1", "schema_version_table"]

#: The longest identifier (record id, status id, consumer name...) the tables hold.
ID_LENGTH: Final = 128
#: The longest do-not-call number the table holds.
NUMBER_LENGTH: Final = 64

_MYSQL: Final = ("mysql", "mariadb")


def _id_type() -> TypeEngine[str]:
    return String(ID_LENGTH).with_variant(String(ID_LENGTH, collation="C"), "postgresql")


def _text_type() -> TypeEngine[str]:
    return Text().with_variant(mysql.LONGTEXT(), *_MYSQL)


def _table_options() -> dict[str, Any]:
    # Binary, no-pad comparison: "a" and "a " differ, as they do in Python.
    options: dict[str, Any] = {}
    for prefix in _MYSQL:
        options[f"{prefix}_engine"] = "InnoDB"
        options[f"{prefix}_charset"] = "utf8mb4"
        options[f"{prefix}_collate"] = "utf8mb4_nopad_bin"
    return options


def _org(**kw: Any) -> Column[str]:
    return Column("organization_id", _id_type(), nullable=False, **kw)


def _id(name: str, *, nullable: bool = False, primary_key: bool = False) -> Column[str]:
    return Column(name, _id_type(), nullable=nullable, primary_key=primary_key)


def _revision() -> Column[int]:
    return Column("revision", Integer, nullable=False)


def _record() -> Column[str]:
    return Column("record", _text_type(), nullable=False)


def _table(metadata: MetaData, name: str, *items: Any) -> Table:
    return Table(name, metadata, *items, **_table_options())


def schema_version_table(metadata: MetaData) -> Table:
    """The migration runner's own table: one row per applied step."""
    return _table(
        metadata,
        "leadcore_schema_version",
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("description", String(200), nullable=False),
    )


def _records(metadata: MetaData, name: str, *extra: Any, revision: bool = True) -> Table:
    """A table of records of one kind keyed by ``(organization_id, id)``."""
    columns: list[Column[Any]] = [_org(primary_key=True), _id("id", primary_key=True)]
    if revision:
        columns.append(_revision())
    return _table(metadata, name, *columns, *extra, _record())


def define_v1(metadata: MetaData) -> None:
    """Add the tables of schema version 1 to ``metadata``."""
    m = metadata
    _table(m, "leadcore_organizations", _org(primary_key=True), _revision(), _record())
    _table(
        m,
        "leadcore_user_directory",
        _id("user_id", primary_key=True),
        _org(),
    )
    _records(m, "leadcore_users")
    _records(m, "leadcore_groups")
    _records(m, "leadcore_partnerships")
    _table(m, "leadcore_role_policies", _org(primary_key=True), _revision(), _record())
    _table(
        m,
        "leadcore_workflows",
        _org(primary_key=True),
        _id("kind", primary_key=True),
        Column("version", Integer, primary_key=True, autoincrement=False),
        _record(),
    )
    _records(m, "leadcore_projects")
    _table(m, "leadcore_lead_settings", _org(primary_key=True), _revision(), _record())
    _table(
        m,
        "leadcore_do_not_call",
        _org(primary_key=True),
        Column("number", String(NUMBER_LENGTH), primary_key=True),
        _revision(),
    )

    leads = _records(
        m,
        "leadcore_leads",
        Column("version", Integer, nullable=False),
        Column("created_us", BigInteger, nullable=False),
        _id("status_id", nullable=True),
        _id("project_id", nullable=True),
        _id("pool_id", nullable=True),
        _id("supplier_id", nullable=True),
        _id("channel", nullable=True),
        Column("converted", Boolean, nullable=False),
        Column("search", _text_type(), nullable=False),
    )
    c = leads.c
    Index("ix_leadcore_leads_created", c.organization_id, c.created_us, c.id)
    Index("ix_leadcore_leads_status", c.organization_id, c.status_id, c.created_us, c.id)
    Index("ix_leadcore_leads_project", c.organization_id, c.project_id, c.created_us, c.id)
    Index("ix_leadcore_leads_pool", c.organization_id, c.pool_id, c.created_us, c.id)
    Index("ix_leadcore_leads_supplier", c.organization_id, c.supplier_id, c.created_us, c.id)

    assignees = _table(
        m,
        "leadcore_lead_assignees",
        _org(primary_key=True),
        _id("user_id", primary_key=True),
        _id("lead_id", primary_key=True),
        Column("created_us", BigInteger, nullable=False),
    )
    a = assignees.c
    Index("ix_leadcore_lead_assignees_list", a.organization_id, a.user_id, a.created_us, a.lead_id)

    # Duplicate detection: one revisioned row per contact value (so that two intakes of
    # one number conflict), and one row per (value, lead).
    _table(
        m,
        "leadcore_contact_keys",
        _org(primary_key=True),
        Column("contact_key", String(64), primary_key=True),
        _revision(),
    )
    _table(
        m,
        "leadcore_lead_contacts",
        _org(primary_key=True),
        Column("contact_key", String(64), primary_key=True),
        _id("lead_id", primary_key=True),
    )

    history = _records(
        m,
        "leadcore_history",
        _id("lead_id"),
        Column("at_us", BigInteger, nullable=False),
        Column("seq", BigInteger, nullable=False),
        revision=False,
    )
    h = history.c
    Index("ix_leadcore_history_lead", h.organization_id, h.lead_id, h.at_us, h.seq)
    Index("ix_leadcore_history_at", h.organization_id, h.at_us, h.seq)

    notes = _records(m, "leadcore_notes", _id("lead_id"), revision=False)
    Index("ix_leadcore_notes_lead", notes.c.organization_id, notes.c.lead_id)

    tasks = _records(
        m,
        "leadcore_tasks",
        _id("lead_id"),
        _id("assignee_id"),
        Column("due_us", BigInteger, nullable=False),
        Column("done", Boolean, nullable=False),
    )
    t = tasks.c
    Index("ix_leadcore_tasks_lead", t.organization_id, t.lead_id)
    Index("ix_leadcore_tasks_open", t.organization_id, t.assignee_id, t.done, t.due_us)

    _records(m, "leadcore_accounts", revision=False)
    contacts = _records(m, "leadcore_contacts", _id("account_id"), revision=False)
    Index("ix_leadcore_contacts_account", contacts.c.organization_id, contacts.c.account_id)
    opportunities = _records(m, "leadcore_opportunities", _id("account_id"))
    o = opportunities.c
    Index("ix_leadcore_opportunities_account", o.organization_id, o.account_id)
    conversions = _records(m, "leadcore_conversions", _id("lead_id"), _id("account_id"))
    v = conversions.c
    Index("ix_leadcore_conversions_lead", v.organization_id, v.lead_id)
    Index("ix_leadcore_conversions_account", v.organization_id, v.account_id)

    # The outbox: positions are handed out from the organisation's "events" counter
    # in the committing transaction, which orders the commits of one organisation.
    _table(
        m,
        "leadcore_events",
        _org(primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        _id("event_id"),
        _record(),
    )
    _table(
        m,
        "leadcore_counters",
        _org(primary_key=True),
        Column("name", String(32), primary_key=True),
        Column("value", BigInteger, nullable=False),
    )
    _table(
        m,
        "leadcore_event_positions",
        _org(primary_key=True),
        _id("consumer", primary_key=True),
        Column("position", BigInteger, nullable=False),
        _revision(),
    )
