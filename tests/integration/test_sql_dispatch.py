"""Dispatch through the facade on every SQL backend: the same answers as on MemoryStorage.

A call-centre scenario (pools, a private book, callbacks, filters, claims,
calls, renewals, releases, expiries, status changes under a claim, the
do-not-call list, explanations) runs on the memory adapter and on each SQL
backend with one manual clock each; every answer must be equal. Then random
operations do the same, and after each one the SQL adapter's ``next_choice``
must equal :func:`leadcore.dispatch.choose_reference` for every agent.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import false, select
from tests.integration.conftest import BACKENDS

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import (
    Agent,
    AgentFilter,
    AgentLoad,
    FieldEquals,
    Pool,
    PoolKind,
    ProjectRules,
    SecondaryOrder,
    choose_reference,
)
from leadcore.dispatch._projection import pending_callback
from leadcore.errors import ConflictError, LeadConverted, LeaseLost, TransitionRefused
from leadcore.ids import SequentialIds
from leadcore.leads import FieldDefinition, FieldType, Lead, LeadSettings, Task, TaskDraft, TaskKind
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage, SqlUnitOfWork
from leadcore.storage.sql._codec import decode
from leadcore.storage.sql._dispatch_queue import _numbers, _queue_row
from leadcore.storage.sql._dispatch_records import LEASES, QUEUE, lease_of
from leadcore.storage.sql._dispatch_records import PHONES as PHONE_ROWS
from leadcore.storage.sql._dispatch_reservations import _reservations
from leadcore.storage.sql._tables import LEADS, TASKS
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


def build(storage: Storage, rules: ProjectRules, order: list[str]) -> World:
    clock = ManualClock(T0)
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
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


def apply(w: World, op: tuple[object, ...]) -> object:
    """Run one operation; return what it answered (or the error it raised, as text)."""
    try:
        return _apply(w, op)
    except (TransitionRefused, LeadConverted, LeaseLost, ConflictError) as exc:
        return (type(exc).__name__, str(exc))


def _apply(w: World, op: tuple[object, ...]) -> object:
    kind = op[0]
    m = w.manager.leads
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
        return lead.id
    if kind == "claim":
        name = str(op[1])
        claim = w.agents[name].dispatch.next(w.project_id)
        if claim is None:
            return None
        w.claims.setdefault(name, []).append((claim.lead_id, claim.token))
        return attrs.evolve(claim, lead=None)
    if kind in ("call", "release", "renew"):
        name = str(op[1])
        held = w.claims.get(name)
        if not held:
            return None
        lead_id, token = held[-1]
        d = w.agents[name].dispatch
        if kind == "call":
            return d.log_call(lead_id, token, outcome="no answer")
        if kind == "renew":
            return d.renew(lead_id, token)
        held.pop()
        d.release(lead_id, token)
        return None
    if kind == "explain":
        return w.agents[str(op[1])].dispatch.explain(w.project_id)
    if kind == "clock":
        w.clock.advance(timedelta(minutes=int(str(op[1]))))
        return None
    if kind == "block":
        _, phone, on = op
        if on:
            m.add_blocked_number(str(phone))
        else:
            m.remove_blocked_number(str(phone))
        return None
    if kind == "filter":
        flt = op[2]
        assert flt is None or isinstance(flt, AgentFilter)
        w.manager.dispatch.set_filter(w.project_id, w.agent_id(str(op[1])), flt)
        return None
    target_lead = w.lead(int(str(op[1])))
    if target_lead is None:
        return None
    lead_id = target_lead
    if kind == "status":
        target = str(op[2])
        note = "why" if target in ("contacted", "won") else None
        return m.change_status(lead_id, target, note=note)
    if kind == "convert":
        m.convert(lead_id, status_id="not_relevant", account_name="Acme", new_account=True)
        return None
    if kind == "callback":
        _, _, owner, minutes = op
        due = w.clock.now() + timedelta(minutes=int(str(minutes)))
        draft = TaskDraft(
            "Call back", due_at=due, assignee_id=w.agent_id(str(owner)), kind=TaskKind.CALLBACK
        )
        return m.add_task(lead_id, draft)
    if kind == "complete":
        open_tasks = [t for t in m.tasks(lead_id) if not t.done]
        if open_tasks:
            return m.complete_task(open_tasks[0].id)
        return None
    if kind == "assign":
        owner = op[2]
        return m.assign(lead_id, [] if owner is None else [w.agent_id(str(owner))])
    if kind == "phones":
        numbers = op[2]
        assert isinstance(numbers, list)
        return m.update(lead_id, phones=[str(n) for n in numbers])
    raise AssertionError(f"unknown operation {op!r}")


def reference_agrees(w: World, name: str) -> None:
    """The adapter's next lead for ``name`` is the reference's over its candidates."""
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
    assert got == want, name


def _c(
    pool: str,
    channel: str | None = None,
    city: str | None = None,
    phone: str | None = None,
    assignee: str | None = None,
) -> tuple[object, ...]:
    return ("create", pool, channel, city, phone, assignee)


SCENARIO: tuple[tuple[object, ...], ...] = (
    _c("hot", "facebook", "haifa", PHONES[0]),
    _c("hot", "google", "eilat"),
    _c("cold", None, "haifa", PHONES[1]),
    _c("dana-book", "facebook"),
    _c("hot", None, None, None, "omer"),
    _c("stray"),
    ("explain", "dana"),
    ("claim", "dana"),
    ("claim", "omer"),
    ("claim", "ioana"),
    ("explain", "ioana"),
    ("call", "dana"),
    ("renew", "omer"),
    ("release", "ioana"),
    ("claim", "ioana"),
    ("callback", 1, "ioana", 5),
    ("block", PHONES[1], True),
    ("filter", "omer", AgentFilter(sources={"facebook"})),
    ("claim", "omer"),
    ("clock", 11),
    ("call", "dana"),
    ("explain", "ioana"),
    ("claim", "ioana"),
    ("status", 0, "won"),
    ("claim", "dana"),
    ("block", PHONES[1], False),
    ("filter", "dana", AgentFilter(field_equals=[FieldEquals("city", "haifa")])),
    ("claim", "dana"),
    ("clock", 30),
    ("claim", "omer"),
    ("claim", "dana"),
    ("release", "dana"),
    ("convert", 2),
    ("explain", "dana"),
    ("claim", "ioana"),
    ("claim", "ioana"),
    ("explain", "ioana"),
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_shift_of_claims_calls_and_releases_answers_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    rules = ProjectRules(callback_grace_minutes=15, max_claims_per_hour=4)
    order = ["hot", "cold"]
    reference = build(MemoryStorage(), rules, order)
    subject = build(make_storage(backend), rules, order)
    claimed = 0
    for op in SCENARIO:
        expected = apply(reference, op)
        actual = apply(subject, op)
        assert actual == expected, op
        claimed += op[0] == "claim" and expected is not None
        for name in AGENTS:
            reference_agrees(subject, name)
    assert claimed >= 8
    for org_events in (reference.core.events.read(reference.org),):
        assert subject.core.events.read(subject.org) == org_events


def test_leadcore_open_dispatches_on_sqlite() -> None:
    core = Leadcore.open("sqlite://", clock=ManualClock(T0))
    try:
        _, admin = core.create_organization("Agency", admin_name="Maya")
        s = core.session(admin.id)
        project = s.leads.create_project("P", member_ids=[admin.id])
        s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
        lead = s.leads.create("Avi", project_id=project.id, pool_id="hot")
        claim = s.dispatch.next(project.id)
        assert claim is not None
        assert claim.lead is not None
        assert claim.lead.id == lead.id
        assert s.dispatch.next(project.id) is None
        assert "held by this agent" in s.dispatch.explain(project.id).text()
        s.dispatch.log_call(lead.id, claim.token, outcome="busy")
        s.dispatch.release(lead.id, claim.token)
        again = s.dispatch.next(project.id)
        assert again is not None
        assert again.token == claim.token + 1
    finally:
        core.close()


def _two_projects_with_an_expired_lease(storage: Storage) -> list[str | None]:
    """Project A's lease (1 minute) ends while project B's (60 minutes) lasts: what next says."""
    core = Leadcore(storage=storage, clock=ManualClock(T0), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    s = core.session(admin.id)
    answers: list[str | None] = []
    projects = []
    for name, window in (("A", 1), ("B", 60)):
        rules = ProjectRules(lock_window_minutes=window)
        project = s.leads.create_project(name, rules=rules, member_ids=[admin.id])
        s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
        s.leads.create(f"Lead of {name}", project_id=project.id, pool_id="hot")
        projects.append(project.id)
    for project_id in projects:
        claim = s.dispatch.next(project_id)
        answers.append(None if claim is None else claim.lead_id)
    assert isinstance(core.clock, ManualClock)
    core.clock.advance(timedelta(minutes=2))
    for project_id in projects:
        claim = s.dispatch.next(project_id)
        answers.append(None if claim is None else claim.lead_id)
    return answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lead_whose_lease_ended_is_handed_out_again_beside_another_project_s_live_lease(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    # On SQL the "any parked lease over?" probe is asked of the organisation, not the
    # project: the ended lease of A must be found, and B's live one must keep its lead.
    expected = _two_projects_with_an_expired_lease(MemoryStorage())
    first_a, first_b, again_a, again_b = expected
    assert first_a is not None
    assert first_b is not None
    assert again_a == first_a
    assert again_b is None
    assert _two_projects_with_an_expired_lease(make_storage(backend)) == expected


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
    st.tuples(st.just("phones"), lead_index, st.lists(st.sampled_from(PHONES), max_size=2)),
    st.tuples(st.just("block"), st.sampled_from(PHONES), st.booleans()),
    st.tuples(st.just("filter"), st.sampled_from(AGENTS), st.sampled_from(FILTERS)),
    st.tuples(st.just("claim"), st.sampled_from(AGENTS)),
    st.tuples(st.just("claim"), st.sampled_from(AGENTS)),
    st.tuples(st.just("call"), st.sampled_from(AGENTS)),
    st.tuples(st.just("release"), st.sampled_from(AGENTS)),
    st.tuples(st.just("explain"), st.sampled_from(AGENTS)),
    st.tuples(st.just("clock"), st.integers(-6, 30)),
)


def assert_queue_derived_from_records(storage: Storage, org: str, created: list[str]) -> None:
    """The queue and phone rows are what the leads, open tasks and leases make of them now.

    Whichever way each commit kept them (a whole row rebuilt, the lead
    columns alone, the lock columns alone), the result is the rebuild from
    scratch; ``parked`` is left out, since putting leases that ended back is
    an optimisation of claims.
    """
    assert isinstance(storage, SqlStorage)
    with storage.engine.connect() as c:
        lt, tt, st_ = LEADS.table, TASKS.table, LEASES.table
        leads = {
            r.id: decode(r.record, Lead)
            for r in c.execute(select(lt).where(lt.c.organization_id == org))
        }
        tasks: dict[str, list[Task]] = {}
        for r in c.execute(select(tt).where(tt.c.organization_id == org, tt.c.done == false())):
            task = decode(r.record, Task)
            tasks.setdefault(task.lead_id, []).append(task)
        leases = {
            r.lead_id: lease_of(r)
            for r in c.execute(select(st_).where(st_.c.organization_id == org))
        }
        rows = {
            r.lead_id: {k: v for k, v in r._asdict().items() if k != "parked"}
            for r in c.execute(select(QUEUE).where(QUEUE.c.organization_id == org))
        }
        numbers = sorted(
            (r.lead_id, r.number)
            for r in c.execute(select(PHONE_ROWS).where(PHONE_ROWS.c.organization_id == org))
        )
    assert sorted(leads) == sorted(created)
    expected = {
        lead_id: _queue_row(lead, pending_callback(tasks.get(lead_id, ())), leases.get(lead_id))
        for lead_id, lead in leads.items()
        if lead.project_id is not None and lead.pool_id is not None
    }
    for row in expected.values():
        del row["parked"]
    assert rows == expected
    assert numbers == sorted((lead_id, n) for lead_id in expected for n in _numbers(leads[lead_id]))


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_dispatch_operations_answer_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    @settings(
        max_examples=int(os.environ.get("LEADCORE_DISPATCH_EXAMPLES", "6")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(
        rules=rules_strategy,
        order=st.permutations(["hot", "cold", "dana-book"]),
        ops=st.lists(operations, min_size=10, max_size=40),
    )
    def run(rules: ProjectRules, order: list[str], ops: list[tuple[object, ...]]) -> None:
        reference = build(MemoryStorage(), rules, order)
        subject = build(make_storage(backend), rules, order)
        try:
            for op in ops:
                expected = apply(reference, op)
                assert apply(subject, op) == expected, op
                for name in AGENTS:
                    reference_agrees(subject, name)
            if backend != "postgresql-rls":  # the test's own reads see no rows under RLS
                assert_queue_derived_from_records(subject.core.storage, subject.org, subject.leads)
        finally:
            subject.core.close()

    run()


@pytest.mark.parametrize("backend", BACKENDS)
def test_units_of_work_reserving_at_once_are_shown_different_leads(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    w = build(storage, ProjectRules(), ["hot"])
    for _ in range(3):
        apply(w, _c("hot"))
    uid = w.agent_id("omer")
    with w.core.storage.unit_of_work() as probe:
        pools = probe.dispatch.pools(w.org, w.project_id)
        workflow = probe.workflows.get(w.org, "leads")
    assert pools is not None
    assert workflow is not None

    def ask(uow: SqlUnitOfWork, reserve: bool) -> str | None:
        choice = uow.dispatch.next_choice(
            w.org,
            w.project_id,
            Agent(uid),
            rules=ProjectRules(),
            pools=pools,
            workflow=workflow,
            now=w.clock.now(),
            load=AgentLoad(),
            reserve=reserve,
        )
        return None if choice is None else str(choice.lead_id)

    with storage.unit_of_work() as first, storage.unit_of_work() as second:
        held = ask(first, True)
        assert held == w.leads[0]
        # Where a row lock holds the lead (every backend but SQLite), nothing is
        # reserved in the process as well.
        in_process = {lead for _, lead in _reservations(first.tx)}
        assert in_process == ({held} if backend.startswith("sqlite") else set())
        # A reservation only spares work: without one, the answer is the policy's.
        assert ask(second, False) == held
        assert ask(second, True) == w.leads[1]
        with storage.unit_of_work() as third:
            assert ask(third, True) == w.leads[2]
    with storage.unit_of_work() as after:
        assert ask(after, True) == w.leads[0]


# Every way a commit keeps a queue row: the lead columns alone (status, phones,
# assignees), the whole row (tasks, a lease, a move between pools) and the lock alone.
_EVERY_KIND_OF_WRITE: tuple[tuple[object, ...], ...] = (
    ("create", "hot", "web", None, PHONES[0], None),
    ("create", "cold", None, "Haifa", PHONES[1], "omer"),
    ("create", "dana-book", None, None, None, None),
    ("status", 0, "new"),
    ("phones", 0, [PHONES[2], PHONES[0]]),
    ("phones", 1, []),
    ("assign", 2, "dana"),
    ("callback", 1, "omer", 20),
    ("status", 1, "contacted"),
    ("claim", "omer"),
    ("status", 0, "no_answer"),
    ("call", "omer"),
    ("complete", 1),
    ("clock", 30),
    ("status", 2, "qualified"),
    ("release", "omer"),
    ("convert", 0),
    ("status", 1, "not_relevant"),
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_queue_is_its_rebuild_after_every_kind_of_write(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    rules = ProjectRules(lock_window_minutes=10)
    order = ["hot", "cold", "dana-book"]
    reference = build(MemoryStorage(), rules, order)
    subject = build(make_storage(backend), rules, order)
    for op in _EVERY_KIND_OF_WRITE:
        assert apply(subject, op) == apply(reference, op), op
        if backend != "postgresql-rls":  # the test's own reads see no rows under RLS
            assert_queue_derived_from_records(subject.core.storage, subject.org, subject.leads)
