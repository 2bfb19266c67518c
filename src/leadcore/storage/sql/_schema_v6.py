"""Schema version 6: the sales pipeline after conversion.

Accounts and contacts become records that change (an account is renamed,
merged; a contact moves to the kept account of a merge): their tables get
the ``revision`` column every replaced row compares (rows written before
start at 1). Two tables are new: ``leadcore_pipeline_history``, the history
of accounts and opportunities (found by ``subject_id``), and
``leadcore_pipeline_settings``, one row of settings per organisation.

This module is version 6 as released: a later change is a new step.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Column, Connection, Index, Integer, MetaData, inspect, text
from sqlalchemy.schema import CreateColumn

from leadcore.storage.sql._schema import _id, _org, _record, _records, _revision, _table

__all__ = ["define_v6", "upgrade_v6"]

_REVISED: Final = ("leadcore_accounts", "leadcore_contacts")
_HISTORY: Final = "leadcore_pipeline_history"
_SETTINGS: Final = "leadcore_pipeline_settings"


def _revision_column() -> Column[int]:
    return Column("revision", Integer, nullable=False, server_default=text("1"))


def define_v6(metadata: MetaData) -> None:
    """Add the revision columns and the pipeline tables of version 6 to ``metadata``."""
    for name in _REVISED:
        metadata.tables[name].append_column(_revision_column())
    history = _records(
        metadata,
        _HISTORY,
        _id("subject_id"),
        Column("at_us", BigInteger, nullable=False),
        revision=False,
    )
    Index("ix_leadcore_pipeline_history_subject", history.c.organization_id, history.c.subject_id)
    _table(metadata, _SETTINGS, _org(primary_key=True), _revision(), _record())


def upgrade_v6(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Add the columns and create the tables (unless a host's own migrations made them)."""
    for name in _REVISED:
        table = after.tables[name]
        columns = {c["name"] for c in inspect(connection).get_columns(name)}
        if "revision" not in columns:
            column = CreateColumn(table.c.revision).compile(dialect=connection.dialect)
            quoted = connection.dialect.identifier_preparer.format_table(table)
            connection.execute(text(f"ALTER TABLE {quoted} ADD COLUMN {column}"))
    new = [after.tables[_HISTORY], after.tables[_SETTINGS]]
    after.create_all(connection, tables=new, checkfirst=True)
