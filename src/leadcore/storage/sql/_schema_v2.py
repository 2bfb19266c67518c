"""The tables of schema version 2: dispatch, the calendar and forwarding.

Version 2 only adds tables (so the migration is :func:`_create_new_tables
<leadcore.storage.sql._migrations>`), each area's in a module of its own.
The rules of :mod:`leadcore.storage.sql._schema` hold here too:
``organization_id`` first in every key and index, whole microseconds for
instants, identifiers compared byte by byte, a ``revision`` on rows that are
replaced or removed.

This module is version 2 as released: a later change is a new step.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from leadcore.storage.sql._calendar_schema import define_calendar_tables
from leadcore.storage.sql._dispatch_schema import define_dispatch_tables
from leadcore.storage.sql._forwarding_schema import define_forwarding_tables

__all__ = ["define_v2"]


def define_v2(metadata: MetaData) -> None:
    """Add the tables of schema version 2 to ``metadata``."""
    define_dispatch_tables(metadata)
    define_calendar_tables(metadata)
    define_forwarding_tables(metadata)
