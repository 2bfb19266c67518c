"""Many agents pressing "next" at once on one database: every lead handed out once while leased.

- PostgreSQL and MariaDB: 16 agent processes (``spawn``) claim from a large
  pool through the facade; no two live leases ever overlap on one lead, and
  the stored leases are exactly the claims handed out.
- A process killed with SIGKILL in the middle of a claim (its commit
  written, not yet committed) loses nothing: its transaction rolls back and
  the lead goes to another agent; one killed after its claim committed
  keeps the lead until the lease expires, then another agent gets it.
- SQLite (a file): agent threads drain a pool; every lead exactly once.
- PostgreSQL and MariaDB: agent processes write notes and status changes
  under their claims on a few leads while a fast clock lets leases run out;
  no write commits after another agent claimed its lead (counted in the
  event log, which is in commit order: 0 stray writes).

The pool holds ``LEADCORE_DISPATCH_LOAD_LEADS`` leads (100,000 unless set),
written 5,000 to a unit of work.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from tests.integration.conftest import ScratchDatabase, scratch
from tests.integration.dispatch_load import (
    CallCentre,
    ClaimRecord,
    FastClock,
    claim_and_freeze,
    claim_loop,
    double_claims,
    open_storage,
    seed,
    write_loop,
)

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.dispatch import ProjectRules
from leadcore.events import LeadClaimed
from leadcore.storage.sql import SqlStorage
from leadcore.testing.conformance._fencing import stray_writes

AGENTS = 16
LEADS = int(os.environ.get("LEADCORE_DISPATCH_LOAD_LEADS", "100000"))
CLAIMS_PER_AGENT = 40
SERVERS = ("postgresql", "mariadb")


@pytest.fixture(autouse=True)
def importable_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let spawned agent processes import ``tests.integration.dispatch_load``."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2]))


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[ScratchDatabase]:
    db = scratch(request, str(request.param))
    db.clear()
    yield db
    db.clear()


def _storage(db: ScratchDatabase) -> SqlStorage:
    return SqlStorage(db.url, row_level_security=db.row_level_security)


@pytest.mark.parametrize("database", SERVERS, indirect=True)
def test_sixteen_agent_processes_never_hold_one_lead_at_once(database: ScratchDatabase) -> None:
    storage = _storage(database)
    try:
        centre = seed(storage, leads=LEADS, agents=AGENTS)
    finally:
        storage.close()
    context = multiprocessing.get_context("spawn")
    start_at = time.time() + 3.0
    with context.Pool(AGENTS) as pool:
        results = pool.starmap(
            claim_loop,
            [(centre, agent_id, CLAIMS_PER_AGENT, start_at) for agent_id in centre.agent_ids],
        )
    records = [r for per_agent in results for r in per_agent]
    assert len(records) == AGENTS * CLAIMS_PER_AGENT
    assert double_claims(records) == []
    assert len({r.lead_id for r in records}) == len(records)
    _stored_leases_are_the_claims(centre, records)


def _stored_leases_are_the_claims(centre: CallCentre, records: list[ClaimRecord]) -> None:
    storage = open_storage(centre.url, row_level_security=centre.row_level_security)
    try:
        with storage.unit_of_work() as uow:
            leases = uow.dispatch.leases(centre.organization_id, centre.lead_ids)
    finally:
        storage.close()
    assert {lead_id: (lease.agent_id, lease.token) for lead_id, lease in leases.items()} == {
        r.lead_id: (r.agent_id, r.token) for r in records
    }


# -- a process killed in the middle of a claim ------------------------------------------------


def _frozen_agent(centre: CallCentre, when: str) -> tuple[BaseProcess, str]:
    """An agent process hanging in (or after) its claim, and what it said."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=claim_and_freeze, args=(centre, centre.agent_ids[0], when, child)
    )
    process.start()
    for _ in range(600):
        if parent.poll(0.1) or not process.is_alive():
            break
    if not parent.poll():
        _kill(process)
        raise AssertionError("the agent process never got to its claim")
    return process, str(parent.recv())


def _kill(process: BaseProcess) -> None:
    assert process.pid is not None
    if process.is_alive():
        os.kill(process.pid, signal.SIGKILL)
    process.join(30)
    assert process.exitcode == -signal.SIGKILL


@pytest.mark.parametrize("database", SERVERS, indirect=True)
def test_a_claim_killed_before_its_commit_loses_nothing(database: ScratchDatabase) -> None:
    storage = _storage(database)
    clock = ManualClock()
    try:
        centre = seed(storage, leads=20, agents=2, clock=clock)
        core = Leadcore(storage=storage, clock=clock)
        other = core.session(centre.agent_ids[1])
        best = other.dispatch.explain(centre.project_id).choice
        assert best is not None
        process, said = _frozen_agent(centre, "commit")
        try:
            assert said == "frozen"
            # The frozen claim holds its row: the other agent is handed the next lead.
            passed_by = other.dispatch.next(centre.project_id)
            assert passed_by is not None
            assert passed_by.lead_id != best.lead_id
        finally:
            _kill(process)
        # The killed transaction rolled back: no lease, and the lead goes to another agent.
        _wait_until_unlocked(storage, centre.organization_id, best.lead_id)
        with storage.unit_of_work() as uow:
            assert uow.dispatch.lease(centre.organization_id, best.lead_id) is None
        claim = _next_when_free(other, centre.project_id)
        assert claim.lead_id == best.lead_id
        assert claim.token == 1
    finally:
        storage.close()


