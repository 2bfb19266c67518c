"""The ordering policy: who gets which lead next, checked on the reference and the index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Candidate,
    Choice,
    DispatchIndex,
    Exclusion,
    Lease,
    OrderRule,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    SecondaryOrder,
    Tier,
    choose_reference,
    plan_pools,
)
from leadcore.dispatch._policy import exclusion, rank_reference, sort_key

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POOLS = ProjectPools(
    [
        Pool("hot", PoolKind.PROJECT, "Hot"),
        Pool("cold", PoolKind.PROJECT, "Cold"),
        Pool("dana-book", PoolKind.PRIVATE, "Dana's book", owner_id="dana"),
        Pool("omer-book", PoolKind.PRIVATE, "Omer's book", owner_id="omer"),
    ],
    order=["hot", "cold"],
)
DANA = Agent("dana")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lead(lead_id: str, pool_id: str = "hot", /, **changes: object) -> Candidate:
    values: dict[str, object] = {"lead_id": lead_id, "pool_id": pool_id, "created_at": T0}
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


def status(status_id: str, category: str = "in_progress") -> dict[str, object]:
    return {"status_id": status_id, "category": category}


def choose(
    leads: Sequence[Candidate],
    *,
    agent: Agent = DANA,
    rules: ProjectRules | None = None,
    leases: Mapping[str, Lease] | None = None,
    now: datetime = T0,
    load: AgentLoad | None = None,
    pools: ProjectPools = POOLS,
) -> Choice | None:
    """The reference's answer, after checking that the index gives the same one."""
    rules = rules or ProjectRules()
    leases = leases or {}
    expected = choose_reference(leads, leases, agent, rules, pools, now=now, load=load)
    index = DispatchIndex(rules, pools, leads, leases.values())
    assert index.next_for(agent, now=now, load=load) == expected
    return expected


def lead_id(choice: Choice | None) -> str | None:
    return None if choice is None else choice.lead_id


# -- tiers -------------------------------------------------------------------------


def test_own_due_callback_comes_before_every_pool() -> None:
    leads = [
        lead("pool-lead", "dana-book", created_at=at(-600)),
        lead("cb", "cold", callback_at=at(-1), callback_owner_id="dana"),
    ]
    choice = choose(leads)
    assert choice is not None
    assert (choice.lead_id, choice.tier, choice.rule) == (
        "cb",
        Tier.OWN_CALLBACK,
        OrderRule.CALLBACK_DUE,
    )


def test_callbacks_come_earliest_first_and_wait_until_due() -> None:
    leads = [
        lead("late", callback_at=at(5), callback_owner_id="dana"),
        lead("b", callback_at=at(-5), callback_owner_id="dana"),
        lead("a", callback_at=at(-10), callback_owner_id="dana"),
    ]
    assert lead_id(choose(leads)) == "a"
    assert lead_id(choose(leads[:1])) is None
    assert lead_id(choose(leads[:1], now=at(5))) == "late"


def test_another_agents_callback_stays_theirs_without_a_grace_period() -> None:
    leads = [lead("cb", callback_at=at(-600), callback_owner_id="omer")]
    assert choose(leads) is None


def test_another_agents_callback_opens_after_the_grace_period() -> None:
    rules = ProjectRules(callback_grace_minutes=15)
    leads = [
        lead("cb", callback_at=at(-10), callback_owner_id="omer"),
        lead("pool-lead", created_at=at(-600)),
    ]
    assert lead_id(choose(leads, rules=rules)) == "pool-lead"
    choice = choose(leads, rules=rules, now=at(5))
    assert choice is not None
    assert (choice.lead_id, choice.tier) == ("cb", Tier.OPEN_CALLBACK)


def test_own_callbacks_ignore_the_agents_filter_but_open_ones_do_not() -> None:
    rules = ProjectRules(callback_grace_minutes=0)
    picky = Agent("dana", AgentFilter(sources={"facebook"}))
    own = [lead("own", callback_at=at(-1), callback_owner_id="dana")]
    assert lead_id(choose(own, agent=picky, rules=rules)) == "own"
    other = [lead("other", callback_at=at(-1), callback_owner_id="omer")]
    assert choose(other, agent=picky, rules=rules) is None


