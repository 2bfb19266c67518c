"""The SQL dispatch repository: pools, agent filters, leases, claims and the next lead.

The next lead comes from the dispatch queue (``leadcore_dispatch_queue``, see
:mod:`leadcore.storage.sql._dispatch_schema`): one row per lead of a project
that sits in a pool, rewritten by every commit that writes the lead, one of
its tasks or its lease (:mod:`leadcore.storage.sql._dispatch_queue`). Its
columns are what the ordering policy sorts and excludes by, so
:meth:`SqlDispatch.next_choice` asks the database, tier by tier, for the
first few rows in the policy's order (:mod:`leadcore.storage.sql._dispatch_order`)
that no SQL-expressible rule excludes, and checks those few with the
policy itself (:func:`~leadcore.dispatch.exclusion`,
:func:`~leadcore.dispatch.sort_key`) on the lead record: custom-field
filters are only checked there. The answer is the reference's
(:func:`~leadcore.dispatch.choose_reference`) because the database order is
the policy's and every SQL condition is one the policy also applies.

Claims (``reserve=True``):

- PostgreSQL and MariaDB/MySQL: the rows are fetched by one statement whose
  subquery locks them ``FOR UPDATE SKIP LOCKED``; the lock lasts as long as
  the unit of work's transaction, so a concurrent claim passes them by
  instead of waiting at the head of the queue or racing for the same lead.
  The outer query re-reads the locked rows, and Python re-checks and
  re-sorts them, so that rows a lock returns out of order do no harm.
- SQLite: a commit takes the database's write lock, so writers are
  serialised; within one process, a lead chosen by a unit of work that has
  not ended is skipped by the others, as a row lock would make it.

Either way the last word is the lease's compare-and-set at commit
(:meth:`SqlDispatch.put_lease`). On PostgreSQL, the claim's commit sends its
writes as one statement (:mod:`leadcore.storage.sql._dispatch_claim`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
from sqlalchemy import Row

from leadcore.dispatch._agent import Agent, AgentLoad, cap_reached
from leadcore.dispatch._candidate import Candidate
from leadcore.dispatch._choice import Choice
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._policy import exclusion, make_choice, sort_key
from leadcore.dispatch._pools import PoolPlan, ProjectPools, plan_pools
from leadcore.dispatch._projection import candidate_of
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ConflictError
from leadcore.leads._model import Lead
from leadcore.storage.sql._codec import decode, from_micros, micros
from leadcore.storage.sql._dispatch_claim import write_claim
from leadcore.storage.sql._dispatch_order import CANDIDATES, Lookup, statements_for
from leadcore.storage.sql._dispatch_queue import want_unpark
from leadcore.storage.sql._dispatch_records import (
    CLAIM_HEADS,
    CLAIMS,
    FILTERS,
    LEASES,
    POOLS,
    lease_of,
)
from leadcore.storage.sql._dispatch_reservations import held_by_other, reserve_lead
from leadcore.storage.sql._tables import LEADS, bounded
from leadcore.storage.sql._tx import SqlTransaction, moment
from leadcore.workflow import Workflow

__all__ = ["AVAILABLE", "SqlDispatch", "repository"]

#: Whether the SQL storage declares ``Capabilities.dispatch``.
AVAILABLE: Final = True

_MICROSECOND: Final = timedelta(microseconds=1)


# Lookups of one "next" that may find their lead reserved meanwhile (SQLite, threads of
# one process) before it gives up with a conflict, which the service retries.
_RESERVE_LOOKS: Final = 8


class SqlDispatch:
    """Dispatch records of one unit of work over a :class:`~leadcore.storage.sql.SqlStorage`."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    # -- configuration ---------------------------------------------------------------

    def pools(self, organization_id: str, project_id: str) -> ProjectPools | None:
        """The project's pools."""
        return self._tx.get(POOLS, (organization_id, project_id))

    def set_pools(self, organization_id: str, project_id: str, pools: ProjectPools) -> None:
        """Store the project's pools."""
        bounded(project_id, "project_id")
        self._tx.put(POOLS, (organization_id, project_id), pools)

    def agent_filter(
        self, organization_id: str, project_id: str, agent_id: str
    ) -> AgentFilter | None:
        """An agent's filter."""
        return self._tx.get(FILTERS, (organization_id, project_id, agent_id))

    def set_agent_filter(
        self, organization_id: str, project_id: str, agent_id: str, value: AgentFilter | None
    ) -> None:
        """Store or remove an agent's filter."""
        key = (organization_id, bounded(project_id, "project_id"), bounded(agent_id, "agent_id"))
        if value is None:
            self._tx.delete(FILTERS, key)
        else:
            self._tx.put(FILTERS, key, value)

    # -- leases and claims -------------------------------------------------------------

    def lease(self, organization_id: str, lead_id: str) -> Lease | None:
        """The lead's lease record."""
        return self._tx.get(LEASES, (organization_id, lead_id))

    def leases(self, organization_id: str, lead_ids: Collection[str]) -> dict[str, Lease]:
        """Lease records of these leads (in a few queries)."""
        keys = [(organization_id, lead_id) for lead_id in dict.fromkeys(lead_ids)]
        self._tx.meet(LEASES, keys)
        out = {}
        for key in keys:
            lease = self._tx.get(LEASES, key)
            if lease is not None:
                out[key[1]] = lease
        return out

    def put_lease(self, organization_id: str, lease: Lease, *, expected_token: int | None) -> None:
        """Compare-and-set the lead's lease record (and on its row's revision at commit).

        The record compared is the one this unit of work met (read again only if
        it never did): the commit compares the row's revision with that one, so
        a claim committed since then makes the commit conflict either way.
        """
        stored = self._tx.known(LEASES, (organization_id, lease.lead_id))
        token = None if stored is None else stored.token
        if token != expected_token:
            raise ConflictError(
                f"lead {lease.lead_id!r} was claimed meanwhile (token {token}, "
                f"expected {expected_token})"
            )
        bounded(lease.lead_id, "lease.lead_id")
        self._tx.put(LEASES, (organization_id, lease.lead_id), lease)

    def record_claim(
        self, organization_id: str, project_id: str, agent_id: str, at: datetime
    ) -> None:
        """Log one claim and bump the agent's claim count, which concurrent claims conflict on."""
        head = (organization_id, bounded(project_id, "project_id"), bounded(agent_id, "agent_id"))
        count = self._tx.get(CLAIM_HEADS, head) or 0
        self._tx.put(CLAIM_HEADS, head, count + 1)
        self._tx.put(CLAIMS, (*head, count + 1), at)

    def claim_times(
        self, organization_id: str, project_id: str, agent_id: str, since: datetime
    ) -> Sequence[datetime]:
        """Claim times after ``since``, oldest first (this unit of work's own included).

        Reading the agent's claim count makes this unit of work conflict with
        any claim of the same agent in the project committed meanwhile.
        """
        self._tx.get(CLAIM_HEADS, (organization_id, project_id, agent_id))
        c = CLAIMS.table.c
        since_us = micros(since)
        times = self._tx.scan(
            CLAIMS,
            organization_id,
            [c.project_id == project_id, c.agent_id == agent_id, c.at_us > since_us],
            lambda key, at: key[1] == project_id and key[2] == agent_id and at > since,
        )
        return sorted(times)

    # -- candidates and the next lead -------------------------------------------------------

    def candidates(
        self, organization_id: str, project_id: str, workflow: Workflow
    ) -> list[Candidate]:
        """The project's candidates from committed data, oldest first."""
        # Through the queue, which holds a row for each lead of the project in a pool,
        # with its open callback: one statement, the leads by key.
        rows = self._tx.rows(
            CANDIDATES, organization_id, {"org": organization_id, "project": project_id}
        )
        out = []
        for row in rows:
            found = candidate_of(
                decode(row.record, Lead), workflow, None, blocked=bool(row.blocked)
            )
            if found is not None:
                out.append(_with_callback(found, row))
        return out

    def next_choice(
        self,
        organization_id: str,
        project_id: str,
        agent: Agent,
        *,
        rules: ProjectRules,
        pools: ProjectPools,
        workflow: Workflow,
        now: datetime,
        load: AgentLoad,
        reserve: bool = False,
    ) -> Choice | None:
        """The policy's lead for ``agent`` at ``now``, tier by tier from the queue.

        With ``reserve``, the lead's queue row stays locked (PostgreSQL,
        MariaDB/MySQL) or reserved in this process (SQLite) until the unit of
        work ends, and leads other units of work hold are passed by.
        """
        if cap_reached(rules, load) is not None or not pools.pools:
            return None
        tx = self._tx
        now_us = micros(now)
        plan = plan_pools(pools, agent.id, rules)
        lock = reserve and tx.backend.name != "sqlite"
        grace = rules.callback_grace
        statements = statements_for(
            tx.backend.name,
            lock,
            plan.tiers,
            tuple(pool.id for pool in pools.pools),
            tuple((s.id, s.category) for s in workflow.statuses),
            agent.filter,
            rules.secondary_order,
            rules.no_status_first,
            rules.allow_multiple_relationships,
            grace is not None,
        )
        params: dict[str, Any] = {
            "org": organization_id,
            "project": project_id,
            "agent": agent.id,
            "now": now_us,
            "opened": 0 if grace is None else now_us - grace // _MICROSECOND,
        }
        # One round trip says which lookups can find anything: due callbacks (own, and
        # others' past the grace period) and leads parked by a lease that has ended
        # since (rare: commits put them back).
        flags = tx.rows(statements.probe, organization_id, params)[0]._mapping
        if reserve:
            revision = flags["head_revision"]
            count = None if revision is None else int(flags["head_count"])
            tx.vouch(
                CLAIM_HEADS,
                (organization_id, project_id, agent.id),
                count,
                None if revision is None else int(revision),
            )
        if flags["p0"]:
            want_unpark(tx, organization_id)
        look = {
            "own": bool(flags["p1"]),
            "open": grace is not None and bool(flags["p2"]),
            "pool": True,
            "parked": bool(flags["p0"]),
        }
        tiers = iter(statements.tiers)
        lookups = next(tiers, None)
        looks = 0
        while lookups is not None:
            found = None
            for lookup in lookups:
                if not look[lookup.kind]:
                    continue
                best = self._first_in(
                    organization_id, lookup, params, agent, rules, plan, workflow, now, reserve
                )
                if best is not None and (found is None or best[0].key < found[0].key):
                    found = best
            if found is None:
                lookups = next(tiers, None)
                continue
            choice, row, lead = found
            if reserve and not lock and not reserve_lead(tx, organization_id, choice.lead_id):
                # Another unit of work (SQLite, this process) reserved it since this lookup
                # met it free: look in this tier again, where it is now passed by. (With
                # a row lock, the lock is the reservation.)
                looks += 1
                if looks == _RESERVE_LOOKS:
                    raise ConflictError(f"lead {choice.lead_id!r} was chosen by another agent")
                continue
            if lock:
                # The lead's queue row is locked until this unit of work ends, and a
                # commit that changes the lead or its lease must lock that row before
                # it can end: what the lookup read of both stays current.
                key = (organization_id, choice.lead_id)
                tx.vouch(LEADS, key, lead, int(row.lead_revision))
                lease = None if row.token is None else lease_of(row)
                revision = None if lease is None else int(row.lease_revision)
                tx.vouch(LEASES, key, lease, revision)
                if tx.backend.name == "postgresql":
                    # The claim's commit then goes to the database as one statement.
                    tx.whole_write = write_claim
            return choice
        return None

    def _first_in(
        self,
        org: str,
        lookup: Lookup,
        params: dict[str, Any],
        agent: Agent,
        rules: ProjectRules,
        plan: PoolPlan,
        workflow: Workflow,
        now: datetime,
        reserve: bool,
    ) -> tuple[Choice, Row[Any], Lead] | None:
        """The best lead of one lookup that passes the policy (with its row), or ``None``."""
        # Without a row lock (SQLite), leads other units of work reserved are passed by here.
        passing = reserve and self._tx.backend.name == "sqlite"
        after: tuple[Any, ...] | None = None
        width = lookup.width
        while True:
            # Taken before the statement: a reservation committed later still holds for it.
            seen_at = moment()
            if after is None:
                rows = self._tx.rows(lookup.first, org, params)
            else:
                more = params | {f"a{i}": value for i, value in enumerate(after)}
                rows = self._tx.rows(lookup.more, org, more)
            if not rows:
                return None
            best: tuple[Choice, Row[Any], Lead] | None = None
            for row in rows:
                position = tuple(row._mapping[f"o{i}"] for i in range(width))
                if after is None or position > after:
                    after = position
                if passing and held_by_other(self._tx, org, row.lead_id, seen_at):
                    continue
                lead = decode(row.record, Lead)
                choice = self._check(lead, row, agent, rules, plan, workflow, now)
                if choice is not None and (best is None or choice.key < best[0].key):
                    best = (choice, row, lead)
            if best is not None:
                return best
            if len(rows) < lookup.batch:
                return None

    @staticmethod
    def _check(
        lead: Lead,
        row: Row[Any],
        agent: Agent,
        rules: ProjectRules,
        plan: PoolPlan,
        workflow: Workflow,
        now: datetime,
    ) -> Choice | None:
        candidate = candidate_of(lead, workflow, None)
        if candidate is None:
            return None
        candidate = _with_callback(candidate, row)
        lease = None if row.token is None else lease_of(row)
        if exclusion(candidate, agent=agent, rules=rules, plan=plan, lease=lease, now=now):
            return None
        key = sort_key(candidate, agent_id=agent.id, rules=rules, plan=plan, now=now)
        return None if key is None else make_choice(candidate, key, rules)


def _with_callback(candidate: Candidate, row: Row[Any]) -> Candidate:
    """The candidate with the open callback its queue row holds (``callback_us``, owner)."""
    if row.callback_us is None:
        return candidate
    return attrs.evolve(
        candidate,
        callback_at=from_micros(int(row.callback_us)),
        callback_owner_id=row.callback_owner_id,
    )


def repository(tx: SqlTransaction) -> SqlDispatch:
    """The dispatch repository of a unit of work."""
    return SqlDispatch(tx)
