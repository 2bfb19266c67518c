"""Explanations: why an agent gets this lead, or why they get none."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from leadcore.dispatch._agent import Agent, AgentLoad, CapReached, cap_reached
from leadcore.dispatch._candidate import Candidate
from leadcore.dispatch._choice import Choice, OrderRule, Tier
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._policy import Exclusion, exclusion, make_choice, sort_key
from leadcore.dispatch._pools import PoolExclusion, ProjectPools, plan_pools
from leadcore.dispatch._rules import ProjectRules, SecondaryOrder

__all__ = ["ExcludedLeads", "Explanation", "explain"]


_REASON_TEXT = {
    Exclusion.DONE: "done",
    Exclusion.CONVERTED: "converted",
    Exclusion.DO_NOT_CALL: "on the do-not-call list",
    Exclusion.UNKNOWN_POOL: "in pools outside the project",
    Exclusion.CALLBACK_NOT_DUE: "waiting for a callback",
    Exclusion.CALLBACK_RESERVED: "due callbacks of other agents",
    Exclusion.POOL_UNAVAILABLE: "in pools this agent does not draw from",
    Exclusion.ASSIGNED_ELSEWHERE: "assigned to someone else",
    Exclusion.FILTERED: "outside the agent's filter",
    Exclusion.LEASED: "leased by other agents",
    Exclusion.HELD: "already held by this agent",
}

_UNTIL_TEXT = {
    Exclusion.CALLBACK_NOT_DUE: "the first falls due at",
    Exclusion.CALLBACK_RESERVED: "the first opens to everyone at",
    Exclusion.LEASED: "the first frees up at",
    Exclusion.HELD: "the first frees up at",
}

_ORDER_TEXT = {
    SecondaryOrder.OLDEST_FIRST: "oldest first",
    SecondaryOrder.NEWEST_FIRST: "newest first",
    SecondaryOrder.LEAST_RECENTLY_CONTACTED: "least recently contacted first",
    SecondaryOrder.FEWEST_ATTEMPTS: "fewest attempts first",
}


@attrs.frozen
class ExcludedLeads:
    """How many leads one reason kept from the agent.

    ``until`` is when the first of them may come back: the earliest lease
    expiry (leased, held), due time (callbacks not due) or opening time
    (callbacks reserved for their owner, with a grace period); else ``None``.
    """

    reason: Exclusion
    """Why these leads were kept from the agent."""
    count: int
    """How many leads it kept."""
    until: datetime | None = None

    def __str__(self) -> str:
        noun = "lead" if self.count == 1 else "leads"
        text = f"{self.count} {noun} {_REASON_TEXT[self.reason]}"
        if self.until is not None:
            text += f" ({_UNTIL_TEXT[self.reason]} {self.until.isoformat()})"
        return text


@attrs.frozen
class Explanation:
    """Why ``agent_id`` gets ``choice`` at ``at``, or why nothing.

    Structured (every field is plain data that round-trips through
    :mod:`leadcore.serde`) and readable (:meth:`text`).
    """

    agent_id: str
    """The agent the explanation is for."""
    at: datetime
    """The instant it was computed for."""
    choice: Choice | None
    """The lead the agent would get now, or ``None``."""
    candidates: int
    """How many leads of the project's pools were considered."""
    eligible: int
    """How many of them the agent could be handed."""
    excluded: tuple[ExcludedLeads, ...]
    """For each reason that kept leads away, how many (in the policy's order)."""
    pool_tiers: tuple[tuple[str, ...], ...]
    """The agent's pool tiers, first to last: the pool ids of each."""
    empty_pools: tuple[str, ...]
    """Pools of the agent's plan that hold no lead."""
    unavailable_pools: dict[str, PoolExclusion] = attrs.field(hash=False)
    """Pools the agent does not draw from, each with the reason."""
    cap: CapReached | None
    """The per-agent cap the agent has reached, if any."""
    secondary_order: SecondaryOrder
    """The project's order inside a tier."""
    lock_window_minutes: int
    """The project's lock window."""
    agent_name: str | None = None
    """The agent's name, which :meth:`text` shows (the id when ``None``)."""
    lead_name: str | None = None
    """The name of the chosen lead, which :meth:`text` shows (the id when ``None``)."""
    pool_names: dict[str, str] = attrs.field(factory=dict, hash=False)
    """The name of each pool by id, which :meth:`text` shows (the id when missing)."""

    @property
    def found(self) -> bool:
        """Whether a lead is handed out."""
        return self.choice is not None

    def text(self) -> str:
        """The explanation as a few readable sentences."""
        lines: list[str] = []
        choice = self.choice
        agent = self.agent_name or self.agent_id
        if choice is not None:
            lead = self.lead_name or choice.lead_id
            lines.append(f"{agent} gets {lead}: {self._why(choice)}.")
            others = self.eligible - 1
            if others:
                lines.append(
                    f"{others} other {'lead is' if others == 1 else 'leads are'} eligible."
                )
        elif self.cap is not None:
            lines.append(f"No lead for {agent}: cap reached ({self.cap}).")
        elif not self.pool_tiers:
            lines.append(f"No lead for {agent}: there is no pool to draw from.")
        else:
            lines.append(f"No lead for {agent}: none of {self.candidates} is eligible.")
        if self.excluded:
            lines.append("Excluded: " + "; ".join(str(e) for e in self.excluded) + ".")
        if self.empty_pools:
            lines.append("Empty pools: " + ", ".join(map(self._pool, self.empty_pools)) + ".")
        if self.unavailable_pools and (choice is None or self.candidates == 0):
            off = sorted(self._pool(p) for p, r in self.unavailable_pools.items() if r is _OFF)
            if off:
                lines.append(
                    "Project pools are not included (rule include_project_pools): "
                    + ", ".join(off)
                    + "."
                )
        if self.lock_window_minutes == 0 and choice is not None:
            lines.append("The lock window is 0: other agents may load this lead too.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def _pool(self, pool_id: str) -> str:
        return self.pool_names.get(pool_id, pool_id)

    def _why(self, choice: Choice) -> str:
        pool = self._pool(choice.pool_id)
        if choice.tier is Tier.OWN_CALLBACK:
            return f"their callback is due (pool {pool})"
        if choice.tier is Tier.OPEN_CALLBACK:
            return f"another agent's callback is past its grace period (pool {pool})"
        rank = choice.pool_rank or 0
        tier = self.pool_tiers[rank] if rank < len(self.pool_tiers) else (choice.pool_id,)
        where = (
            f"pool {pool}"
            if len(tier) == 1
            else f"pool {pool} (all pools of tier {', '.join(map(self._pool, tier))} merged)"
        )
        order = _ORDER_TEXT[self.secondary_order]
        if choice.rule is OrderRule.NO_STATUS_FIRST:
            how = f"no-status leads first, then {order}"
        else:
            how = order
        return f"from {where}, tier {rank + 1} of {len(self.pool_tiers)}; {how}"


_OFF = PoolExclusion.PROJECT_POOLS_OFF


def explain(
    candidates: Iterable[Candidate],
    leases: Mapping[str, Lease],
    agent: Agent,
    rules: ProjectRules,
    pools: ProjectPools,
    *,
    now: datetime,
    load: AgentLoad | None = None,
    agent_name: str | None = None,
) -> Explanation:
    """Explain the policy's answer for ``agent`` at ``now`` (the same answer as the reference).

    The text names the agent by ``agent_name`` and the pools by their names;
    the ids stay in the structured fields.

    >>> from datetime import datetime, timezone
    >>> from leadcore.dispatch import Candidate, Pool, PoolKind
    >>> t = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    >>> pools = ProjectPools([Pool("p", PoolKind.PROJECT, "P"), Pool("q", PoolKind.PROJECT, "Q")])
    >>> leads = [Candidate(lead_id="a", pool_id="p", created_at=t, status_id="won",
    ...                    category="done")]
    >>> print(explain(leads, {}, Agent("dana"), ProjectRules(), pools, now=t).text())
    No lead for dana: none of 1 is eligible.
    Excluded: 1 lead done.
    Empty pools: Q.
    """
    plan = plan_pools(pools, agent.id, rules)
    cap = None if load is None else cap_reached(rules, load)
    counts: Counter[Exclusion] = Counter()
    until: dict[Exclusion, datetime] = {}
    per_pool: Counter[str] = Counter()
    best: tuple[tuple[int, int, str], Candidate] | None = None
    total = eligible = 0
    grace = rules.callback_grace
    for lead in candidates:
        total += 1
        per_pool[lead.pool_id] += 1
        lease = leases.get(lead.lead_id)
        reason = exclusion(lead, agent=agent, rules=rules, plan=plan, lease=lease, now=now)
        if reason is None:
            key = sort_key(lead, agent_id=agent.id, rules=rules, plan=plan, now=now)
            assert key is not None  # exclusion() and sort_key() agree on what has a place
            eligible += 1
            if best is None or key < best[0]:
                best = (key, lead)
            continue
        counts[reason] += 1
        when: datetime | None = None
        if reason in (Exclusion.LEASED, Exclusion.HELD) and lease is not None:
            when = lease.expires_at
        elif reason is Exclusion.CALLBACK_NOT_DUE:
            when = lead.callback_at
        elif reason is Exclusion.CALLBACK_RESERVED and grace is not None:
            assert lead.callback_at is not None
            when = lead.callback_at + grace
        if when is not None and (reason not in until or when < until[reason]):
            until[reason] = when
    choice = None if best is None or cap is not None else make_choice(best[1], best[0], rules)
    excluded = tuple(
        ExcludedLeads(reason, counts[reason], until.get(reason))
        for reason in Exclusion
        if counts[reason]
    )
    return Explanation(
        agent_id=agent.id,
        at=now,
        choice=choice,
        candidates=total,
        eligible=0 if cap is not None else eligible,
        excluded=excluded,
        pool_tiers=plan.tiers,
        empty_pools=tuple(p for p in plan.pool_ids if not per_pool[p]),
        unavailable_pools=dict(plan.excluded),
        cap=cap,
        secondary_order=rules.secondary_order,
        lock_window_minutes=rules.lock_window_minutes,
        agent_name=agent_name,
        pool_names={p.id: p.name for p in pools.pools},
    )