def test_callbacks_ignore_pools_and_assignment() -> None:
    leads = [
        lead(
            "cb",
            "omer-book",
            callback_at=at(-1),
            callback_owner_id="dana",
            assigned_user_ids={"omer"},
        )
    ]
    assert lead_id(choose(leads)) == "cb"


def test_pools_are_drawn_in_priority_order() -> None:
    leads = [lead("c", "cold", created_at=at(-600)), lead("h", "hot")]
    choice = choose(leads)
    assert choice is not None
    assert (choice.lead_id, choice.pool_id, choice.pool_rank) == ("h", "hot", 1)
    assert lead_id(choose(leads[:1])) == "c"


def test_the_agents_private_pool_comes_before_project_pools() -> None:
    leads = [lead("h", "hot", created_at=at(-600)), lead("mine", "dana-book")]
    assert lead_id(choose(leads)) == "mine"
    assert lead_id(choose(leads, agent=Agent("omer"))) == "h"


def test_without_project_pools_only_the_agents_own_pools_count() -> None:
    rules = ProjectRules(include_project_pools=False)
    assert choose([lead("h", "hot")], rules=rules) is None
    assert lead_id(choose([lead("h", "hot"), lead("m", "dana-book")], rules=rules)) == "m"


def test_all_pools_ignores_the_pool_order() -> None:
    leads = [lead("h", "hot"), lead("c", "cold", created_at=at(-60))]
    assert lead_id(choose(leads)) == "h"
    assert lead_id(choose(leads, rules=ProjectRules(all_pools=True))) == "c"


def test_no_status_first_works_inside_a_pool_tier_not_across_tiers() -> None:
    rules = ProjectRules(no_status_first=True)
    leads = [
        lead("hot-old", created_at=at(-600), **status("no_answer")),
        lead("hot-new", created_at=at(-1)),
        lead("cold-new", "cold", created_at=at(-900)),
    ]
    choice = choose(leads, rules=rules)
    assert choice is not None
    assert (choice.lead_id, choice.rule) == ("hot-new", OrderRule.NO_STATUS_FIRST)
    assert lead_id(choose(leads)) == "hot-old"


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (SecondaryOrder.OLDEST_FIRST, "old"),
        (SecondaryOrder.NEWEST_FIRST, "new"),
        (SecondaryOrder.LEAST_RECENTLY_CONTACTED, "never-called"),
        (SecondaryOrder.FEWEST_ATTEMPTS, "new"),
    ],
)
def test_the_secondary_order(order: SecondaryOrder, expected: str) -> None:
    leads = [
        lead("old", created_at=at(-300), last_contact_at=at(-5), attempts=4),
        lead("new", created_at=at(-1), last_contact_at=at(-60), attempts=0),
        lead("never-called", created_at=at(-200), attempts=1),
    ]
    assert lead_id(choose(leads, rules=ProjectRules(secondary_order=order))) == expected


def test_ties_are_broken_by_lead_id() -> None:
    assert lead_id(choose([lead("b"), lead("c"), lead("a")])) == "a"


# -- exclusions --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (status("won", "done"), Exclusion.DONE),
        ({"converted": True}, Exclusion.CONVERTED),
        ({"do_not_call": True}, Exclusion.DO_NOT_CALL),
        ({"pool_id": "gone"}, Exclusion.UNKNOWN_POOL),
        ({"pool_id": "omer-book"}, Exclusion.POOL_UNAVAILABLE),
        ({"assigned_user_ids": {"omer"}}, Exclusion.ASSIGNED_ELSEWHERE),
        ({"callback_at": at(1), "callback_owner_id": "dana"}, Exclusion.CALLBACK_NOT_DUE),
        ({"callback_at": at(-1), "callback_owner_id": "omer"}, Exclusion.CALLBACK_RESERVED),
    ],
)
def test_leads_that_are_never_handed_out(changes: dict[str, object], reason: Exclusion) -> None:
    candidate = lead("x", **changes)
    assert choose([candidate]) is None
    plan = plan_pools(POOLS, "dana", ProjectRules())
    found = exclusion(candidate, agent=DANA, rules=ProjectRules(), plan=plan, lease=None, now=T0)
    assert found is reason


