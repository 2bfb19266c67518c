"""The dispatch index hands out exactly the lead the brute-force reference picks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Candidate,
    DispatchIndex,
    FieldEquals,
    FieldIn,
    FieldRange,
    Lease,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    SecondaryOrder,
    choose_reference,
)
from leadcore.workflow import Category

BASE = datetime(2026, 3, 2, 9, tzinfo=UTC)
AGENTS = ("a1", "a2", "a3")
STATUSES: tuple[tuple[str | None, Category | None], ...] = (
    (None, None),
    (None, None),
    ("new", Category.TODO),
    ("no_answer", Category.IN_PROGRESS),
    ("callback", Category.IN_PROGRESS),
    ("won", Category.DONE),
)
SOURCES = (None, "facebook", "google")
FIELD_VALUES: dict[str, st.SearchStrategy[str | int | float | bool]] = {
    "budget": st.integers(0, 4) | st.sampled_from([1.5, 2.0]),
    "city": st.sampled_from(["haifa", "eilat", "iasi"]),
    "vip": st.booleans(),
}


# True about one time in ``n``: exclusions and callbacks must not crowd out the pools.
def rarely(n: int = 6) -> st.SearchStrategy[bool]:
    # Last in the list: hypothesis favours the first element and small integers.
    return st.sampled_from([False] * (n - 1) + [True])


# Coarse times (whole 10-minute steps) so that ties between leads are common.
times = st.integers(-30, 30).map(lambda steps: BASE + timedelta(minutes=10 * steps))
fine_times = st.integers(-300, 300).map(lambda m: BASE + timedelta(minutes=m))


@st.composite
def project_pools(draw: st.DrawFn) -> ProjectPools:
    pools = []
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from([PoolKind.PROJECT, PoolKind.GENERAL, PoolKind.PRIVATE]))
        owner = draw(st.sampled_from(AGENTS)) if kind is PoolKind.PRIVATE else None
        pools.append(Pool(f"p{i}", kind, f"Pool {i}", owner))
    ids = [p.id for p in pools]
    order = draw(st.permutations(ids))[: draw(st.integers(0, len(ids)))]
    agent_orders = draw(
        st.dictionaries(
            st.sampled_from(AGENTS),
            st.lists(st.sampled_from(ids), unique=True),
            max_size=2,
        )
    )
    return ProjectPools(pools, order, agent_orders)


rules_strategy = st.builds(
    ProjectRules,
    allow_multiple_relationships=st.booleans(),
    no_status_first=st.booleans(),
    all_pools=st.booleans(),
    include_project_pools=st.booleans() | st.just(True),
    lock_window_minutes=st.sampled_from([0, 1, 10]),
    secondary_order=st.sampled_from(SecondaryOrder),
    callback_grace_minutes=st.none() | st.integers(0, 30),
    max_claims_per_hour=st.none() | st.integers(1, 3),
    max_claims_per_day=st.none() | st.integers(1, 6),
)


# At most one unusual trait per lead, drawn once: cheaper to generate than a flag each,
# and it keeps most leads dispatchable so that the pools, not the exclusions, decide.
TRAITS = ("plain",) * 6 + ("converted", "dnc", "callback", "callback", "assigned", "elsewhere")


@st.composite
def candidates(draw: st.DrawFn, pool_ids: list[str], count: int) -> list[Candidate]:
    out = []
    for i in range(count):
        status_id, category = draw(st.sampled_from(STATUSES))
        trait = draw(st.sampled_from(TRAITS))
        callback = (
            draw(st.tuples(fine_times, st.sampled_from(AGENTS))) if trait == "callback" else None
        )
        fields = draw(st.fixed_dictionaries({}, optional=FIELD_VALUES)) if draw(rarely(3)) else {}
        out.append(
            Candidate(
                lead_id=f"lead-{i:03d}",
                pool_id="elsewhere" if trait == "elsewhere" else draw(st.sampled_from(pool_ids)),
                created_at=draw(times),
                status_id=status_id,
                category=category,
                converted=trait == "converted",
                do_not_call=trait == "dnc",
                assigned_user_ids=(
                    draw(st.sets(st.sampled_from([*AGENTS, "boss"]), min_size=1, max_size=2))
                    if trait == "assigned"
                    else ()
                ),
                last_contact_at=draw(st.none() | times),
                attempts=draw(st.integers(0, 3)),
                source=draw(st.sampled_from(SOURCES)),
                custom_fields=fields,
                callback_at=None if callback is None else callback[0],
                callback_owner_id=None if callback is None else callback[1],
            )
        )
    return out


@st.composite
def agent_filters(draw: st.DrawFn) -> AgentFilter | None:
    if draw(st.booleans()):
        return None
    status_ids = [s for s, _ in STATUSES if s is not None]
    created = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
    attempts = sorted(draw(st.lists(st.integers(0, 3), min_size=2, max_size=2)))
    budget = sorted(draw(st.lists(st.integers(0, 4), min_size=2, max_size=2)))
    # Each criterion is present about one time in three, so that most filters admit some leads.
    some = rarely(3)
    return AgentFilter(
        statuses=draw(st.sets(st.sampled_from(status_ids), min_size=1, max_size=3))
        if draw(some)
        else (),
        no_status=draw(some),
        categories=draw(st.sets(st.sampled_from(Category), min_size=1)) if draw(some) else (),
        sources=draw(st.sets(st.sampled_from(["facebook", "google"]), min_size=1))
        if draw(some)
        else (),
        field_equals=[FieldEquals("vip", draw(st.booleans()))] if draw(rarely(5)) else [],
        field_in=[FieldIn("city", draw(st.sets(st.sampled_from(["haifa", "eilat"]), min_size=1)))]
        if draw(rarely(5))
        else [],
        field_ranges=[FieldRange("budget", budget[0], budget[1])] if draw(rarely(5)) else [],
        created_from=created[0] if draw(some) else None,
        created_before=created[1] if draw(some) else None,
        min_attempts=attempts[0] if draw(some) else None,
        max_attempts=attempts[1] if draw(some) else None,
    )


@st.composite
def leases(draw: st.DrawFn, lead_ids: list[str]) -> list[Lease]:
    out = []
    for lead_id in draw(st.lists(st.sampled_from(lead_ids), unique=True)) if lead_ids else []:
        claimed_at = draw(fine_times)
        out.append(
            Lease(
                lead_id=lead_id,
                agent_id=draw(st.sampled_from([*AGENTS, "other"])),
                token=draw(st.integers(1, 5)),
                claimed_at=claimed_at,
                expires_at=claimed_at + timedelta(minutes=draw(st.integers(0, 60))),
                exclusive=draw(st.booleans()) or draw(st.booleans()),
                released=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return out


loads = st.builds(AgentLoad, st.integers(0, 4), st.integers(0, 8))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ProjectRules, ProjectPools, list[Candidate], list[Lease]]:
    pools = draw(project_pools())
    rules = draw(rules_strategy)
    leads = draw(candidates([p.id for p in pools.pools], draw(st.integers(0, 20))))
    return rules, pools, leads, draw(leases([c.lead_id for c in leads]))


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), data=st.data())
def test_index_choice_equals_reference_for_every_agent(
    scenario: tuple[ProjectRules, ProjectPools, list[Candidate], list[Lease]], data: st.DataObject
) -> None:
    rules, pools, leads, lease_list = scenario
    index = DispatchIndex(rules, pools, leads, lease_list)
    table = {lease.lead_id: lease for lease in lease_list}
    for agent_id in AGENTS:
        agent = Agent(agent_id, data.draw(agent_filters()))
        now = data.draw(fine_times)
        load = data.draw(st.none() | loads)
        expected = choose_reference(leads, table, agent, rules, pools, now=now, load=load)
        assert index.next_for(agent, now=now, load=load) == expected


@st.composite
def changes(draw: st.DrawFn, leads: list[Candidate], pool_ids: list[str]) -> list[object]:
    """A mix of lead updates, removals, new leases and queries at clocks moving both ways."""
    ids = [c.lead_id for c in leads] or ["lead-000"]
    steps: list[object] = []
    for _ in range(draw(st.integers(1, 25))):
        kind = draw(st.sampled_from(["update", "remove", "lease", "query", "query", "query"]))
        if kind == "update":
            fresh = draw(candidates(pool_ids, 1))[0]
            steps.append(attrs.evolve(fresh, lead_id=draw(st.sampled_from(ids))))
        elif kind == "remove":
            steps.append(("remove", draw(st.sampled_from(ids))))
        elif kind == "lease":
            steps.extend(draw(leases([draw(st.sampled_from(ids))])) or [("drop", ids[0])])
        else:
            steps.append((draw(st.sampled_from(AGENTS)), draw(fine_times), draw(agent_filters())))
    return steps


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), data=st.data())
def test_index_stays_equal_to_reference_through_updates_and_clock_jumps(
    scenario: tuple[ProjectRules, ProjectPools, list[Candidate], list[Lease]], data: st.DataObject
) -> None:
    rules, pools, leads, lease_list = scenario
    index = DispatchIndex(rules, pools)
    for lead in leads:
        index.upsert(lead)
    for lease in lease_list:
        index.set_lease(lease)
    current = {c.lead_id: c for c in leads}
    table = {lease.lead_id: lease for lease in lease_list}
    agent_filter = {agent_id: data.draw(agent_filters()) for agent_id in AGENTS}
    for step in data.draw(changes(leads, [p.id for p in pools.pools])):
        if isinstance(step, Candidate):
            current[step.lead_id] = step
            index.upsert(step)
        elif isinstance(step, Lease):
            table[step.lead_id] = step
            index.set_lease(step)
        else:
            assert isinstance(step, tuple)
            if step[0] == "remove":
                current.pop(step[1], None)
                table.pop(step[1], None)
                index.remove(step[1])
            elif step[0] == "drop":
                table.pop(step[1], None)
                index.drop_lease(step[1])
            else:
                agent_id, now, new_filter = step
                if data.draw(st.booleans()):
                    agent_filter[agent_id] = new_filter
                agent = Agent(agent_id, agent_filter[agent_id])
                expected = choose_reference(current.values(), table, agent, rules, pools, now=now)
                assert index.next_for(agent, now=now) == expected
