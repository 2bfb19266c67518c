"""A claim's lookups on PostgreSQL read through indexes under generic plans, not a scan.

``psycopg`` prepares a statement once it has run a few times, and PostgreSQL
then keeps a *generic* plan, made without the parameters' values, when it
costs no more than the custom ones. Such a plan guesses how many rows
``locked_until_us <= $now`` matches, and a wrong guess can turn a one-page
probe into a scan of the queue: the tests plan every statement of a claim as
generic and look at what it reads. Neither the queue nor the table of every
organisation's assignments may be read whole for one claim.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg.sql import Literal
from sqlalchemy import event, insert

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.ids import SequentialIds
from leadcore.leads import Lead
from leadcore.storage.sql import metadata

from .conftest import scratch

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
LEADS = 2_000
CLAIMS = 300


def _generic_plan(connection: Any, statement: str, parameters: dict[str, Any]) -> str:
    """EXPLAIN of ``statement`` prepared and run with PostgreSQL's generic plan."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", number, statement)
    cursor = connection.cursor()
    cursor.execute("SET plan_cache_mode = force_generic_plan")
    cursor.execute("DEALLOCATE ALL")
    cursor.execute(f"PREPARE claim_step AS {prepared}")
    arguments = ", ".join(Literal(parameters[n]).as_string(connection) for n in names)
    cursor.execute(f"EXPLAIN EXECUTE claim_step({arguments})")
    plan = "\n".join(str(row[0]) for row in cursor.fetchall())
    cursor.execute("DEALLOCATE claim_step")
    cursor.execute("RESET plan_cache_mode")
    return plan


