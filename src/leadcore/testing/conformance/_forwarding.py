"""Checks of forwarding: delivery records, partner terms, receiving policies, routing counters.

Every check needs ``Capabilities.forwarding``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

import attrs
import pytest

from leadcore.errors import ConflictError, NotFound
from leadcore.forwarding import (
    Delivery,
    Direction,
    PartnerTerms,
    ReceivingPolicy,
    RoutingRule,
    Target,
)
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at

__all__ = ["ForwardingRepositoryTests"]

S = TypeVar("S", bound=Storage)


def _delivery(
    ids: Ids,
    name: str,
    minutes: int,
    *,
    direction: Direction = Direction.OUTGOING,
    partner: str = "partner-1",
    lead_name: str = "l1",
    other: bool = False,
) -> Delivery:
    return Delivery(
        id=ids(name),
        organization_id=ids.other if other else ids.org,
        link_id=ids(f"link-{name}"),
        direction=direction,
        partner_id=partner,
        partnership_id=ids(f"partnership-{partner}"),
        lead_id=ids(lead_name),
        state="delivered",
        delivered_at=at(minutes),
        updated_at=at(minutes),
    )


class ForwardingRepositoryTests(StorageFixtures[S]):
    """``uow.deliveries``, ``uow.delivery_terms`` and ``uow.routing``."""

    def test_deliveries_round_trip_in_delivery_order_and_filter(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        late = _delivery(ids, "d-late", 5)
        early_in = _delivery(ids, "d-in", 1, direction=Direction.INCOMING, partner="partner-2")
        tie_b = _delivery(ids, "d-b", 3)
        tie_a = _delivery(ids, "d-a", 3, lead_name="l2")
        with storage.unit_of_work() as uow:
            for d in (late, early_in, tie_b, tie_a):
                uow.deliveries.add(d)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.deliveries.get(ids.org, ids("d-late")) == late
            assert uow.deliveries.by_link(ids.org, ids("link-d-in")) == early_in
            everything = uow.deliveries.list(ids.org)
            assert ids.names(everything) == ["d-in", "d-a", "d-b", "d-late"]
            outgoing = uow.deliveries.list(ids.org, direction=Direction.OUTGOING)
            assert ids.names(outgoing) == ["d-a", "d-b", "d-late"]
            partner = uow.deliveries.list(ids.org, partner_id="partner-2")
            assert ids.names(partner) == ["d-in"]
            window = uow.deliveries.list(ids.org, start=at(1), end=at(5))
            assert ids.names(window) == ["d-in", "d-a", "d-b"]
            assert ids.names(uow.deliveries.for_lead(ids.org, ids("l1"))) == [
                "d-in",
                "d-b",
                "d-late",
            ]

    def test_a_taken_delivery_id_or_link_conflicts_and_updates_need_the_record(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        first = _delivery(ids, "d1", 0)
        with storage.unit_of_work() as uow:
            uow.deliveries.add(first)
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.deliveries.add(attrs.evolve(first, link_id=ids("link-fresh")))
            with pytest.raises(ConflictError):
                uow.deliveries.add(attrs.evolve(first, id=ids("d2")))
            with pytest.raises(NotFound):
                uow.deliveries.update(attrs.evolve(first, id=ids("d404")))
            with pytest.raises(NotFound):
                uow.deliveries.update(attrs.evolve(first, organization_id=ids.other))
            accepted = attrs.evolve(first, state="accepted", updated_at=at(9))
            uow.deliveries.update(accepted)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.deliveries.get(ids.org, ids("d1")) == accepted

    def test_one_delivery_is_two_records_each_visible_only_in_its_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        sent = _delivery(ids, "sent", 0)
        received = attrs.evolve(
            _delivery(ids, "received", 0, direction=Direction.INCOMING, other=True),
            link_id=sent.link_id,
        )
        with storage.unit_of_work() as uow:
            uow.deliveries.add(sent)
            uow.deliveries.add(received)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.deliveries.by_link(ids.org, sent.link_id) == sent
            assert uow.deliveries.by_link(ids.other, sent.link_id) == received
            assert uow.deliveries.get(ids.other, sent.id) is None
            assert uow.deliveries.get(ids.org, received.id) is None
            assert ids.names(uow.deliveries.list(ids.other)) == ["received"]
            assert uow.deliveries.for_lead(ids.other, ids("l1")) == [received]

    def test_terms_and_policies_are_kept_per_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        terms = PartnerTerms(return_window=timedelta(days=3))
        policy = ReceivingPolicy()
        with storage.unit_of_work() as uow:
            assert uow.delivery_terms.terms(ids.org, ids("partnership")) is None
            assert uow.delivery_terms.policy(ids.org) is None
            uow.delivery_terms.put_terms(ids.org, ids("partnership"), terms)
            uow.delivery_terms.put_policy(ids.org, policy)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.delivery_terms.terms(ids.org, ids("partnership")) == terms
            assert uow.delivery_terms.policy(ids.org) == policy
            assert uow.delivery_terms.terms(ids.other, ids("partnership")) is None
            assert uow.delivery_terms.policy(ids.other) is None

    def test_routing_rules_rotation_and_counters_are_kept_per_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        rules = [
            RoutingRule("team", "Team", to="users", targets=[Target("u1"), Target("u2")]),
            RoutingRule("spare", "Spare", to="users", targets=[Target("u3")]),
        ]
        with storage.unit_of_work() as uow:
            assert list(uow.routing.rules(ids.org)) == []
            assert dict(uow.routing.rotation(ids.org, "team")) == {}
            assert uow.routing.count(ids.org, "team", "u1", "2026-03-01") == 0
            uow.routing.put_rules(ids.org, rules)
            uow.routing.put_rotation(ids.org, "team", {"u1": 1, "u2": -1})
            assert uow.routing.add_count(ids.org, "team", "u1", "2026-03-01") == 1
            assert uow.routing.add_count(ids.org, "team", "u1", "2026-03-01") == 2
            assert uow.routing.add_count(ids.org, "team", "u1", "2026-03-02") == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.routing.rules(ids.org)) == rules
            assert dict(uow.routing.rotation(ids.org, "team")) == {"u1": 1, "u2": -1}
            assert uow.routing.count(ids.org, "team", "u1", "2026-03-01") == 2
            assert uow.routing.count(ids.org, "team", "u2", "2026-03-01") == 0
            assert list(uow.routing.rules(ids.other)) == []
            assert dict(uow.routing.rotation(ids.other, "team")) == {}
            assert uow.routing.count(ids.other, "team", "u1", "2026-03-01") == 0
            # Replacing the rules keeps rotation state and counters by rule id.
            uow.routing.put_rules(ids.org, rules[:1])
            assert list(uow.routing.rules(ids.org)) == rules[:1]
            assert dict(uow.routing.rotation(ids.org, "team")) == {"u1": 1, "u2": -1}
            assert uow.routing.count(ids.org, "team", "u1", "2026-03-01") == 2

    def test_a_counter_bumped_by_a_rolled_back_unit_of_work_keeps_its_value(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "forwarding")
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.routing.add_count(ids.org, "team", "u1", "2026-03-01")
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.routing.add_count(ids.org, "team", "u1", "2026-03-01") == 2
        with storage.unit_of_work() as uow:
            assert uow.routing.count(ids.org, "team", "u1", "2026-03-01") == 1
