"""Schema version 5: the iCalendar UID an activity was imported from, findable by index.

An imported event keeps the UID its file gave it
(:attr:`Activity.ical_uid <leadcore.calendar.Activity.ical_uid>`), so that
importing the file again updates the same activities. The UID is in the
activity's record; ``ical_key``, the SHA-256 of the UID in hex (UIDs are
free text of any length, a hash fits an index on every backend), finds it,
``NULL`` for activities made here. The unique index ``(organization_id,
ical_key)`` keeps one activity per UID in an organisation (two imports of
one file at once: the second commit is refused), and an import looks up the
UIDs of its file in one query per chunk.

This module is version 5 as released: a later change is a new step.
"""

from __future__ import annotations

import hashlib
from typing import Final

from sqlalchemy import Column, Connection, Index, MetaData, String, inspect, text
from sqlalchemy.schema import CreateColumn

__all__ = ["ICAL_KEY_INDEX", "define_v5", "ical_key", "upgrade_v5"]

ICAL_KEY_INDEX: Final = "ix_leadcore_activities_ical_key"
_TABLE: Final = "leadcore_activities"


def ical_key(uid: str) -> str:
    """The ``ical_key`` of a UID: its SHA-256 in hex.

    >>> ical_key("040000008200E00074C5B7101A82E008")[:12]
    '1f9af35b6b11'
    """
    return hashlib.sha256(uid.encode("utf-8")).hexdigest()


def _column() -> Column[str]:
    return Column("ical_key", String(64), nullable=True)


def define_v5(metadata: MetaData) -> None:
    """Add the ``ical_key`` column and its index of version 5 to ``metadata``."""
    table = metadata.tables[_TABLE]
    table.append_column(_column())
    Index(ICAL_KEY_INDEX, table.c.organization_id, table.c.ical_key, unique=True)


def upgrade_v5(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Add the column and the index (unless a host's own migrations made them already)."""
    table = after.tables[_TABLE]
    columns = {c["name"] for c in inspect(connection).get_columns(_TABLE)}
    if "ical_key" not in columns:
        column = CreateColumn(table.c.ical_key).compile(dialect=connection.dialect)
        name = connection.dialect.identifier_preparer.format_table(table)
        connection.execute(text(f"ALTER TABLE {name} ADD COLUMN {column}"))
    (index,) = (i for i in table.indexes if i.name == ICAL_KEY_INDEX)
    index.create(connection, checkfirst=True)
