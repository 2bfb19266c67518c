"""The SQL forwarding repositories: deliveries, partner terms and routing.

Twins of :mod:`leadcore.storage._memory_forwarding`, over the tables of
:mod:`leadcore.storage.sql._forwarding_schema`:

- a delivery record is a row of its organisation; its link has a row of its
  own keyed by the link (a second record of one delivery in one organisation
  is a duplicate key at commit). A lead's deliveries are read after its row in
  ``leadcore_delivery_leads``, which every delivery added for the lead
  rewrites: of two units of work that send one lead at once, the second to
  commit gets a ``ConflictError`` instead of sending it twice;
- a cap counter is one revisioned row per (rule, target, period), read and
  rewritten by every unit of work that routes through it, so counts never
  drift from what was sent; the rotation of a rule is one row as well.

The forwarding use case writes the receiver's records in the sender's unit of
work; each row is written in the organisation of its own key, which is what
Row-Level Security asks of every statement.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs
from sqlalchemy import ColumnElement

from leadcore.errors import ConflictError
from leadcore.forwarding._deliveries import Delivery, Direction, ReceivingPolicy
from leadcore.forwarding._routing import RoutingRule
from leadcore.forwarding._terms import PartnerTerms
from leadcore.leads._serde import tag, untag
from leadcore.serde import converter
from leadcore.storage.protocols import (
    DeliveryRepository,
    DeliveryTermsRepository,
    RoutingRepository,
)
from leadcore.storage.sql._codec import encode, micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._tables import bounded, record_reader
from leadcore.storage.sql._tenancy import Table
from leadcore.storage.sql._tx import Spec, SqlTransaction

__all__ = ["AVAILABLE", "deliveries", "delivery_terms", "routing"]

#: Whether the SQL storage declares ``Capabilities.forwarding``.
AVAILABLE: Final = True

R = TypeVar("R")

_T: Final = metadata.tables


# -- how the records live in their tables ------------------------------------------------------


def _fits(delivery: Delivery) -> Delivery:
    """``delivery`` if every id it holds fits a column; ``ValidationError`` naming it otherwise."""
    for name in (
        "partner_id",
        "lead_id",
        "link_id",
        "partnership_id",
        "reason_id",
        "rule_id",
        "duplicate_of",
    ):
        bounded(getattr(delivery, name), f"delivery.{name}")
    return delivery


def _delivery_columns(delivery: Delivery) -> dict[str, Any]:
    return {
        "direction": delivery.direction.value,
        "partner_id": delivery.partner_id,
        "lead_id": delivery.lead_id,
        "delivered_us": micros(delivery.delivered_at),
        "record": encode(_fits(delivery)),
    }


def _rules_text(rules: tuple[RoutingRule, ...]) -> str:
    """The JSON text of a list of rules; condition values keep their exact type (a date)."""
    data = []
    for rule in rules:
        plain: dict[str, Any] = converter.unstructure(rule)
        for condition, original in zip(plain["conditions"], rule.conditions, strict=True):
            condition["value"] = tag(original.value)
        data.append(plain)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _rules_from(text: str) -> tuple[RoutingRule, ...]:
    out = []
    for plain in json.loads(text):
        values = [untag(c["value"]) for c in plain["conditions"]]
        for condition in plain["conditions"]:
            condition["value"] = None
        rule = converter.structure(plain, RoutingRule)
        conditions = tuple(
            attrs.evolve(c, value=v)  # type: ignore[arg-type]
            for c, v in zip(rule.conditions, values, strict=True)
        )
        out.append(attrs.evolve(rule, conditions=conditions))
    return tuple(out)


def _terms_text(terms: PartnerTerms) -> str:
    """The JSON text of partner terms; the return window in whole microseconds (exact)."""
    plain: dict[str, Any] = converter.unstructure(terms)
    plain["return_window"] = tag(terms.return_window)
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def _terms_from(text: str) -> PartnerTerms:
    plain = json.loads(text)
    window = untag(plain["return_window"])
    assert window is None or isinstance(window, timedelta)
    plain["return_window"] = None
    return attrs.evolve(converter.structure(plain, PartnerTerms), return_window=window)


def _rotation_from(text: str) -> Mapping[str, int]:
    data: dict[str, int] = json.loads(text)
    return MappingProxyType(data)


DELIVERIES: Final[Spec[Delivery]] = Spec(
    "delivery",
    40,
    _T["leadcore_deliveries"],
    ("organization_id", "id"),
    _delivery_columns,
    record_reader(Delivery),
)
DELIVERY_LINKS: Final[Spec[str]] = Spec(
    "delivery link",
    41,
    _T["leadcore_delivery_links"],
    ("organization_id", "link_id"),
    lambda delivery_id: {"delivery_id": delivery_id},
    lambda row: str(row._mapping["delivery_id"]),
)
DELIVERY_LEADS: Final[Spec[bool]] = Spec(
    "lead's deliveries",
    42,
    _T["leadcore_delivery_leads"],
    ("organization_id", "lead_id"),
    lambda _: {},
    lambda row: True,
)
PARTNER_TERMS: Final[Spec[PartnerTerms]] = Spec(
    "partner terms",
    43,
    _T["leadcore_partner_terms"],
    ("organization_id", "partnership_id"),
    lambda terms: {"record": _terms_text(terms)},
    lambda row: _terms_from(row._mapping["record"]),
)
RECEIVING_POLICIES: Final[Spec[ReceivingPolicy]] = Spec(
    "receiving policy",
    44,
    _T["leadcore_receiving_policies"],
    ("organization_id",),
    lambda policy: {"record": encode(policy)},
    record_reader(ReceivingPolicy),
)
ROUTING_RULES: Final[Spec[tuple[RoutingRule, ...]]] = Spec(
    "routing rules",
    45,
    _T["leadcore_routing_rules"],
    ("organization_id",),
    lambda rules: {"record": _rules_text(rules)},
    lambda row: _rules_from(row._mapping["record"]),
)
ROUTING_ROTATIONS: Final[Spec[Mapping[str, int]]] = Spec(
    "routing rotation",
    46,
    _T["leadcore_routing_rotations"],
    ("organization_id", "rule_id"),
    lambda state: {"record": json.dumps(dict(state), separators=(",", ":"))},
    lambda row: _rotation_from(row._mapping["record"]),
)
ROUTING_COUNTS: Final[Spec[int]] = Spec(
    "routing counter",
    47,
    _T["leadcore_routing_counts"],
    ("organization_id", "rule_id", "target_id", "period"),
    lambda count: {"count": count},
    lambda row: int(row._mapping["count"]),
)


# -- the repositories ---------------------------------------------------------------------------


def _by_time(delivery: Delivery) -> tuple[datetime, str]:
    return (delivery.delivered_at, delivery.id)


class SqlDeliveries(Table[Delivery]):
    """Delivery records, with the per-lead row that orders concurrent deliveries of a lead."""

    spec = DELIVERIES

    def add(self, delivery: Delivery) -> None:
        """Store a new record."""
        org = delivery.organization_id
        key = self._key(org, delivery.id)
        _fits(delivery)  # refused before anything is staged
        link = (org, delivery.link_id)
        if self._tx.get(DELIVERY_LINKS, link) is not None:
            raise ConflictError(f"delivery link {delivery.link_id!r} is already recorded")
        self._add(key, delivery)
        self._tx.put(DELIVERY_LINKS, link, delivery.id)
        if delivery.lead_id is not None:
            self._tx.put(DELIVERY_LEADS, (org, delivery.lead_id), True)

    def get(self, organization_id: str, delivery_id: str) -> Delivery | None:
        """The record, or ``None``."""
        return self._get((organization_id, delivery_id))

    def update(self, delivery: Delivery) -> None:
        """Replace a stored record."""
        _fits(delivery)
        self._update((delivery.organization_id, delivery.id), delivery)

    def by_link(self, organization_id: str, link_id: str) -> Delivery | None:
        """The organisation's record of a delivery link."""
        found = self._tx.get(DELIVERY_LINKS, (organization_id, link_id))
        return None if found is None else self._get((organization_id, found))

    def for_lead(self, organization_id: str, lead_id: str) -> builtins.list[Delivery]:
        """A lead's records, oldest first."""
        # The lead's row first: a delivery of the lead committed after this read
        # makes this unit of work's own delivery of it conflict.
        self._tx.meet(DELIVERY_LEADS, [(organization_id, lead_id)])
        t = self.spec.table
        rows = self._tx.scan(
            self.spec,
            organization_id,
            [t.c.lead_id == lead_id],
            lambda _, d: d.lead_id == lead_id,
        )
        rows.sort(key=_by_time)
        return rows

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
        t = self.spec.table
        where: builtins.list[ColumnElement[bool]] = []
        if direction is not None:
            where.append(t.c.direction == Direction(direction).value)
        if partner_id is not None:
            where.append(t.c.partner_id == partner_id)
        if start is not None:
            where.append(t.c.delivered_us >= micros(start))
        if end is not None:
            where.append(t.c.delivered_us < micros(end))

        def keep(_: object, d: Delivery) -> bool:
            return (
                (direction is None or d.direction is direction)
                and (partner_id is None or d.partner_id == partner_id)
                and (start is None or d.delivered_at >= start)
                and (end is None or d.delivered_at < end)
            )

        rows = self._tx.scan(self.spec, organization_id, where, keep)
        rows.sort(key=_by_time)
        return rows


