"""Repository ports of forwarding and routing (re-exported by :mod:`leadcore.storage.protocols`).

A delivery is stored as two records, one per organisation, sharing a
``link_id``; each repository method still takes the one organisation it acts
in, and never returns a record of another. The use case that forwards a lead
writes both records in one unit of work, and that is the only place where one
organisation's action writes into another's scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from leadcore.forwarding._deliveries import Delivery, Direction, ReceivingPolicy
from leadcore.forwarding._routing import RoutingRule
from leadcore.forwarding._terms import PartnerTerms

__all__ = ["DeliveryRepository", "DeliveryTermsRepository", "RoutingRepository"]


class DeliveryRepository(Protocol):
    """One organisation's delivery records (what it sent and what it received)."""

    def add(self, delivery: Delivery) -> None:
        """Store a new record in ``delivery.organization_id``; ``ConflictError`` if the id is taken.

        ``ConflictError`` as well when the organisation already holds a
        record with the same ``link_id``.
        """
        ...

    def get(self, organization_id: str, delivery_id: str) -> Delivery | None:
        """The record, or ``None`` (also for another organisation's record)."""
        ...

    def update(self, delivery: Delivery) -> None:
        """Replace a stored record; ``NotFound`` if it is not stored in its organisation."""
        ...

    def by_link(self, organization_id: str, link_id: str) -> Delivery | None:
        """The organisation's record of the delivery ``link_id``, or ``None``."""
        ...

    def for_lead(self, organization_id: str, lead_id: str) -> Sequence[Delivery]:
        """The records naming one of the organisation's leads, by ``(delivered_at, id)``."""
        ...

    def list(
        self,
        organization_id: str,
        *,
        direction: Direction | None = None,
        partner_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Sequence[Delivery]:
        """Records with ``start <= delivered_at < end`` (open ends when ``None``).

        Ordered by ``(delivered_at, id)``; only one direction or one partner
        when given.
        """
        ...


class DeliveryTermsRepository(Protocol):
    """What an organisation set for its partners and for the leads it receives."""

    def terms(self, organization_id: str, partnership_id: str) -> PartnerTerms | None:
        """The terms set for one partnership, or ``None`` when it keeps the defaults."""
        ...

    def put_terms(self, organization_id: str, partnership_id: str, terms: PartnerTerms) -> None:
        """Store the terms of one partnership."""
        ...

    def policy(self, organization_id: str) -> ReceivingPolicy | None:
        """The organisation's receiving policy, or ``None`` when it keeps the defaults."""
        ...

    def put_policy(self, organization_id: str, policy: ReceivingPolicy) -> None:
        """Store the organisation's receiving policy."""
        ...


class RoutingRepository(Protocol):
    """Routing rules, their rotation state and their cap counters.

    Counters must stay exact under concurrency: two units of work that read
    and bump the same counter must not both commit (the second gets a
    ``ConflictError``, or the adapter serialises them).
    """

    def rules(self, organization_id: str) -> Sequence[RoutingRule]:
        """The organisation's rules, in the order they are tried."""
        ...

    def put_rules(self, organization_id: str, rules: Sequence[RoutingRule]) -> None:
        """Replace the organisation's rules (rotation state and counters are kept by rule id)."""
        ...

    def rotation(self, organization_id: str, rule_id: str) -> Mapping[str, int]:
        """The rotation state of a rule (target id -> credit); empty when new."""
        ...

    def put_rotation(self, organization_id: str, rule_id: str, state: Mapping[str, int]) -> None:
        """Store the rotation state of a rule."""
        ...

    def count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """How many leads the rule sent the target in one period (``period_key``); 0 if none."""
        ...

    def add_count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """Count one more lead for the target in the period; return the new count."""
        ...
