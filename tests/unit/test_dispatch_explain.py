"""Explanations: why this lead, or why none, as data and as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadcore import serde
from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Candidate,
    CapPeriod,
    ExcludedLeads,
    Exclusion,
    Explanation,
    Lease,
    OrderRule,
    Pool,
    PoolExclusion,
    PoolKind,
    ProjectPools,
    ProjectRules,
    Tier,
    choose_reference,
    explain,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POOLS = ProjectPools(
    [
        Pool("hot", PoolKind.PROJECT, "Hot"),
        Pool("cold", PoolKind.PROJECT, "Cold"),
        Pool("dana-book", PoolKind.PRIVATE, "Dana's book", owner_id="dana"),
    ],
    order=["hot", "cold"],
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def lead(lead_id: str, pool_id: str = "hot", /, **changes: object) -> Candidate:
    values: dict[str, object] = {"lead_id": lead_id, "pool_id": pool_id, "created_at": T0}
    values.update(changes)
    return Candidate(**values)  # type: ignore[arg-type]


LEADS = [
    lead("a", created_at=at(-30)),
    lead("b", created_at=at(-20)),
    lead("c", created_at=at(-10), status_id="no_answer", category="in_progress"),
    lead("won", status_id="won", category="done"),
    lead("cb", callback_at=at(30), callback_owner_id="omer"),
]
LEASES = {
    "a": Lease("a", "omer", 1, at(-1), at(9)),
    "b": Lease("b", "yael", 1, at(-2), at(4)),
}


def test_why_this_lead() -> None:
    e = explain(LEADS, LEASES, Agent("dana"), ProjectRules(), POOLS, now=T0)
    assert e.found
    assert e.choice == choose_reference(LEADS, LEASES, Agent("dana"), ProjectRules(), POOLS, now=T0)
    assert e.choice is not None
    assert (e.choice.lead_id, e.choice.tier, e.choice.rule) == (
        "c",
        Tier.POOL,
        OrderRule.SECONDARY_ORDER,
    )
    assert e.eligible == 1
    assert e.excluded == (
        ExcludedLeads(Exclusion.DONE, 1),
        ExcludedLeads(Exclusion.CALLBACK_NOT_DUE, 1, at(30)),
        ExcludedLeads(Exclusion.LEASED, 2, at(4)),
    )
    assert e.pool_tiers == (("dana-book",), ("hot",), ("cold",))
    assert e.empty_pools == ("dana-book", "cold")
    assert e.text().splitlines() == [
        "dana gets c: from pool Hot, tier 2 of 3; oldest first.",
        "Excluded: 1 lead done; 1 lead waiting for a callback (the first falls due at "
        "2026-03-02T09:30:00+00:00); 2 leads leased by other agents (the first frees up at "
        "2026-03-02T09:04:00+00:00).",
        "Empty pools: Dana's book, Cold.",
    ]


def test_why_none_when_everything_is_leased_or_filtered() -> None:
    agent = Agent("dana", AgentFilter(no_status=True))
    e = explain(LEADS, LEASES, agent, ProjectRules(), POOLS, now=T0)
    assert not e.found
    reasons = {x.reason: x.count for x in e.excluded}
    assert reasons == {
        Exclusion.DONE: 1,
        Exclusion.CALLBACK_NOT_DUE: 1,
        Exclusion.FILTERED: 1,
        Exclusion.LEASED: 2,
    }
    assert e.text().startswith("No lead for dana: none of 5 is eligible.\nExcluded: ")
    assert "1 lead outside the agent's filter" in e.text()


def test_why_none_when_the_cap_is_reached() -> None:
    rules = ProjectRules(max_claims_per_hour=1)
    e = explain(LEADS, {}, Agent("dana"), rules, POOLS, now=T0, load=AgentLoad(1, 1))
    assert e.choice is None
    assert e.cap is not None
    assert e.cap.period is CapPeriod.HOUR
    assert (
        e.text().splitlines()[0]
        == "No lead for dana: cap reached (1 claim in the last hour, cap 1)."
    )


def test_why_none_when_project_pools_are_off() -> None:
    rules = ProjectRules(include_project_pools=False)
    e = explain(LEADS, {}, Agent("omer"), rules, POOLS, now=T0)
    assert e.pool_tiers == ()
    assert e.unavailable_pools["hot"] is PoolExclusion.PROJECT_POOLS_OFF
    lines = e.text().splitlines()
    assert lines[0] == "No lead for omer: there is no pool to draw from."
    assert lines[-1] == "Project pools are not included (rule include_project_pools): Cold, Hot."


def test_callbacks_and_grace_are_explained() -> None:
    rules = ProjectRules(callback_grace_minutes=10)
    leads = [lead("cb", callback_at=at(-5), callback_owner_id="omer")]
    e = explain(leads, {}, Agent("dana"), rules, POOLS, now=T0)
    assert e.excluded == (ExcludedLeads(Exclusion.CALLBACK_RESERVED, 1, at(5)),)
    later = explain(leads, {}, Agent("dana"), rules, POOLS, now=at(5))
    assert later.choice is not None
    assert later.text().startswith("dana gets cb: another agent's callback is past its grace")


def test_explanations_round_trip_through_plain_data() -> None:
    e = explain(LEADS, LEASES, Agent("dana"), ProjectRules(), POOLS, now=T0)
    assert serde.loads(serde.dumps(e), Explanation) == e
