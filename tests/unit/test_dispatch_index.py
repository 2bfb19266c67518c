"""The in-memory dispatch index: updates, leases, compaction, and many threads claiming at once."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

from leadcore.dispatch import (
    Agent,
    AgentFilter,
    Candidate,
    DispatchIndex,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    SecondaryOrder,
    choose_reference,
    claim_lead,
    release_lease,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POOLS = ProjectPools(
    [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.GENERAL, "Cold")],
    order=["hot", "cold"],
)


def lead(lead_id: str, pool_id: str = "hot", /, **changes: object) -> Candidate:
    values: dict[str, object] = {"lead_id": lead_id, "pool_id": pool_id, "created_at": T0}
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


def claim_next(index: DispatchIndex, agent: Agent, now: datetime) -> str | None:
    choice = index.next_for(agent, now=now)
    if choice is None:
        return None
    lease, _ = claim_lead(
        choice, agent.id, rules=index.rules, now=now, previous=index.lease(choice.lead_id)
    )
    index.set_lease(lease)
    return choice.lead_id


def test_claimed_leads_come_back_when_their_lease_ends() -> None:
    index = DispatchIndex(ProjectRules(lock_window_minutes=10), POOLS, [lead("a"), lead("b")])
    assert claim_next(index, Agent("dana"), T0) == "a"
    assert claim_next(index, Agent("omer"), T0) == "b"
    assert index.next_for(Agent("yael"), now=T0) is None
    choice = index.next_for(Agent("yael"), now=T0 + timedelta(minutes=10))
    assert choice is not None
    assert choice.lead_id == "a"


def test_a_released_lead_is_available_at_once() -> None:
    index = DispatchIndex(ProjectRules(), POOLS, [lead("a")])
    choice = index.next_for(Agent("dana"), now=T0)
    assert choice is not None
    lease, claim = claim_lead(choice, "dana", rules=index.rules, now=T0, previous=None)
    index.set_lease(lease)
    assert index.next_for(Agent("omer"), now=T0) is None
    index.set_lease(release_lease(lease, lead_id="a", agent_id="dana", token=claim.token, now=T0))
    assert index.next_for(Agent("omer"), now=T0) == choose_reference(
        index.candidates(), index.leases(), Agent("omer"), index.rules, POOLS, now=T0
    )


def test_window_zero_hands_the_same_lead_to_several_agents() -> None:
    index = DispatchIndex(ProjectRules(lock_window_minutes=0), POOLS, [lead("a"), lead("b")])
    assert claim_next(index, Agent("dana"), T0) == "a"
    assert claim_next(index, Agent("omer"), T0) == "a"


def test_updates_move_a_lead_and_removals_forget_it() -> None:
    index = DispatchIndex(ProjectRules(), POOLS, [lead("a"), lead("b", "cold")])
    index.upsert(lead("a", status_id="won", category="done"))
    choice = index.next_for(Agent("dana"), now=T0)
    assert choice is not None
    assert choice.lead_id == "b"
    index.remove("b")
    assert index.next_for(Agent("dana"), now=T0) is None
    assert "b" not in index
    assert len(index) == 1


def test_filtered_agents_read_only_the_lanes_they_admit() -> None:
    leads = [
        lead(f"n{i}", created_at=T0 - timedelta(minutes=i), status_id="new", category="todo")
        for i in range(50)
    ]
    leads.append(lead("rare", status_id="callback", category="in_progress", source="tv"))
    index = DispatchIndex(ProjectRules(), POOLS, leads)
    picky = Agent("dana", AgentFilter(statuses={"callback"}))
    assert claim_next(index, picky, T0) == "rare"
    # A lane that appears after the agent first asked is read too.
    index.upsert(lead("late", status_id="callback", category="in_progress"))
    assert claim_next(index, picky, T0) == "late"
    assert claim_next(index, picky, T0) is None
    assert claim_next(index, Agent("omer"), T0) == "n49"


def test_many_updates_compact_the_heaps_and_keep_the_answers() -> None:
    rng = random.Random(5)
    rules = ProjectRules(secondary_order=SecondaryOrder.FEWEST_ATTEMPTS, no_status_first=True)
    index = DispatchIndex(rules, POOLS)
    current: dict[str, Candidate] = {}
    agents = [Agent("dana"), Agent("omer", AgentFilter(no_status=True, max_attempts=5))]
    for step in range(12_000):
        lead_id = f"lead-{rng.randrange(60)}"
        attempts = rng.randrange(10)
        candidate = lead(
            lead_id,
            rng.choice(["hot", "cold"]),
            attempts=attempts,
            status_id=None if attempts % 3 else "new",
            category=None if attempts % 3 else "todo",
        )
        current[lead_id] = candidate
        index.upsert(candidate)
        if step % 500 == 0:
            for agent in agents:
                expected = choose_reference(current.values(), {}, agent, rules, POOLS, now=T0)
                assert index.next_for(agent, now=T0) == expected


def test_a_reconfigured_index_orders_by_the_new_rules_and_keeps_the_leases() -> None:
    leads = [
        lead("old", created_at=T0 - timedelta(days=2)),
        lead("mid", created_at=T0 - timedelta(days=1)),
        lead("new"),
    ]
    index = DispatchIndex(ProjectRules(), POOLS, leads)
    assert claim_next(index, Agent("dana"), T0) == "old"
    newest = index.reconfigured(ProjectRules(secondary_order=SecondaryOrder.NEWEST_FIRST))
    assert newest.lease("old") is not None
    assert claim_next(newest, Agent("omer"), T0) == "new"
    assert claim_next(newest, Agent("omer"), T0) == "mid"
    assert claim_next(newest, Agent("omer"), T0) is None


def test_sixteen_threads_claim_every_lead_exactly_once() -> None:
    agents = [Agent(f"agent-{i:02d}") for i in range(16)]
    pools = ProjectPools(
        [
            Pool("hot", PoolKind.PROJECT, "Hot"),
            Pool("cold", PoolKind.GENERAL, "Cold"),
            *(Pool(f"book-{a.id}", PoolKind.PRIVATE, a.id, owner_id=a.id) for a in agents),
        ],
        order=["hot", "cold"],
    )
    rng = random.Random(16)
    pool_ids = [p.id for p in pools.pools]
    leads = [_random_lead(rng, i, pool_ids) for i in range(20_000)]
    index = DispatchIndex(ProjectRules(no_status_first=True, lock_window_minutes=10), pools, leads)
    lock = threading.Lock()
    start = threading.Barrier(len(agents))
    taken: dict[str, list[str]] = {a.id: [] for a in agents}

    def work(agent: Agent) -> None:
        start.wait()
        while True:
            with lock:
                lead_id = claim_next(index, agent, T0)
            if lead_id is None:
                return
            taken[agent.id].append(lead_id)

    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handed = [lead_id for ids in taken.values() for lead_id in ids]
    assert len(handed) == len(set(handed)) == 20_000
    assert set(handed) == {c.lead_id for c in leads}
    by_id = {c.lead_id: c for c in leads}
    for agent_id, ids in taken.items():
        # A private book goes only to its owner.
        assert all(by_id[i].pool_id in {"hot", "cold", f"book-{agent_id}"} for i in ids)


def _random_lead(rng: random.Random, i: int, pool_ids: list[str]) -> Candidate:
    with_status = rng.random() < 0.5
    return lead(
        f"lead-{i:05d}",
        rng.choice(pool_ids),
        created_at=T0 - timedelta(seconds=rng.randrange(86_400)),
        status_id="new" if with_status else None,
        category="todo" if with_status else None,
        attempts=rng.randrange(4),
    )