def test_done_wins_over_every_other_reason() -> None:
    candidate = lead("x", "gone", converted=True, do_not_call=True, **status("won", "done"))
    plan = plan_pools(POOLS, "dana", ProjectRules())
    assert (
        exclusion(candidate, agent=DANA, rules=ProjectRules(), plan=plan, lease=None, now=T0)
        is Exclusion.DONE
    )


def test_multiple_relationships_let_an_assigned_lead_go_to_another_agent() -> None:
    leads = [lead("x", assigned_user_ids={"omer"})]
    assert lead_id(choose(leads, rules=ProjectRules(allow_multiple_relationships=True))) == "x"
    assert lead_id(choose(leads, agent=Agent("omer"))) == "x"


def test_leads_outside_the_filter_are_skipped() -> None:
    agent = Agent("dana", AgentFilter(statuses={"callback"}))
    leads = [lead("a"), lead("b", **status("callback"))]
    assert lead_id(choose(leads, agent=agent)) == "b"


def test_a_live_lease_keeps_the_lead_from_everyone_until_it_expires() -> None:
    leases = {"a": Lease("a", "omer", 1, T0, at(10))}
    leads = [lead("a"), lead("b")]
    assert lead_id(choose(leads, leases=leases)) == "b"
    assert lead_id(choose(leads, leases=leases, agent=Agent("omer"))) == "b"
    assert lead_id(choose(leads, leases=leases, now=at(10))) == "a"
    plan = plan_pools(POOLS, "omer", ProjectRules())
    held = exclusion(
        leads[0], agent=Agent("omer"), rules=ProjectRules(), plan=plan, lease=leases["a"], now=T0
    )
    assert held is Exclusion.HELD


def test_released_and_unlocked_leases_keep_nobody_out() -> None:
    leads = [lead("a"), lead("b")]
    released = {"a": Lease("a", "omer", 1, T0, at(10), released=True)}
    no_lock = {"a": Lease("a", "omer", 1, T0, T0, exclusive=False)}
    assert lead_id(choose(leads, leases=released)) == "a"
    assert lead_id(choose(leads, leases=no_lock)) == "a"


def test_a_lease_stays_live_when_the_clock_steps_back_before_the_claim() -> None:
    leases = {"a": Lease("a", "omer", 1, T0, at(10))}
    assert lead_id(choose([lead("a")], leases=leases, now=at(-30))) is None


@pytest.mark.parametrize(
    ("rules", "load"),
    [
        (ProjectRules(max_claims_per_hour=20), AgentLoad(20, 20)),
        (ProjectRules(max_claims_per_day=100), AgentLoad(3, 100)),
    ],
)
def test_an_agent_at_a_cap_gets_nothing(rules: ProjectRules, load: AgentLoad) -> None:
    assert choose([lead("a")], rules=rules, load=load) is None
    assert lead_id(choose([lead("a")], rules=rules, load=AgentLoad(0, 0))) == "a"


def test_load_counts_rolling_windows() -> None:
    times = [at(-5), at(-59), at(-61), at(-60 * 23), at(-60 * 25), at(1)]
    assert AgentLoad.from_claim_times(times, T0) == AgentLoad(2, 4)


# -- the reference and the sort key ----------------------------------------------------


def test_rank_reference_lists_every_eligible_lead_best_first() -> None:
    leads = [
        lead("cold", "cold"),
        lead("cb", callback_at=at(-1), callback_owner_id="dana"),
        lead("hot"),
        lead("done", **status("won", "done")),
    ]
    ranked = rank_reference(leads, {}, DANA, ProjectRules(), POOLS, now=T0)
    assert [c.lead_id for c in ranked] == ["cb", "hot", "cold"]


def test_sort_key_is_none_where_the_agent_has_no_place() -> None:
    plan = plan_pools(POOLS, "dana", ProjectRules())
    rules = ProjectRules()
    assert sort_key(lead("x", "omer-book"), agent_id="dana", rules=rules, plan=plan, now=T0) is None
    key = sort_key(lead("x", "hot"), agent_id="dana", rules=rules, plan=plan, now=T0)
    assert key is not None
    assert key[0] == 3  # after the two callback tiers and dana's own book