def test_a_claims_lookups_read_the_queue_through_indexes(request: pytest.FixtureRequest) -> None:
    storage = scratch(request, "postgresql").storage()
    clock = ManualClock(T0)
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
    org, admin = core.create_organization("Call centre", admin_name="Maya")
    manager = core.session(admin.id)
    agents = [manager.users.create(f"Agent {i}", "qualifier").id for i in range(4)]
    project = manager.leads.create_project(
        "Campaign", rules=ProjectRules(no_status_first=True), member_ids=agents
    )
    manager.dispatch.set_pools(
        project.id,
        [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.PROJECT, "Cold")],
        order=["hot", "cold"],
    )
    with storage.unit_of_work() as uow:
        for i in range(LEADS):
            at = T0 - timedelta(minutes=i)
            uow.leads.add(
                Lead(
                    id=f"lead-{i:05d}",
                    organization_id=org.id,
                    name=f"Lead {i}",
                    created_at=at,
                    updated_at=at,
                    project_id=project.id,
                    pool_id="hot" if i % 3 == 0 else "cold",
                    # A fifth of the leads are in an agent's own book.
                    assignee_ids=(agents[i % len(agents)],) if i % 5 == 0 else (),
                )
            )
        uow.commit()
    sessions = [core.session(uid) for uid in agents]
    # Many live leases: every claimed lead is parked until its lock window ends.
    for n in range(CLAIMS):
        assert sessions[n % len(sessions)].dispatch.next(project.id) is not None
    seen: list[tuple[str, dict[str, Any]]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "leadcore_dispatch_queue" in statement:
            seen.append((statement, parameters))

    with storage.engine.connect() as c:
        # Other organisations' books share the table: 40,000 assignments of their agents.
        # (Written directly: only their number matters to the planner.)
        c.execute(
            insert(metadata.tables["leadcore_lead_assignees"]),
            [
                {
                    "organization_id": f"org-other-{n % 20}",
                    "user_id": f"user-other-{n % 400}",
                    "lead_id": f"lead-other-{n}",
                    "created_us": n,
                }
                for n in range(40_000)
            ],
        )
        c.exec_driver_sql("ANALYZE")
        c.commit()
    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        assert sessions[0].dispatch.next(project.id) is not None
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    assert len(seen) >= 2, "the probe and a lookup"
    with storage.engine.connect() as c:
        raw = c.connection.driver_connection
        for statement, parameters in seen:
            plan = _generic_plan(raw, statement, parameters)
            assert "Seq Scan on leadcore_dispatch_queue" not in plan, plan
            # The agent's own assignments, through the key: not every organisation's.
            assert "Seq Scan on leadcore_lead_assignees" not in plan, plan
    storage.close()


def _other_books(connection: Any, rows: int) -> None:
    """Other organisations' leads and queue rows, written directly: only their number counts."""
    leads, queue = (metadata.tables[n] for n in ("leadcore_leads", "leadcore_dispatch_queue"))
    connection.execute(
        insert(leads),
        [
            {
                "organization_id": f"org-other-{n % 20}",
                "id": f"lead-other-{n}",
                "revision": 1,
                "version": 1,
                "created_us": n,
                "project_id": f"project-other-{n % 200}",
                "pool_id": "hot",
                "converted": False,
                "search": "",
                "record": "{}",
            }
            for n in range(rows)
        ],
    )
    connection.execute(
        insert(queue),
        [
            {
                "organization_id": f"org-other-{n % 20}",
                "lead_id": f"lead-other-{n}",
                "project_id": f"project-other-{n % 200}",
                "pool_id": "hot",
                "status_rank": 0,
                "converted": False,
                "do_not_call": False,
                "assigned": False,
                "created_us": n,
                "newest_us": -n,
                "contact_us": 0,
                "attempts": 0,
                "parked": False,
            }
            for n in range(rows)
        ],
    )


def test_explain_reads_the_projects_queue_not_its_leads_and_tasks(
    request: pytest.FixtureRequest,
) -> None:
    storage = scratch(request, "postgresql").storage()
    core = Leadcore(storage=storage, clock=ManualClock(T0), ids=SequentialIds())
    org, admin = core.create_organization("Call centre", admin_name="Maya")
    manager = core.session(admin.id)
    agent = manager.users.create("Agent", "qualifier").id
    small, large = (
        manager.leads.create_project(name, rules=ProjectRules(), member_ids=[agent])
        for name in ("Small", "Large")
    )
    for project in (small, large):
        manager.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
    with storage.unit_of_work() as uow:
        for i in range(LEADS):
            at = T0 - timedelta(minutes=i)
            # One lead in twenty is the small project's; a third of the rest sit in no pool.
            mine = i % 20 == 0
            uow.leads.add(
                Lead(
                    id=f"lead-{i:05d}",
                    organization_id=org.id,
                    name=f"Lead {i}",
                    created_at=at,
                    updated_at=at,
                    phones=(f"+97250{i:07d}",),
                    project_id=small.id if mine else large.id,
                    pool_id="hot" if mine or i % 3 else None,
                )
            )
        uow.commit()
    seen: list[tuple[str, dict[str, Any]]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    with storage.engine.connect() as c:
        _other_books(c, 40_000)
        c.exec_driver_sql("ANALYZE")
        c.commit()
    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        why = core.session(agent).dispatch.explain(small.id)
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    assert why.choice is not None
    assert why.choice.lead_id == f"lead-{LEADS - 20:05d}"  # the oldest of the small project
    # No statement looks the project's leads up by their project, nor reads a task.
    for statement, _ in seen:
        assert "leadcore_leads.project_id =" not in statement, statement
        assert "leadcore_tasks" not in statement, statement
    reading = [(s, p) for s, p in seen if "FROM leadcore_dispatch_queue" in s]
    assert reading, "explain reads the queue"
    with storage.engine.connect() as c:
        raw = c.connection.driver_connection
        for statement, parameters in reading:
            plan = _generic_plan(raw, statement, parameters)
            assert "Seq Scan on leadcore_dispatch_queue" not in plan, plan
            assert "Seq Scan on leadcore_leads" not in plan, plan
            # Through an index of the queue on (organisation, project, ...).
            assert re.search(
                r"Scan (on|using) ix_leadcore_dispatch_queue_(pool|no_status)", plan
            ), plan
    storage.close()
