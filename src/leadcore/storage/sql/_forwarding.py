"""The SQL forwarding repositories: deliveries, partner terms and routing."""

from __future__ import annotations

from typing import Final

from leadcore.storage.protocols import (
    DeliveryRepository,
    DeliveryTermsRepository,
    RoutingRepository,
)
from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["AVAILABLE", "deliveries", "delivery_terms", "routing"]

#: Whether the SQL storage declares ``Capabilities.forwarding``.
AVAILABLE: Final = False


def deliveries(tx: SqlTransaction) -> DeliveryRepository:
    """The delivery repository of a unit of work."""
    raise NotImplementedError("the SQL storage has no 'deliveries' repository yet")


def delivery_terms(tx: SqlTransaction) -> DeliveryTermsRepository:
    """The partner-terms repository of a unit of work."""
    raise NotImplementedError("the SQL storage has no 'delivery_terms' repository yet")


def routing(tx: SqlTransaction) -> RoutingRepository:
    """The routing repository of a unit of work."""
    raise NotImplementedError("the SQL storage has no 'routing' repository yet")
