"""Pools and the tiers an agent draws from under the project rules."""

from __future__ import annotations

import pytest

from leadcore.dispatch import (
    Pool,
    PoolExclusion,
    PoolKind,
    ProjectPools,
    ProjectRules,
    plan_pools,
)
from leadcore.errors import ValidationError

POOLS = ProjectPools(
    [
        Pool("hot", PoolKind.PROJECT, "Hot"),
        Pool("dana-a", PoolKind.PRIVATE, "Dana A", owner_id="dana"),
        Pool("cold", PoolKind.GENERAL, "Cold"),
        Pool("omer", PoolKind.PRIVATE, "Omer", owner_id="omer"),
        Pool("dana-b", PoolKind.PRIVATE, "Dana B", owner_id="dana"),
    ],
    order=["cold", "dana-b", "hot"],
    agent_orders={"dana": ["hot", "dana-b"]},
)


def test_private_pools_come_first_then_shared_ones_in_priority_order() -> None:
    plan = plan_pools(POOLS, "omer", ProjectRules())
    assert plan.tiers == (("omer",), ("cold",), ("hot",))
    assert plan.excluded == {
        "dana-a": PoolExclusion.OTHER_AGENTS_POOL,
        "dana-b": PoolExclusion.OTHER_AGENTS_POOL,
    }


def test_an_agent_order_replaces_the_project_order_for_that_agent() -> None:
    assert POOLS.order_for("dana") == ("hot", "dana-b", "cold", "dana-a", "omer")
    plan = plan_pools(POOLS, "dana", ProjectRules())
    assert plan.tiers == (("dana-b",), ("dana-a",), ("hot",), ("cold",))


def test_without_project_pools_an_agent_works_only_their_own_book() -> None:
    plan = plan_pools(POOLS, "dana", ProjectRules(include_project_pools=False))
    assert plan.tiers == (("dana-b",), ("dana-a",))
    assert plan.excluded["hot"] is PoolExclusion.PROJECT_POOLS_OFF
    assert plan_pools(POOLS, "yael", ProjectRules(include_project_pools=False)).tiers == ()


def test_all_pools_merges_own_pools_and_shared_pools_into_one_tier_each() -> None:
    plan = plan_pools(POOLS, "dana", ProjectRules(all_pools=True))
    assert plan.tiers == (("dana-b", "dana-a"), ("hot", "cold"))
    assert plan.rank == {"dana-b": 0, "dana-a": 0, "hot": 1, "cold": 1}


def test_pools_not_named_by_any_order_follow_in_declaration_order() -> None:
    pools = ProjectPools([Pool("a", "project", "A"), Pool("b", "project", "B")], order=["b"])
    assert pools.order_for("anyone") == ("b", "a")


def test_bad_pools_report_every_problem() -> None:
    with pytest.raises(ValidationError) as err:
        ProjectPools(
            [
                Pool("a", PoolKind.PRIVATE, "A"),
                Pool("a", PoolKind.PROJECT, "A again"),
                Pool("g", PoolKind.GENERAL, "G", owner_id="dana"),
                Pool("x", "team", "X"),
            ],
            order=["a", "nope", "a"],
            agent_orders={"dana": ["zzz"]},
        )
    assert err.value.problems == (
        "pools[0].owner_id: a private pool needs its owner agent",
        "pools[1].id: duplicate pool id 'a'",
        "pools[2].owner_id: only private pools have an owner, but general pool 'g' names 'dana'",
        "pools[3].kind: must be one of private, project, general, got 'team'",
        "order[1]: unknown pool 'nope' (pools: a, g, x)",
        "order[2]: pool 'a' is listed twice",
        "agent_orders['dana'][0]: unknown pool 'zzz' (pools: a, g, x)",
    )


def test_project_pools_round_trip_through_plain_data() -> None:
    assert ProjectPools.from_dict(POOLS.to_dict()) == POOLS
