"""The memory adapter's dispatch: a :class:`DispatchIndex` per project, kept current on commit.

The index answers "next lead" in ``O(log n)``; it is built from committed data
the first time a project is asked for, then updated by a commit listener in
the same instant as every change to leads, callback tasks, the do-not-call
list and leases. The lease itself is written through the unit of work with
compare-and-set, so two agents that were shown the same lead cannot both
claim it; a lead chosen for a claim in progress is reserved, so that agents
asking at the same instant are shown different leads rather than race.
"""

from __future__ import annotations

import bisect
import weakref
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from leadcore.dispatch._agent import Agent, AgentLoad
from leadcore.dispatch._candidate import Candidate
from leadcore.dispatch._choice import Choice
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._index import DispatchIndex
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._pools import ProjectPools
from leadcore.dispatch._projection import candidate_of, pending_callback
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ConflictError
from leadcore.leads._model import Lead
from leadcore.storage._memory_tx import Changes, Committed, Transaction
from leadcore.workflow import Workflow

__all__ = ["DispatchEngine", "MemoryDispatch"]

_Key = tuple[str, str]  # (organisation, project)
_DO_NOT_CALL = "do_not_call"
# Claims are rows keyed (project id, agent id, n), n counting the agent's claims in the
# project; the head row (that count) makes two concurrent claims of one agent in one
# project conflict, so caps hold.
_CLAIMS = "dispatch_claims"
_CLAIM_HEADS = "dispatch_claim_heads"
# A reservation whose unit of work neither committed nor went away is ignored after
# this many commits: reservations only spare work, the lease's compare-and-set decides.
_RESERVATION_COMMITS = 1000
_FOREVER = datetime.max.replace(tzinfo=UTC)


