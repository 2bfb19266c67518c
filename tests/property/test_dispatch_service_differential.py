"""The memory adapter's incrementally kept index answers as the brute-force reference does.

Random service operations (intake into pools, status changes, conversions,
callbacks, assignments, the do-not-call list, filters, claims, calls,
releases, clock moves both ways) run through the facade. After each one,
for every agent, the memory engine's ``next_choice`` (its index, built once
and then kept current by the commit listener) must equal
:func:`leadcore.dispatch.choose_reference` over ``uow.dispatch.candidates``
and the stored leases, ``explain`` must agree with both, and no done,
converted or do-not-call lead may ever have been handed out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given
from hypothesis import strategies as st

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    Choice,
    FieldEquals,
    Pool,
    PoolKind,
    ProjectRules,
    SecondaryOrder,
    choose_reference,
)
from leadcore.errors import ConflictError, LeadConverted, LeaseLost, TransitionRefused
from leadcore.ids import SequentialIds
from leadcore.leads import FieldDefinition, FieldType, LeadSettings, TaskDraft, TaskKind
from leadcore.workflow import Category

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
AGENTS = ("dana", "omer", "ioana")
POOL_IDS = ("dana-book", "hot", "cold", "stray")
PHONES = ("+972525550101", "+972525550102", "+972525550103")
TARGETS = ("new", "no_answer", "contacted", "qualified", "won", "not_relevant")
FILTERS: tuple[AgentFilter | None, ...] = (
    None,
    AgentFilter(no_status=True),
    AgentFilter(statuses={"new", "no_answer"}),
    AgentFilter(categories={Category.IN_PROGRESS}, no_status=True),
    AgentFilter(sources={"facebook"}),
    AgentFilter(field_equals=[FieldEquals("city", "haifa")]),
    AgentFilter(max_attempts=1),
)

rules_strategy = st.builds(
    ProjectRules,
    allow_multiple_relationships=st.booleans(),
    no_status_first=st.booleans(),
    all_pools=st.booleans(),
    include_project_pools=st.booleans(),
    lock_window_minutes=st.sampled_from([10, 0, 1]),
    secondary_order=st.sampled_from(list(SecondaryOrder)),
    callback_grace_minutes=st.sampled_from([None, 0, 15]),
    max_claims_per_hour=st.sampled_from([None, None, 3]),
)

lead_index = st.integers(0, 40)
creations = st.tuples(
    st.just("create"),
    st.sampled_from(POOL_IDS),
    st.sampled_from([None, "facebook", "google"]),
    st.sampled_from([None, "haifa", "eilat"]),
    st.sampled_from([None, *PHONES]),
    st.sampled_from([None, None, *AGENTS]),
)
operations = st.one_of(
    creations,
    st.tuples(st.just("status"), lead_index, st.sampled_from(TARGETS)),
    st.tuples(st.just("convert"), lead_index),
    st.tuples(st.just("callback"), lead_index, st.sampled_from(AGENTS), st.integers(-30, 60)),
    st.tuples(st.just("complete"), lead_index),
    st.tuples(st.just("assign"), lead_index, st.sampled_from([None, *AGENTS])),
    st.tuples(st.just("block"), st.sampled_from(PHONES), st.booleans()),
    st.tuples(st.just("filter"), st.sampled_from(AGENTS), st.sampled_from(FILTERS)),
    st.tuples(st.just("claim"), st.sampled_from(AGENTS)),
    st.tuples(st.just("claim"), st.sampled_from(AGENTS)),
    st.tuples(st.just("call"), st.sampled_from(AGENTS)),
    st.tuples(st.just("release"), st.sampled_from(AGENTS)),
    st.tuples(st.just("clock"), st.integers(-6, 30)),
)


@attrs.define
class World:
    core: Leadcore
    clock: ManualClock
    manager: Session
    agents: dict[str, Session]
    project_id: str
    org: str
    leads: list[str] = attrs.Factory(list)
    claims: dict[str, list[tuple[str, int]]] = attrs.Factory(dict)

    def agent_id(self, name: str) -> str:
        return self.agents[name].user_id

    def lead(self, i: int) -> str | None:
        return self.leads[i % len(self.leads)] if self.leads else None


def build(rules: ProjectRules, order: list[str]) -> World:
    clock = ManualClock(T0)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    manager.leads.set_settings(
        LeadSettings(
            custom_fields=(FieldDefinition("city", FieldType.TEXT),),
            duplicate_fields=frozenset(),
        )
    )
    ids = {name: manager.users.create(name.title(), "qualifier").id for name in AGENTS}
    project = manager.leads.create_project("P", rules=rules, member_ids=ids.values())
    manager.dispatch.set_pools(
        project.id,
        [
            Pool("dana-book", PoolKind.PRIVATE, "Dana's book", owner_id=ids["dana"]),
            Pool("hot", PoolKind.PROJECT, "Hot"),
            Pool("cold", PoolKind.GENERAL, "Cold"),
        ],
        order=order,
    )
    agents = {name: core.session(uid) for name, uid in ids.items()}
    return World(core, clock, manager, agents, project.id, admin.organization_id)


def apply(w: World, op: tuple[object, ...]) -> None:
    kind = op[0]
    m = w.manager.leads
    try:
        if kind == "create":
            _, pool, channel, city, phone, assignee = op
            w.clock.advance(timedelta(seconds=30))
            lead = m.create(
                f"Lead {len(w.leads)}",
                project_id=w.project_id,
                pool_id=str(pool),
                channel=channel,  # type: ignore[arg-type]
                phones=[] if phone is None else [str(phone)],
                fields={} if city is None else {"city": city},
                assignee_ids=[] if assignee is None else [w.agent_id(str(assignee))],
            )
            w.leads.append(lead.id)
            return
        if kind == "claim":
            name = str(op[1])
            claim = w.agents[name].dispatch.next(w.project_id)
            if claim is not None:
                check_dispatchable(w, claim.lead_id)
                w.claims.setdefault(name, []).append((claim.lead_id, claim.token))
            return
        if kind in ("call", "release"):
            name = str(op[1])
            held = w.claims.get(name)
            if not held:
                return
            lead_id, token = held[-1]
            d = w.agents[name].dispatch
            if kind == "call":
                d.log_call(lead_id, token, outcome="no answer")
            else:
                held.pop()
                d.release(lead_id, token)
            return
        if kind == "clock":
            w.clock.advance(timedelta(minutes=int(str(op[1]))))
            return
        if kind == "block":
            _, phone, on = op
            if on:
                m.add_blocked_number(str(phone))
            else:
                m.remove_blocked_number(str(phone))
            return
        if kind == "filter":
            flt = op[2]
            assert flt is None or isinstance(flt, AgentFilter)
            w.manager.dispatch.set_filter(w.project_id, w.agent_id(str(op[1])), flt)
            return
        target_lead = w.lead(int(str(op[1])))
        if target_lead is None:
            return
        lead_id = target_lead
        if kind == "status":
            target = str(op[2])
            note = "why" if target in ("contacted", "won") else None
            m.change_status(lead_id, target, note=note)
        elif kind == "convert":
            m.convert(lead_id, status_id="not_relevant", account_name="Acme", new_account=True)
        elif kind == "callback":
            _, _, owner, minutes = op
            due = w.clock.now() + timedelta(minutes=int(str(minutes)))
            draft = TaskDraft(
                "Call back", due_at=due, assignee_id=w.agent_id(str(owner)), kind=TaskKind.CALLBACK
            )
            m.add_task(lead_id, draft)
        elif kind == "complete":
            open_tasks = [t for t in m.tasks(lead_id) if not t.done]
            if open_tasks:
                m.complete_task(open_tasks[0].id)
        elif kind == "assign":
            owner = op[2]
            m.assign(lead_id, [] if owner is None else [w.agent_id(str(owner))])
    except (TransitionRefused, LeadConverted, LeaseLost, ConflictError):
        pass  # refused as the workflow, a conversion or the lease says: nothing written


def check_dispatchable(w: World, lead_id: str) -> None:
    """Invariant 5, at the instant of the claim."""
    lead = w.manager.leads.get(lead_id)
    workflow = w.manager.workflow.current()
    assert not lead.converted
    assert not lead.do_not_call
    assert not any(p in w.manager.leads.blocked_numbers() for p in lead.phones)
    assert lead.status_id is None or not workflow.is_done(lead.status_id)


def engine_and_reference(w: World, name: str) -> tuple[Choice | None, Choice | None]:
    uid = w.agent_id(name)
    now = w.clock.now()
    with w.core.storage.unit_of_work() as uow:
        project = uow.projects.get(w.org, w.project_id)
        pools = uow.dispatch.pools(w.org, w.project_id)
        workflow = uow.workflows.get(w.org, "leads")
        assert project is not None
        assert pools is not None
        assert workflow is not None
        agent = Agent(uid, uow.dispatch.agent_filter(w.org, w.project_id, uid))
        load = AgentLoad.from_claim_times(
            uow.dispatch.claim_times(w.org, w.project_id, uid, now - timedelta(days=1)), now
        )
        got = uow.dispatch.next_choice(
            w.org,
            w.project_id,
            agent,
            rules=project.rules,
            pools=pools,
            workflow=workflow,
            now=now,
            load=load,
        )
        candidates = uow.dispatch.candidates(w.org, w.project_id, workflow)
        leases = uow.dispatch.leases(w.org, [c.lead_id for c in candidates])
        want = choose_reference(candidates, leases, agent, project.rules, pools, now=now, load=load)
    return got, want


@given(
    rules=rules_strategy,
    order=st.permutations(["hot", "cold", "dana-book"]),
    first=st.lists(creations, min_size=1, max_size=12),
    ops=st.lists(operations, min_size=10, max_size=60),
)
def test_the_kept_index_answers_as_the_reference_after_any_operations(
    rules: ProjectRules,
    order: list[str],
    first: list[tuple[object, ...]],
    ops: list[tuple[object, ...]],
) -> None:
    w = build(rules, order)
    for op in [*first, *ops]:
        apply(w, op)
        for name in AGENTS:
            got, want = engine_and_reference(w, name)
            assert got == want, (op, name)
            explained = w.agents[name].dispatch.explain(w.project_id).choice
            assert explained == want, (op, name)