class SqlDeliveryTerms:
    """Partner terms (a row per partnership) and the receiving policy (a row)."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def terms(self, organization_id: str, partnership_id: str) -> PartnerTerms | None:
        """The terms of one partnership, or ``None``."""
        return self._tx.get(PARTNER_TERMS, (organization_id, partnership_id))

    def put_terms(self, organization_id: str, partnership_id: str, terms: PartnerTerms) -> None:
        """Store the terms of one partnership."""
        bounded(organization_id, "partner terms.organization_id")
        bounded(partnership_id, "partner terms.partnership_id")
        self._tx.put(PARTNER_TERMS, (organization_id, partnership_id), terms)

    def policy(self, organization_id: str) -> ReceivingPolicy | None:
        """The receiving policy, or ``None``."""
        return self._tx.get(RECEIVING_POLICIES, (organization_id,))

    def put_policy(self, organization_id: str, policy: ReceivingPolicy) -> None:
        """Store the receiving policy."""
        bounded(organization_id, "receiving policy.organization_id")
        self._tx.put(RECEIVING_POLICIES, (organization_id,), policy)


class SqlRouting:
    """Routing rules (a row), rotation states (a row per rule), cap counters (a row each)."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def rules(self, organization_id: str) -> tuple[RoutingRule, ...]:
        """The rules, in order."""
        return self._tx.get(ROUTING_RULES, (organization_id,)) or ()

    def put_rules(self, organization_id: str, rules: Sequence[RoutingRule]) -> None:
        """Replace the rules."""
        bounded(organization_id, "routing rules.organization_id")
        self._tx.put(ROUTING_RULES, (organization_id,), tuple(rules))

    def rotation(self, organization_id: str, rule_id: str) -> Mapping[str, int]:
        """A rule's rotation state."""
        found = self._tx.get(ROUTING_ROTATIONS, (organization_id, rule_id))
        return found if found is not None else MappingProxyType({})

    def put_rotation(self, organization_id: str, rule_id: str, state: Mapping[str, int]) -> None:
        """Store a rule's rotation state."""
        bounded(organization_id, "routing rotation.organization_id")
        bounded(rule_id, "routing rotation.rule_id")
        self._tx.put(ROUTING_ROTATIONS, (organization_id, rule_id), MappingProxyType(dict(state)))

    def count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """A cap counter."""
        found = self._tx.get(ROUTING_COUNTS, (organization_id, rule_id, target_id, period))
        return found or 0

    def add_count(self, organization_id: str, rule_id: str, target_id: str, period: str) -> int:
        """Bump a cap counter (exact under concurrency: the row's revision is compared)."""
        key = (organization_id, rule_id, target_id, period)
        for name, part in zip(ROUTING_COUNTS.key, key, strict=True):
            bounded(part, f"routing counter.{name}")
        value = self.count(*key) + 1
        self._tx.put(ROUTING_COUNTS, key, value)
        return value


def deliveries(tx: SqlTransaction) -> DeliveryRepository:
    """The delivery repository of a unit of work."""
    return SqlDeliveries(tx)


def delivery_terms(tx: SqlTransaction) -> DeliveryTermsRepository:
    """The partner-terms repository of a unit of work."""
    return SqlDeliveryTerms(tx)


def routing(tx: SqlTransaction) -> RoutingRepository:
    """The routing repository of a unit of work."""
    return SqlRouting(tx)