def _wait_until_unlocked(storage: SqlStorage, organization_id: str, lead_id: str) -> None:
    """Wait for the server to roll back a killed agent's transaction (its row lock gone).

    The server ends the dead connection's transaction as soon as its thread
    runs; on a busy machine that can be a moment after the process is gone,
    and until then the locked look-up passes the lead by.
    """
    lock = text(
        "SELECT lead_id FROM leadcore_dispatch_queue "
        "WHERE organization_id = :org AND lead_id = :lead FOR UPDATE NOWAIT"
    )
    for _ in range(300):
        try:
            with storage.engine.begin() as connection:
                connection.execute(lock, {"org": organization_id, "lead": lead_id}).all()
            return
        except OperationalError:
            time.sleep(0.1)
    raise AssertionError(f"lead {lead_id!r} stayed locked after its agent was killed")


def _next_when_free(session: object, project_id: str) -> ClaimRecord:
    # The server notices the dead connection at once; allow it a moment all the same.
    for _ in range(100):
        claim = session.dispatch.next(project_id)  # type: ignore[attr-defined]
        if claim is not None:
            return ClaimRecord(
                claim.agent_id, claim.lead_id, claim.token, claim.claimed_at, claim.expires_at
            )
        time.sleep(0.1)
    raise AssertionError("no lead came back")


@pytest.mark.parametrize("database", SERVERS, indirect=True)
def test_a_lead_claimed_by_a_killed_agent_comes_back_when_its_lease_expires(
    database: ScratchDatabase,
) -> None:
    storage = _storage(database)
    clock = ManualClock()
    rules = ProjectRules(lock_window_minutes=5)
    try:
        centre = seed(storage, leads=1, agents=2, rules=rules, clock=clock)
        process, held = _frozen_agent(centre, "after")
        _kill(process)
        assert held == centre.lead_ids[0]
        with storage.unit_of_work() as uow:
            lease = uow.dispatch.lease(centre.organization_id, held)
        assert lease is not None
        core = Leadcore(storage=storage, clock=clock)
        other = core.session(centre.agent_ids[1])
        clock.set(lease.expires_at - timedelta(microseconds=1))
        assert other.dispatch.next(centre.project_id) is None
        clock.set(lease.expires_at)
        claim = other.dispatch.next(centre.project_id)
        assert claim is not None
        assert claim.lead_id == held
        assert claim.token == lease.token + 1
    finally:
        storage.close()


# -- SQLite: threads on one file ----------------------------------------------------------------


def test_agent_threads_on_a_sqlite_file_hand_out_every_lead_exactly_once(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/crm.db"
    storage = SqlStorage(url, create=True)
    try:
        centre = seed(storage, leads=400, agents=8)
        core = Leadcore(storage=storage)
        records: list[ClaimRecord] = []
        lock = threading.Lock()

        def agent(agent_id: str) -> None:
            session = core.session(agent_id)
            while True:
                claim = session.dispatch.next(centre.project_id)
                if claim is None:
                    return
                with lock:
                    records.append(
                        ClaimRecord(
                            agent_id,
                            claim.lead_id,
                            claim.token,
                            claim.claimed_at,
                            claim.expires_at,
                        )
                    )

        threads = [threading.Thread(target=agent, args=(a,)) for a in centre.agent_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(r.lead_id for r in records) == sorted(centre.lead_ids)
        assert double_claims(records) == []
        _stored_leases_are_the_claims(centre, records)
    finally:
        storage.close()


# -- writes under claims from several processes --------------------------------------------------

WRITERS = 6


@pytest.mark.parametrize("database", SERVERS, indirect=True)
def test_agent_processes_never_write_under_a_claim_another_agent_took_over(
    database: ScratchDatabase,
) -> None:
    # A minute of lock window lasts half a second of wall time.
    clock = FastClock(origin=time.time(), speed=120.0)
    storage = _storage(database)
    try:
        centre = seed(
            storage, leads=3, agents=WRITERS, rules=ProjectRules(lock_window_minutes=1), clock=clock
        )
    finally:
        storage.close()
    context = multiprocessing.get_context("spawn")
    with context.Pool(WRITERS) as pool:
        tallies = pool.starmap(
            write_loop,
            [(centre, agent_id, 60, clock, n) for n, agent_id in enumerate(centre.agent_ids)],
        )
    storage = _storage(database)
    try:
        events = [e.event for e in Leadcore(storage=storage).events.read(centre.organization_id)]
    finally:
        storage.close()
    claims = [e for e in events if isinstance(e, LeadClaimed)]
    # Leads changed hands while their former holders kept writing: the race happened.
    assert max(c.token for c in claims) > 1
    assert sum(t.writes for t in tallies) > 0
    assert stray_writes(events) == []
