"""The tables of schema version 2: dispatch, the calendar and forwarding.

Version 2 only adds tables, each area's in a module of its own; its upgrade
also queues for dispatch the leads a version-1 database already holds.
The rules of :mod:`leadcore.storage.sql._schema` hold here too:
``organization_id`` first in every key and index, whole microseconds for
instants, identifiers compared byte by byte, a ``revision`` on rows that are
replaced or removed.

This module is version 2 as released: a later change is a new step.
"""

from __future__ import annotations

from sqlalchemy import Connection, MetaData

from leadcore.storage.sql._calendar_schema import define_calendar_tables
from leadcore.storage.sql._dispatch_schema import define_dispatch_tables
from leadcore.storage.sql._forwarding_schema import define_forwarding_tables

__all__ = ["define_v2", "upgrade_v2"]


def define_v2(metadata: MetaData) -> None:
    """Add the tables of schema version 2 to ``metadata``."""
    define_dispatch_tables(metadata)
    define_calendar_tables(metadata)
    define_forwarding_tables(metadata)


def upgrade_v2(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Create the tables of version 2, then queue the leads already in projects' pools."""
    new = [t for name, t in after.tables.items() if name not in before.tables]
    after.create_all(connection, tables=new, checkfirst=True)
    # Imported here: the dispatch module reads the current schema, built from these steps.
    from leadcore.storage.sql._dispatch_queue import backfill_queue

    backfill_queue(connection)
