"""The calendar tables of schema version 2 (see :mod:`leadcore.storage.sql._schema_v2`)."""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["define_calendar_tables"]


def define_calendar_tables(metadata: MetaData) -> None:
    """Add the calendar tables to ``metadata``."""
