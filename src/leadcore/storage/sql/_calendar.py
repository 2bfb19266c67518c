"""The SQL calendar repository: activities, their types and statuses, settings."""

from __future__ import annotations

from typing import Final

from leadcore.storage.protocols import CalendarRepository
from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["AVAILABLE", "repository"]

#: Whether the SQL storage declares ``Capabilities.calendar``.
AVAILABLE: Final = False


def repository(tx: SqlTransaction) -> CalendarRepository:
    """The calendar repository of a unit of work."""
    raise NotImplementedError("the SQL storage has no 'calendar' repository yet")
