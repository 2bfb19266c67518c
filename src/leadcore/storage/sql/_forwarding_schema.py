"""The forwarding tables of schema version 2 (see :mod:`leadcore.storage.sql._schema_v2`).

- ``leadcore_deliveries``: one organisation's record of a delivery. Its
  indexes follow the repository's queries: a lead's deliveries, and the list
  by time, by direction and by partner, each in ``(delivered_us, id)`` order.
- ``leadcore_delivery_links``: the organisation's record of each delivery
  link, keyed by the link (so two records of one delivery in one
  organisation collide, as in the memory adapter's link index).
- ``leadcore_delivery_leads``: one revisioned row per lead that has
  deliveries, rewritten by every delivery added for the lead, so that two
  units of work sending the same lead at once conflict (the memory adapter's
  lead index does the same).
- ``leadcore_partner_terms`` (per partnership) and
  ``leadcore_receiving_policies`` (per organisation).
- ``leadcore_routing_rules`` (the organisation's rules, one row),
  ``leadcore_routing_rotations`` (per rule) and ``leadcore_routing_counts``
  (per rule, target and period): a cap counter is one revisioned row, so of
  two units of work that bump it only the first commits.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData

from leadcore.storage.sql._schema import _id, _org, _record, _revision, _table

__all__ = ["define_forwarding_tables"]


def define_forwarding_tables(metadata: MetaData) -> None:
    """Add the forwarding tables to ``metadata``."""
    m = metadata
    deliveries = _table(
        m,
        "leadcore_deliveries",
        _org(primary_key=True),
        _id("id", primary_key=True),
        _revision(),
        _id("direction"),
        _id("partner_id"),
        _id("lead_id", nullable=True),
        Column("delivered_us", BigInteger, nullable=False),
        _record(),
    )
    d = deliveries.c
    Index("ix_leadcore_deliveries_lead", d.organization_id, d.lead_id, d.delivered_us, d.id)
    Index("ix_leadcore_deliveries_delivered", d.organization_id, d.delivered_us, d.id)
    Index(
        "ix_leadcore_deliveries_direction",
        d.organization_id,
        d.direction,
        d.delivered_us,
        d.id,
    )
    Index(
        "ix_leadcore_deliveries_partner",
        d.organization_id,
        d.partner_id,
        d.delivered_us,
        d.id,
    )
    _table(
        m,
        "leadcore_delivery_links",
        _org(primary_key=True),
        _id("link_id", primary_key=True),
        _revision(),
        _id("delivery_id"),
    )
    _table(
        m,
        "leadcore_delivery_leads",
        _org(primary_key=True),
        _id("lead_id", primary_key=True),
        _revision(),
    )
    _table(
        m,
        "leadcore_partner_terms",
        _org(primary_key=True),
        _id("partnership_id", primary_key=True),
        _revision(),
        _record(),
    )
    _table(m, "leadcore_receiving_policies", _org(primary_key=True), _revision(), _record())
    _table(m, "leadcore_routing_rules", _org(primary_key=True), _revision(), _record())
    _table(
        m,
        "leadcore_routing_rotations",
        _org(primary_key=True),
        _id("rule_id", primary_key=True),
        _revision(),
        _record(),
    )
    _table(
        m,
        "leadcore_routing_counts",
        _org(primary_key=True),
        _id("rule_id", primary_key=True),
        _id("target_id", primary_key=True),
        _id("period", primary_key=True),
        _revision(),
        Column("count", BigInteger, nullable=False),
    )
