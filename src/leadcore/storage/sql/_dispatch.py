"""The SQL dispatch repository: pools, agent filters, leases, claims and the next lead."""

from __future__ import annotations

from typing import Final

from leadcore.storage.protocols import DispatchRepository
from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["AVAILABLE", "repository"]

#: Whether the SQL storage declares ``Capabilities.dispatch``.
AVAILABLE: Final = False


def repository(tx: SqlTransaction) -> DispatchRepository:
    """The dispatch repository of a unit of work."""
    raise NotImplementedError("the SQL storage has no 'dispatch' repository yet")
