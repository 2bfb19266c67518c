"""Repository port of dispatch (re-exported by :mod:`leadcore.storage.protocols`)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from leadcore.dispatch._agent import Agent, AgentLoad
from leadcore.dispatch._candidate import Candidate
from leadcore.dispatch._choice import Choice
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._pools import ProjectPools
from leadcore.dispatch._rules import ProjectRules
from leadcore.workflow import Workflow

__all__ = ["DispatchRepository"]


class DispatchRepository(Protocol):
    """Pools, agent filters, leases, the claim log, and the "next lead" query.

    :meth:`next_choice` must give exactly the answer of
    :func:`leadcore.dispatch.choose_reference` over :meth:`candidates` and the
    stored leases (DESIGN.md invariant 6); how fast is the adapter's business.
    """

    def pools(self, organization_id: str, project_id: str) -> ProjectPools | None:
        """The project's pools and their order, or ``None`` when none are set."""
        ...

    def set_pools(self, organization_id: str, project_id: str, pools: ProjectPools) -> None:
        """Store the project's pools and their order."""
        ...

    def agent_filter(
        self, organization_id: str, project_id: str, agent_id: str
    ) -> AgentFilter | None:
        """The agent's dispatch filter in a project, or ``None``."""
        ...

    def set_agent_filter(
        self, organization_id: str, project_id: str, agent_id: str, value: AgentFilter | None
    ) -> None:
        """Store (or, with ``None``, remove) an agent's filter."""
        ...

    def lease(self, organization_id: str, lead_id: str) -> Lease | None:
        """The lead's lease record, or ``None`` if it was never claimed."""
        ...

    def leases(self, organization_id: str, lead_ids: Collection[str]) -> Mapping[str, Lease]:
        """The lease records of these leads (those that have one)."""
        ...

    def put_lease(self, organization_id: str, lease: Lease, *, expected_token: int | None) -> None:
        """Store a lease if the stored one has ``expected_token`` (``None``: none stored).

        Compare-and-set: ``ConflictError`` when another claim got there first.
        """
        ...

    def record_claim(
        self, organization_id: str, project_id: str, agent_id: str, at: datetime
    ) -> None:
        """Log one claim of an agent in a project (for the project's per-agent caps).

        Two claims of the same agent in the same project must not both
        commit unless each saw the other: two concurrent ones conflict.
        """
        ...

    def claim_times(
        self, organization_id: str, project_id: str, agent_id: str, since: datetime
    ) -> Sequence[datetime]:
        """The agent's claim times in the project after ``since``, oldest first."""
        ...

    def candidates(
        self, organization_id: str, project_id: str, workflow: Workflow
    ) -> Sequence[Candidate]:
        """The dispatch view of every lead of the project that sits in a pool.

        Built with :func:`leadcore.dispatch._projection.candidate_of`: a lead
        is ``do_not_call`` when one of its numbers is on the do-not-call list
        now, whenever that number was blocked.
        """
        ...

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
        """The lead the policy hands to ``agent`` now (not claimed yet), or ``None``.

        With ``reserve``, the chosen lead is held for this unit of work until
        it ends, and concurrent callers that also reserve skip it (as ``SELECT
        ... FOR UPDATE SKIP LOCKED`` does), so that agents pressing "next" at
        the same instant get different leads instead of racing for one. A
        reservation only spares work: the claim itself is still the
        compare-and-set of :meth:`put_lease`. Without ``reserve`` (and with
        no reservation of another unit of work pending) the answer is exactly
        the reference's.
        """
        ...