class DispatchEngine:
    """The per-storage indexes; every method runs with the store's lock held."""

    def __init__(self, committed: Committed) -> None:
        self._c = committed
        self._indexes: dict[_Key, DispatchIndex] = {}
        self._workflows: dict[_Key, Workflow] = {}
        # Committed claim times per (organisation, project, agent), sorted: built on first use.
        self._claims: dict[tuple[str, str, str], list[datetime]] = {}
        # (organisation, lead id) -> (the unit of work holding it, commit sequence then).
        self._reserved: dict[tuple[str, str], tuple[weakref.ref[object], int]] = {}
        self._reserved_floor = 64
        committed.listeners.append(self._on_commit)

    def _candidate(self, org: str, lead: Lead, workflow: Workflow) -> Candidate | None:
        callback = pending_callback(self._c.values(f"tasks:{lead.id}", org))
        blocked = any(self._c.value(_DO_NOT_CALL, org, phone) is not None for phone in lead.phones)
        return candidate_of(lead, workflow, callback, blocked=blocked)

    def candidates(self, org: str, project_id: str, workflow: Workflow) -> list[Candidate]:
        """The project's candidates from committed data."""
        out = []
        for lead in self._c.values("leads", org):
            if lead.project_id == project_id:
                found = self._candidate(org, lead, workflow)
                if found is not None:
                    out.append(found)
        return out

    def index(
        self,
        org: str,
        project_id: str,
        rules: ProjectRules,
        pools: ProjectPools,
        workflow: Workflow,
    ) -> DispatchIndex:
        """The project's index, (re)built when its rules, pools or workflow changed."""
        key = (org, project_id)
        found = self._indexes.get(key)
        if (
            found is not None
            and (found.rules is rules or found.rules == rules)
            and (found.pools is pools or found.pools == pools)
            and self._workflows[key] is workflow
        ):
            return found
        candidates = self.candidates(org, project_id, workflow)
        leases = [
            lease
            for lease in (self._c.value("leases", org, c.lead_id) for c in candidates)
            if lease is not None
        ]
        built = DispatchIndex(rules, pools, candidates, leases)
        self._indexes[key] = built
        self._workflows[key] = workflow
        return built

    def choose(
        self,
        org: str,
        index: DispatchIndex,
        agent: Agent,
        *,
        now: datetime,
        load: AgentLoad,
        holder: object | None,
    ) -> Choice | None:
        """The index's answer, skipping leads another live ``holder`` reserved; reserve it."""
        if holder is None:
            return index.next_for(agent, now=now, load=load)
        hidden: list[tuple[str, Lease | None]] = []
        try:
            while True:
                choice = index.next_for(agent, now=now, load=load)
                if choice is None or not self._held_by_other(org, choice.lead_id, holder):
                    break
                # Parked for this query only, as a row lock makes SKIP LOCKED pass it by.
                hidden.append((choice.lead_id, index.lease(choice.lead_id)))
                index.set_lease(Lease(choice.lead_id, "", 0, now, _FOREVER))
        finally:
            for lead_id, lease in reversed(hidden):
                if lease is None:
                    index.drop_lease(lead_id)
                else:
                    index.set_lease(lease)
        if choice is not None:
            self._reserve(org, choice.lead_id, holder)
        return choice

    def _held_by_other(self, org: str, lead_id: str, holder: object) -> bool:
        held = self._reserved.get((org, lead_id))
        if held is None:
            return False
        owner = held[0]()
        return (
            owner is not None
            and owner is not holder
            and self._c.seq - held[1] < _RESERVATION_COMMITS
        )

    def _reserve(self, org: str, lead_id: str, holder: object) -> None:
        reserved = self._reserved
        if len(reserved) > self._reserved_floor:
            seq = self._c.seq
            for key, (ref, at) in list(reserved.items()):
                if ref() is None or seq - at >= _RESERVATION_COMMITS:
                    del reserved[key]
            self._reserved_floor = max(64, 2 * len(reserved))
        reserved[(org, lead_id)] = (weakref.ref(holder), self._c.seq)

    def claim_times(
        self, org: str, project_id: str, agent_id: str, since: datetime
    ) -> list[datetime]:
        """The agent's committed claim times in the project after ``since``, oldest first."""
        key = (org, project_id, agent_id)
        times = self._claims.get(key)
        if times is None:
            rows = self._c.tables.get(_CLAIMS, {}).get(org, {})
            times = sorted(
                at
                for row_key, at in rows.items()
                if isinstance(row_key, tuple)
                and row_key[:2] == key[1:]
                and isinstance(at, datetime)
            )
            self._claims[key] = times
        return times[bisect.bisect_right(times, since) :]

    def _on_commit(self, changes: Changes) -> None:
        for table, org, key, value in changes:
            if table == _CLAIMS:
                assert isinstance(key, tuple)
                assert isinstance(value, datetime)
                times = self._claims.get((org, key[0], key[1]))
                if times is not None:
                    bisect.insort(times, value)
            elif table == "leases":
                self._reserved.pop((org, str(key)), None)
                self._lease_changed(org, str(key), value if isinstance(value, Lease) else None)
            elif table == _DO_NOT_CALL:
                if any(o == org for o, _ in self._indexes):
                    for lead in self._c.values("leads", org):
                        if key in lead.phones:
                            self._lead_changed(org, lead.id, lead)
            elif table == "leads":
                self._lead_changed(org, str(key), value if isinstance(value, Lead) else None)
            elif table.startswith("tasks:"):
                lead = self._c.value("leads", org, table[len("tasks:") :])
                if isinstance(lead, Lead):
                    self._lead_changed(org, lead.id, lead)
            elif table in ("workflows:leads", "workflow_heads"):
                self._drop([k for k in self._indexes if k[0] == org])
            elif table in ("dispatch_pools", "projects"):
                self._drop([(org, str(key))])

    def _lease_changed(self, org: str, lead_id: str, lease: Lease | None) -> None:
        for (o, _), index in self._indexes.items():
            if o == org and lead_id in index:
                if lease is None:
                    index.drop_lease(lead_id)
                else:
                    index.set_lease(lease)

    def _drop(self, keys: list[_Key]) -> None:
        for k in keys:
            self._indexes.pop(k, None)
            self._workflows.pop(k, None)

    def _lead_changed(self, org: str, lead_id: str, lead: Lead | None) -> None:
        for (o, project_id), index in self._indexes.items():
            if o != org:
                continue
            candidate = None
            if lead is not None and lead.project_id == project_id:
                candidate = self._candidate(org, lead, self._workflows[(o, project_id)])
            if candidate is not None:
                index.upsert(candidate)
                lease = self._c.value("leases", org, lead_id)
                if isinstance(lease, Lease) and index.lease(lead_id) != lease:
                    index.set_lease(lease)
            elif lead_id in index:
                index.remove(lead_id)


