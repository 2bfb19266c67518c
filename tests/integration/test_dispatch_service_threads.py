"""Real threads pressing "next" at once: every lead goes out once, caps hold, nothing is lost."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.ids import SequentialIds
from leadcore.leads import ImportOutcome, Project

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _run_all(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Start every worker at once; return what they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def run(work: Callable[[], None]) -> None:
        try:
            start.wait()
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _centre(
    agents: int, rules: ProjectRules, leads: int
) -> tuple[Leadcore, list[Session], Project]:
    core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    ids = [manager.users.create(f"Agent {i}", "qualifier").id for i in range(agents)]
    project = manager.leads.create_project("Shift", rules=rules, member_ids=ids)
    manager.dispatch.set_pools(
        project.id, [Pool("a", PoolKind.PROJECT, "A"), Pool("b", PoolKind.GENERAL, "B")]
    )
    report = manager.leads.import_many(
        {"name": f"Lead {i}", "project_id": project.id, "pool_id": "ab"[i % 2]}
        for i in range(leads)
    )
    assert report.count(ImportOutcome.CREATED) == leads
    return core, [core.session(i) for i in ids], project


def test_16_agents_drain_20000_leads_each_lead_handed_out_exactly_once() -> None:
    leads = 20_000
    # A window far longer than the run: every claim stays live, so a lead handed out
    # twice would be two live leases at once.
    core, agents, project = _centre(16, ProjectRules(lock_window_minutes=24 * 60), leads)
    got: dict[str, list[str]] = {a.user_id: [] for a in agents}

    def drain(agent: Session) -> Callable[[], None]:
        def work() -> None:
            mine = got[agent.user_id]
            while (claim := agent.dispatch.next(project.id)) is not None:
                assert claim.agent_id == agent.user_id
                mine.append(claim.lead_id)

        return work

    assert _run_all([drain(a) for a in agents]) == []
    handed = Counter(lead_id for ids in got.values() for lead_id in ids)
    assert len(handed) == leads, "some leads were never handed out"
    assert max(handed.values()) == 1, "a lead was handed out twice"
    # Every agent took part: nobody starved behind a lock.
    assert all(got.values())
    with core.storage.unit_of_work() as uow:
        org = agents[0].organization_id
        leases = uow.dispatch.leases(org, list(handed))
    assert {lead_id: lease.agent_id for lead_id, lease in leases.items()} == {
        lead_id: agent for agent, ids in got.items() for lead_id in ids
    }


def test_one_agent_on_many_threads_never_passes_the_hourly_cap() -> None:
    cap = 7
    _, (agent,), project = _centre(1, ProjectRules(max_claims_per_hour=cap), 50)
    got: list[str] = []

    def work() -> None:
        for _ in range(10):
            claim = agent.dispatch.next(project.id)
            if claim is not None:
                got.append(claim.lead_id)

    assert _run_all([work] * 8) == []
    assert len(got) == cap
    assert len(set(got)) == cap
    why = agent.dispatch.explain(project.id)
    assert why.cap is not None
    assert why.cap.claims == cap


def test_agents_racing_for_the_same_short_list_never_share_a_lead() -> None:
    _, agents, project = _centre(16, ProjectRules(), 5)
    got: list[tuple[str, str]] = []

    def work(agent: Session) -> Callable[[], None]:
        def run() -> None:
            claim = agent.dispatch.next(project.id)
            if claim is not None:
                got.append((claim.lead_id, agent.user_id))

        return run

    assert _run_all([work(a) for a in agents]) == []
    assert len(got) == 5
    assert len({lead_id for lead_id, _ in got}) == 5
