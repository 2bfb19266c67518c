"""A call centre under load on a SQL database: bulk seeding and agent processes.

Used by the concurrency tests and handy for measurements: :func:`seed` makes
an organisation with agents, a project and its pools, and writes many leads
in a few big units of work; :func:`claim_loop` is one agent process pressing
"next" through the facade, :func:`write_loop` one that also writes under its
claims while their leases run out (importable, so that ``spawn`` can start
them).
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection as Pipe

import attrs
from sqlalchemy import Connection, text

from leadcore import Leadcore
from leadcore.clock import Clock, SystemClock
from leadcore.dispatch import Claim, Pool, PoolKind, ProjectRules
from leadcore.errors import ConflictError, LeaseLost, TransitionRefused
from leadcore.leads import Lead
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._tables import LEADS
from leadcore.storage.sql._tx import SqlTransaction

__all__ = [
    "CallCentre",
    "ClaimRecord",
    "claim_and_freeze",
    "claim_loop",
    "double_claims",
    "open_storage",
    "seed",
    "write_loop",
]

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POOLS = (Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.PROJECT, "Cold"))
RULES = ProjectRules(no_status_first=True, lock_window_minutes=10)
_BATCH = 5000


@attrs.frozen
class CallCentre:
    """The ids a load run needs."""

    url: str
    organization_id: str
    project_id: str
    agent_ids: tuple[str, ...]
    lead_ids: tuple[str, ...]
    row_level_security: bool = False


@attrs.frozen
class ClaimRecord:
    """One claim as an agent process saw it."""

    agent_id: str
    lead_id: str
    token: int
    claimed_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, claim: Claim) -> ClaimRecord:
        """The record of a claim."""
        return cls(claim.agent_id, claim.lead_id, claim.token, claim.claimed_at, claim.expires_at)


def open_storage(url: str, *, row_level_security: bool = False) -> SqlStorage:
    """A storage on ``url`` with a small pool (one process, one agent)."""
    options = {} if url.startswith("sqlite") else {"pool_size": 2, "max_overflow": 2}
    return SqlStorage(url, row_level_security=row_level_security, engine_options=options)


def seed(
    storage: SqlStorage,
    *,
    leads: int,
    agents: int,
    rules: ProjectRules = RULES,
    clock: Clock | None = None,
) -> CallCentre:
    """An organisation with ``agents`` agents in one project and ``leads`` leads in its pools.

    Leads are written ``5000`` to a unit of work, straight through the
    repository (no intake checks): a third have a status, the rest none;
    two thirds in the first pool.
    """
    core = Leadcore(storage=storage, clock=clock or SystemClock())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    agent_ids = tuple(manager.users.create(f"Agent {i}", "qualifier").id for i in range(agents))
    project = manager.leads.create_project("Outbound", rules=rules, member_ids=agent_ids)
    manager.dispatch.set_pools(project.id, POOLS, order=[p.id for p in POOLS])
    org = admin.organization_id
    status = manager.workflow.current().statuses[0]
    lead_ids = tuple(f"lead-{i:07d}" for i in range(leads))
    for start in range(0, leads, _BATCH):
        chunk = lead_ids[start : start + _BATCH]
        with storage.unit_of_work() as uow:
            keys = [(org, lead_id) for lead_id in chunk]
            uow.tx.meet(LEADS, keys)
            for i, lead_id in enumerate(chunk, start):
                created = T0 + timedelta(seconds=i)
                lead = Lead(
                    id=lead_id,
                    organization_id=org,
                    name="",
                    created_at=created,
                    updated_at=created,
                    project_id=project.id,
                    pool_id=POOLS[0].id if i % 3 else POOLS[1].id,
                    status_id=status.id if i % 3 == 1 else None,
                )
                uow.tx.put(LEADS, (org, lead_id), lead)
            uow.commit()
        if storage.engine.dialect.name == "postgresql" and not storage.row_level_security:
            # Fresh statistics, as autovacuum would gather: without them the planner
            # scans the whole growing table to look up each batch's keys.
            with storage.engine.begin() as connection:
                connection.execute(text("ANALYZE leadcore_leads, leadcore_dispatch_queue"))
    return CallCentre(
        url=storage.url if isinstance(storage.url, str) else storage.url.render_as_string(False),
        organization_id=org,
        project_id=project.id,
        agent_ids=agent_ids,
        lead_ids=lead_ids,
        row_level_security=storage.row_level_security,
    )


def claim_loop(
    centre: CallCentre, agent_id: str, claims: int, start_at: float = 0.0
) -> list[ClaimRecord]:
    """Press "next" ``claims`` times as ``agent_id`` (or until nothing is left)."""
    storage = open_storage(centre.url, row_level_security=centre.row_level_security)
    core = Leadcore(storage=storage)
    try:
        session = core.session(agent_id)
        out: list[ClaimRecord] = []
        if start_at:
            # Start together, so that every process claims while the others do.
            time.sleep(max(0.0, start_at - time.time()))
        for _ in range(claims):
            claim = session.dispatch.next(centre.project_id)
            if claim is None:
                break
            out.append(
                ClaimRecord(
                    agent_id, claim.lead_id, claim.token, claim.claimed_at, claim.expires_at
                )
            )
        return out
    finally:
        core.close()


def double_claims(records: Sequence[ClaimRecord]) -> list[tuple[ClaimRecord, ClaimRecord]]:
    """Pairs of claims of one lead whose leases overlap in time."""
    by_lead: dict[str, list[ClaimRecord]] = {}
    for record in records:
        by_lead.setdefault(record.lead_id, []).append(record)
    overlapping = []
    for claims in by_lead.values():
        claims.sort(key=lambda r: r.claimed_at)
        for earlier, later in itertools.pairwise(claims):
            if later.claimed_at < earlier.expires_at:
                overlapping.append((earlier, later))
    return overlapping


def claim_and_freeze(centre: CallCentre, agent_id: str, when: str, pipe: Pipe) -> None:
    """Claim as ``agent_id``, tell the parent, then hang until killed.

    ``when="commit"``: hang inside the commit, once the claim's rows are
    written (and locked) and before the database commits them.
    ``when="after"``: hang after the claim committed.
    """
    storage = open_storage(centre.url, row_level_security=centre.row_level_security)
    if when == "commit":

        def freeze(tx: SqlTransaction, connection: Connection) -> None:
            # A statement sends the writes a commit gathers into one (PostgreSQL's CTEs,
            # MariaDB's compound statement) first: the claim's rows are then written.
            connection.exec_driver_sql("SELECT 1")
            pipe.send("frozen")
            time.sleep(600)

        # After the storage's own writers: the claim's rows are all written by then.
        storage._store.writers = (*storage._store.writers, freeze)
    core = Leadcore(storage=storage)
    claim = core.session(agent_id).dispatch.next(centre.project_id)
    assert claim is not None
    pipe.send(claim.lead_id)
    time.sleep(600)


@attrs.frozen
class FastClock:
    """Wall time since ``origin`` (a ``time.time()``), ``speed`` times faster, from ``T0``.

    Every agent process builds one from the same origin, so that they agree
    (to within their clocks' skew, which fencing must survive anyway) while a
    lock window of a minute runs out in well under a second.
    """

    origin: float
    speed: float

    def now(self) -> datetime:
        """The fast time now."""
        return T0 + timedelta(seconds=(time.time() - self.origin) * self.speed)


@attrs.frozen
class WriteTally:
    """What one writing agent process did."""

    claims: int
    writes: int
    refused: int


def write_loop(
    centre: CallCentre, agent_id: str, steps: int, clock: FastClock, seed: int
) -> WriteTally:
    """Claim and write notes and status changes under the claim, pausing between steps.

    Pauses let leases run out and other agents claim the lead while this one
    still writes with its token: every such write must be refused
    (``LeaseLost``). Returns what was claimed, written and refused.
    """
    rng = random.Random(seed)
    storage = open_storage(centre.url, row_level_security=centre.row_level_security)
    core = Leadcore(storage=storage, clock=clock)
    claims = writes = refused = 0
    try:
        session = core.session(agent_id)
        claim: Claim | None = None
        for _ in range(steps):
            try:
                if claim is None:
                    claim = session.dispatch.next(centre.project_id)
                    claims += claim is not None
                elif rng.random() < 0.7:
                    session.dispatch.add_note(claim.lead_id, claim.token, "called")
                    writes += 1
                else:
                    status = rng.choice(("new", "no_answer"))
                    session.dispatch.change_status(claim.lead_id, claim.token, status)
                    writes += 1
            except LeaseLost:
                claim = None
                refused += 1
            except (ConflictError, TransitionRefused):
                pass
            time.sleep(rng.random() / 20)
        return WriteTally(claims, writes, refused)
    finally:
        core.close()