class MemoryDispatch:
    """Dispatch records of one unit of work over a :class:`MemoryStorage`."""

    def __init__(self, tx: Transaction, engine: DispatchEngine, committed: Committed) -> None:
        self._tx = tx
        self._engine = engine
        self._c = committed

    def pools(self, organization_id: str, project_id: str) -> ProjectPools | None:
        """The project's pools."""
        found: ProjectPools | None = self._tx.read("dispatch_pools", organization_id, project_id)
        return found

    def set_pools(self, organization_id: str, project_id: str, pools: ProjectPools) -> None:
        """Store the project's pools."""
        self._tx.write("dispatch_pools", organization_id, project_id, pools)

    def agent_filter(
        self, organization_id: str, project_id: str, agent_id: str
    ) -> AgentFilter | None:
        """An agent's filter."""
        found: AgentFilter | None = self._tx.read(
            "dispatch_filters", organization_id, (project_id, agent_id)
        )
        return found

    def set_agent_filter(
        self, organization_id: str, project_id: str, agent_id: str, value: AgentFilter | None
    ) -> None:
        """Store or remove an agent's filter."""
        key = (project_id, agent_id)
        if value is None:
            self._tx.delete("dispatch_filters", organization_id, key)
        else:
            self._tx.write("dispatch_filters", organization_id, key, value)

    def lease(self, organization_id: str, lead_id: str) -> Lease | None:
        """The lead's lease record."""
        found: Lease | None = self._tx.read("leases", organization_id, lead_id)
        return found

    def leases(self, organization_id: str, lead_ids: Collection[str]) -> dict[str, Lease]:
        """Lease records of these leads."""
        out = {}
        for lead_id in lead_ids:
            lease = self.lease(organization_id, lead_id)
            if lease is not None:
                out[lead_id] = lease
        return out

    def put_lease(self, organization_id: str, lease: Lease, *, expected_token: int | None) -> None:
        """Compare-and-set the lead's lease record."""
        stored = self.lease(organization_id, lease.lead_id)
        token = None if stored is None else stored.token
        if token != expected_token:
            raise ConflictError(
                f"lead {lease.lead_id!r} was claimed meanwhile (token {token}, "
                f"expected {expected_token})"
            )
        self._tx.write("leases", organization_id, lease.lead_id, lease)

    def record_claim(
        self, organization_id: str, project_id: str, agent_id: str, at: datetime
    ) -> None:
        """Log one claim (and bump the agent's claim count, which concurrent claims conflict on)."""
        head = (project_id, agent_id)
        count: int = self._tx.read(_CLAIM_HEADS, organization_id, head) or 0
        self._tx.write(_CLAIM_HEADS, organization_id, head, count + 1)
        self._tx.write(_CLAIMS, organization_id, (*head, count + 1), at)

    def claim_times(
        self, organization_id: str, project_id: str, agent_id: str, since: datetime
    ) -> Sequence[datetime]:
        """Claim times after ``since``, oldest first, in ``O(log n)`` plus the answer.

        Reading the agent's claim count makes this unit of work conflict with
        any claim of the same agent in the project committed meanwhile.
        """
        head = (project_id, agent_id)
        mine: int = self._tx.read(_CLAIM_HEADS, organization_id, head) or 0
        with self._c.lock:
            committed: int = self._c.value(_CLAIM_HEADS, organization_id, head) or 0
            times = self._engine.claim_times(organization_id, project_id, agent_id, since)
        # Claims this unit of work made and has not committed yet.
        staged = [
            at
            for n in range(committed + 1, mine + 1)
            if (at := self._tx.read(_CLAIMS, organization_id, (*head, n))) is not None
            and at > since
        ]
        return sorted(times + staged) if staged else times

    def candidates(
        self, organization_id: str, project_id: str, workflow: Workflow
    ) -> list[Candidate]:
        """The project's candidates (committed data)."""
        with self._c.lock:
            return self._engine.candidates(organization_id, project_id, workflow)

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
        """Ask the project's index (committed data) for the agent's next lead.

        A reservation lasts until a commit writes the lead's lease or this unit
        of work is dropped.
        """
        with self._c.lock:
            index = self._engine.index(organization_id, project_id, rules, pools, workflow)
            return self._engine.choose(
                organization_id,
                index,
                agent,
                now=now,
                load=load,
                holder=self if reserve else None,
            )
