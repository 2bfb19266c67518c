"""Checks of the dispatch repository: pools, filters, leases, claims, the next lead.

Every check needs ``Capabilities.dispatch``.
"""

from __future__ import annotations

from typing import TypeVar

import attrs
import pytest

from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Lease,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    choose_reference,
)
from leadcore.errors import ConflictError
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._leads import lead, store_leads
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at

__all__ = ["DispatchRepositoryTests"]

S = TypeVar("S", bound=Storage)

_PROJECT = "project-1"
_POOLS = ProjectPools(
    [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.PROJECT, "Cold")],
    order=["hot", "cold"],
)


def _lease(ids: Ids, lead_name: str, token: int, agent: str = "dana", minutes: int = 0) -> Lease:
    return Lease(
        lead_id=ids(lead_name),
        agent_id=agent,
        token=token,
        claimed_at=at(minutes),
        expires_at=at(minutes + 30),
    )


class DispatchRepositoryTests(StorageFixtures[S]):
    """``uow.dispatch``: pools, filters, lease compare-and-set, claims, ``next_choice``."""

    def test_pools_and_filters_are_stored_per_project_and_organisation(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        wanted = AgentFilter(statuses={"new"})
        with storage.unit_of_work() as uow:
            assert uow.dispatch.pools(ids.org, _PROJECT) is None
            assert uow.dispatch.agent_filter(ids.org, _PROJECT, "dana") is None
            uow.dispatch.set_pools(ids.org, _PROJECT, _POOLS)
            uow.dispatch.set_agent_filter(ids.org, _PROJECT, "dana", wanted)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.dispatch.pools(ids.org, _PROJECT) == _POOLS
            assert uow.dispatch.agent_filter(ids.org, _PROJECT, "dana") == wanted
            assert uow.dispatch.pools(ids.other, _PROJECT) is None
            assert uow.dispatch.agent_filter(ids.other, _PROJECT, "dana") is None
            assert uow.dispatch.pools(ids.org, "project-2") is None
            uow.dispatch.set_agent_filter(ids.org, _PROJECT, "dana", None)
            assert uow.dispatch.agent_filter(ids.org, _PROJECT, "dana") is None

    def test_a_lease_is_stored_by_compare_and_set_on_its_token(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        first = _lease(ids, "l1", 1)
        with storage.unit_of_work() as uow:
            assert uow.dispatch.lease(ids.org, ids("l1")) is None
            uow.dispatch.put_lease(ids.org, first, expected_token=None)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.dispatch.lease(ids.org, ids("l1")) == first
            with pytest.raises(ConflictError):
                uow.dispatch.put_lease(ids.org, _lease(ids, "l1", 2, "omer"), expected_token=None)
            with pytest.raises(ConflictError):
                uow.dispatch.put_lease(ids.org, _lease(ids, "l1", 2, "omer"), expected_token=7)
            second = _lease(ids, "l1", 2, "omer", minutes=5)
            uow.dispatch.put_lease(ids.org, second, expected_token=1)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.dispatch.lease(ids.org, ids("l1")) == second
            both = uow.dispatch.leases(ids.org, [ids("l1"), ids("l2")])
            assert dict(both) == {ids("l1"): second}
            assert uow.dispatch.lease(ids.other, ids("l1")) is None
            assert dict(uow.dispatch.leases(ids.other, [ids("l1")])) == {}

    def test_claim_times_are_oldest_first_after_since(self, storage: S, records: Records) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            for minutes in (5, 1, 9):
                uow.dispatch.record_claim(ids.org, _PROJECT, "dana", at(minutes))
            uow.dispatch.record_claim(ids.org, _PROJECT, "omer", at(2))
            uow.dispatch.record_claim(ids.other, _PROJECT, "dana", at(3))
            uow.commit()
        with storage.unit_of_work() as uow:
            times = uow.dispatch.claim_times(ids.org, _PROJECT, "dana", at(0))
            assert list(times) == [at(1), at(5), at(9)]
            assert list(uow.dispatch.claim_times(ids.org, _PROJECT, "dana", at(4))) == [
                at(5),
                at(9),
            ]
            assert list(uow.dispatch.claim_times(ids.other, _PROJECT, "dana", at(0))) == [at(3)]
            assert list(uow.dispatch.claim_times(ids.other, _PROJECT, "omer", at(0))) == []

    def test_next_choice_is_the_reference_choice_over_candidates_and_leases(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        workflow = records.workflow()
        store_leads(
            storage,
            attrs.evolve(lead(ids, "hot-old", 0), pool_id="hot", project_id=_PROJECT),
            attrs.evolve(lead(ids, "hot-new", 5), pool_id="hot", project_id=_PROJECT),
            attrs.evolve(lead(ids, "cold", 1), pool_id="cold", project_id=_PROJECT),
            attrs.evolve(lead(ids, "elsewhere", 0), pool_id="hot", project_id="project-2"),
            attrs.evolve(lead(ids, "foreign", 0, other=True), pool_id="hot", project_id=_PROJECT),
        )
        now = at(10)
        with storage.unit_of_work() as uow:
            uow.dispatch.set_pools(ids.org, _PROJECT, _POOLS)
            # A live lease of another agent takes one lead out of the running.
            uow.dispatch.put_lease(
                ids.org, _lease(ids, "hot-old", 1, "omer", minutes=9), expected_token=None
            )
            uow.commit()
        rules = ProjectRules()
        load = AgentLoad()
        for agent in (
            Agent("dana"),
            Agent("dana", AgentFilter(created_from=at(1), created_before=at(2))),
        ):
            with storage.unit_of_work() as uow:
                candidates = uow.dispatch.candidates(ids.org, _PROJECT, workflow)
                assert sorted(c.lead_id for c in candidates) == sorted(
                    [ids("hot-old"), ids("hot-new"), ids("cold")]
                )
                leases = uow.dispatch.leases(ids.org, [c.lead_id for c in candidates])
                expected = choose_reference(
                    candidates, leases, agent, rules, _POOLS, now=now, load=load
                )
                chosen = uow.dispatch.next_choice(
                    ids.org,
                    _PROJECT,
                    agent,
                    rules=rules,
                    pools=_POOLS,
                    workflow=workflow,
                    now=now,
                    load=load,
                )
                assert chosen == expected
                assert chosen is not None
                assert chosen.lead_id != ids("hot-old")
        with storage.unit_of_work() as uow:
            assert uow.dispatch.candidates(ids.other, "project-9", workflow) == []

    def test_a_lead_of_another_organisation_is_never_a_candidate(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        workflow = records.workflow()
        store_leads(
            storage,
            attrs.evolve(lead(ids, "foreign", 0, other=True), pool_id="hot", project_id=_PROJECT),
        )
        with storage.unit_of_work() as uow:
            uow.dispatch.set_pools(ids.org, _PROJECT, _POOLS)
            assert uow.dispatch.candidates(ids.org, _PROJECT, workflow) == []
            choice = uow.dispatch.next_choice(
                ids.org,
                _PROJECT,
                Agent("dana"),
                rules=ProjectRules(),
                pools=_POOLS,
                workflow=workflow,
                now=at(10),
                load=AgentLoad(),
            )
            assert choice is None

    def test_leases_and_claims_of_a_rolled_back_unit_of_work_are_gone(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.dispatch.put_lease(ids.org, _lease(ids, "l1", 1), expected_token=None)
            uow.dispatch.record_claim(ids.org, _PROJECT, "dana", at(1))
        with storage.unit_of_work() as uow:
            assert uow.dispatch.lease(ids.org, ids("l1")) is None
            assert list(uow.dispatch.claim_times(ids.org, _PROJECT, "dana", at(0))) == []
