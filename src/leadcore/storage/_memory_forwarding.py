"""Memory repositories of forwarding and routing (wired into :class:`MemoryUnitOfWork`).

Each organisation's delivery records live in its own scope. Two indexes, one
row per value, make the lookups cheap and the races visible: the link index
(one record per organisation and delivery) and the lead index (a lead's
deliveries). Two units of work forwarding the same lead touch the same lead
row, so the second to commit gets a ``ConflictError`` instead of sending the
lead twice.

A cap counter is one row per (rule, target, period): every unit of work that
routes a lead through it reads and rewrites that row, so of two concurrent
ones only the first commits, and the count never drifts from what was sent.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from leadcore.errors import ConflictError
from leadcore.forwarding._deliveries import Delivery, Direction, ReceivingPolicy
from leadcore.forwarding._routing import RoutingRule
from leadcore.forwarding._terms import PartnerTerms
from leadcore.storage._memory_tx import Repo, Transaction

__all__ = ["MemoryDeliveries", "MemoryDeliveryTerms", "MemoryRouting"]


class MemoryDeliveries(Repo[Delivery]):
    """Delivery records, with a link index and a per-lead index."""

    table, kind = "deliveries", "delivery"

    def add(self, delivery: Delivery) -> None:
        """Store a new record."""
        org = delivery.organization_id
        if self._tx.read("delivery_links", org, delivery.link_id) is not None:
            raise ConflictError(f"delivery link {delivery.link_id!r} is already recorded")
        self._add(org, delivery.id, delivery)
        self._tx.write("delivery_links", org, delivery.link_id, delivery.id)
        if delivery.lead_id is not None:
            ids: tuple[str, ...] = self._tx.read("delivery_leads", org, delivery.lead_id) or ()
            self._tx.write("delivery_leads", org, delivery.lead_id, (*ids, delivery.id))

    def get(self, organization_id: str, delivery_id: str) -> Delivery | None:
        """The record, or ``None``."""
        return self._get(organization_id, delivery_id)

    def update(self, delivery: Delivery) -> None:
        """Replace a stored record."""
        self._update(delivery.organization_id, delivery.id, delivery)

    def by_link(self, organization_id: str, link_id: str) -> Delivery | None:
        """The organisation's record of a delivery link."""
        found: str | None = self._tx.read("delivery_links", organization_id, link_id)
        return None if found is None else self._get(organization_id, found)

    def for_lead(self, organization_id: str, lead_id: str) -> builtins.list[Delivery]:
        """A lead's records, oldest first."""
        ids: tuple[str, ...] = self._tx.read("delivery_leads", organization_id, lead_id) or ()
        found = [d for d in (self._get(organization_id, i) for i in ids) if d is not None]
        found.sort(key=lambda d: (d.delivered_at, d.id))
        return found

    def list(
        self,
        organization_id: str,
        *,
        direction: Direction | None = None,
        partner_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> builtins.list[Delivery]:
        """Matching records, oldest first."""
        return [
            d
            for d in self._list(organization_id, lambda d: (d.delivered_at, d.id))
            if (direction is None or d.direction is direction)
            and (partner_id is None or d.partner_id == partner_id)
            and (start is None or d.delivered_at >= start)
            and (end is None or d.delivered_at < end)
        ]


class MemoryDeliveryTerms:
    """Partner terms (one row per partnership) and the receiving policy (one row)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def terms(self, organization_id: str, partnership_id: str) -> PartnerTerms | None:
        """The terms of one partnership, or ``None``."""
        found: PartnerTerms | None = self._tx.read("partner_terms", organization_id, partnership_id)
        return found

    def put_terms(self, organization_id: str, partnership_id: str, terms: PartnerTerms) -> None:
        """Store the terms of one partnership."""
        self._tx.write("partner_terms", organization_id, partnership_id, terms)

    def policy(self, organization_id: str) -> ReceivingPolicy | None:
        """The receiving policy, or ``None``."""
        found: ReceivingPolicy | None = self._tx.read("receiving_policy", organization_id, "policy")
        return found

    def put_policy(self, organization_id: str, policy: ReceivingPolicy) -> None:
        """Store the receiving policy."""
        self._tx.write("receiving_policy", organization_id, "policy", policy)


class MemoryRouting:
    """Routing rules (one row), rotation states (a row per rule), cap counters (a row each)."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def rules(self, organization_id: str) -> tuple[RoutingRule, ...]:
        """The rules, in order."""
        found: tuple[RoutingRule, ...] | None = self._tx.read(
            "routing_rules", organization_id, "rules"
        )
        return found or ()

    def put_rules(self, organization_id: str, rules: Sequence[RoutingRule]) -> None:
        """Replace the rules."""
        self._tx.write("routing_rules", organization_id, "rules", tuple(rules))

    def rotation(self, organization_id: str, rule_id: str) -> Mapping[str, int]:
        """A rule's rotation state."""
        found: Mapping[str, int] | None = self._tx.read(
            "routing_rotation", organization_id, rule_id
        )
        return found or MappingProxyType({})

    def put_rotation(self, organization_id: str, rule_id: str, state: Mapping[str, int]) -> None:
        """Store a rule's rotation state."""
        self._tx.write("routing_rotation", organization_id, rule_id, MappingProxyType(dict(state)))

    def count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """A cap counter."""
        found: int | None = self._tx.read(
            "routing_counts", organization_id, (rule_id, target_id, period)
        )
        return found or 0

    def add_count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """Bump a cap counter."""
        key = (rule_id, target_id, period)
        value = self.count(organization_id, rule_id, target_id, period) + 1
        self._tx.write("routing_counts", organization_id, key, value)
        return value
