"""The one ordering policy every adapter shares: who gets which lead next, and what is excluded.

Order, first to last:

1. this agent's callbacks that have fallen due, earliest first;
2. with a grace period, other agents' callbacks due for longer than it,
   earliest first;
3. the agent's pool tiers (:func:`~leadcore.dispatch.plan_pools`), first tier
   first; inside a tier, leads with no status first when ``no_status_first``
   is on, then the secondary order, then the lead id.

Never handed out (:class:`Exclusion`): done-category, converted and
do-not-call leads, leads of pools outside the project, callbacks not yet
open to this agent, leads of pools the agent does not draw from, leads
assigned to someone else while ``allow_multiple_relationships`` is off,
leads outside the agent's filter (the agent's own callbacks excepted: they
are promises the agent made), leads under a live lease (anyone's, the
agent's own included: "next" means another lead), and everything once the
agent reached a cap.

:func:`sort_key` and :func:`exclusion` are what an adapter needs to agree with
:func:`choose_reference`, the brute-force reference that ranks every candidate.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

from leadcore.dispatch._agent import Agent, AgentLoad, cap_reached
from leadcore.dispatch._candidate import Candidate, microseconds
from leadcore.dispatch._choice import Choice, OrderRule, SortKey, Tier
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._pools import PoolPlan, ProjectPools, plan_pools
from leadcore.dispatch._rules import ProjectRules, SecondaryOrder

__all__ = [
    "Exclusion",
    "choose_reference",
    "exclusion",
    "make_choice",
    "pool_order_key",
    "rank_reference",
    "sort_key",
]

#: The first tier number of pools in a :data:`SortKey` (0 and 1 are the callback tiers).
POOL_TIER_BASE = Tier.POOL.order
# Every timestamp of years 1..9999 in microseconds lies strictly between these.
_NEVER = -(2**63) + 1
_NO_STATUS_SHIFT = 64


class Exclusion(enum.StrEnum):
    """Why a lead is not handed to an agent; the first that applies, in this order."""

    DONE = "done"
    """Its status is in the ``done`` category."""
    CONVERTED = "converted"
    """It was converted."""
    DO_NOT_CALL = "do_not_call"
    """Its number is on the do-not-call list."""
    UNKNOWN_POOL = "unknown_pool"
    """It sits in a pool that is not one of the project's."""
    CALLBACK_NOT_DUE = "callback_not_due"
    """It waits for a callback that has not fallen due."""
    CALLBACK_RESERVED = "callback_reserved"
    """Its due callback belongs to another agent (no grace period, or not yet past it)."""
    POOL_UNAVAILABLE = "pool_unavailable"
    """It sits in a pool the agent does not draw from."""
    ASSIGNED_ELSEWHERE = "assigned_elsewhere"
    """It is assigned to someone else and multiple relationships are off."""
    FILTERED = "filtered"
    """It is outside the agent's filter."""
    LEASED = "leased"
    """Another agent holds a live lease on it."""
    HELD = "held"
    """The agent already holds a live lease on it."""


def pool_order_key(lead: Candidate, rules: ProjectRules) -> int:
    """The in-tier order of a lead as one integer: no-status rank, then the secondary order.

    Smaller comes first. Least recently contacted puts never-contacted leads
    first.
    """
    order = rules.secondary_order
    if order is SecondaryOrder.OLDEST_FIRST:
        secondary = microseconds(lead.created_at)
    elif order is SecondaryOrder.NEWEST_FIRST:
        secondary = -microseconds(lead.created_at)
    elif order is SecondaryOrder.LEAST_RECENTLY_CONTACTED:
        last = lead.last_contact_at
        secondary = _NEVER if last is None else microseconds(last)
    else:
        secondary = lead.attempts
    if rules.no_status_first and lead.status_id is not None:
        return (1 << _NO_STATUS_SHIFT) + secondary
    return secondary


def sort_key(
    lead: Candidate, *, agent_id: str, rules: ProjectRules, plan: PoolPlan, now: datetime
) -> SortKey | None:
    """The lead's place in this agent's order at ``now``, or ``None`` when it has none.

    ``None`` means a callback not (yet) open to this agent or a pool outside
    the agent's plan. The key says nothing about the other exclusions; see
    :func:`exclusion`.
    """
    callback_at = lead.callback_at
    if callback_at is not None:
        if lead.callback_owner_id == agent_id:
            if callback_at <= now:
                return (Tier.OWN_CALLBACK.order, microseconds(callback_at), lead.lead_id)
            return None
        grace = rules.callback_grace
        if grace is not None and callback_at + grace <= now:
            return (Tier.OPEN_CALLBACK.order, microseconds(callback_at), lead.lead_id)
        return None
    rank = plan.rank.get(lead.pool_id)
    if rank is None:
        return None
    return (POOL_TIER_BASE + rank, pool_order_key(lead, rules), lead.lead_id)


def exclusion(
    lead: Candidate,
    *,
    agent: Agent,
    rules: ProjectRules,
    plan: PoolPlan,
    lease: Lease | None,
    now: datetime,
) -> Exclusion | None:
    """The first reason this lead may not go to ``agent`` at ``now``, or ``None`` when it may."""
    if lead.is_done:
        return Exclusion.DONE
    if lead.converted:
        return Exclusion.CONVERTED
    if lead.do_not_call:
        return Exclusion.DO_NOT_CALL
    if not plan.knows(lead.pool_id):
        return Exclusion.UNKNOWN_POOL
    flt = agent.filter
    callback_at = lead.callback_at
    if callback_at is not None:
        if callback_at > now:
            return Exclusion.CALLBACK_NOT_DUE
        if lead.callback_owner_id != agent.id:
            grace = rules.callback_grace
            if grace is None or callback_at + grace > now:
                return Exclusion.CALLBACK_RESERVED
            if flt is not None and not flt.matches(lead):
                return Exclusion.FILTERED
    else:
        if lead.pool_id not in plan.rank:
            return Exclusion.POOL_UNAVAILABLE
        if (
            not rules.allow_multiple_relationships
            and lead.assigned_user_ids
            and agent.id not in lead.assigned_user_ids
        ):
            return Exclusion.ASSIGNED_ELSEWHERE
        if flt is not None and not flt.matches(lead):
            return Exclusion.FILTERED
    if lease is not None and lease.is_live(now):
        return Exclusion.HELD if lease.agent_id == agent.id else Exclusion.LEASED
    return None


def make_choice(lead: Candidate, key: SortKey, rules: ProjectRules) -> Choice:
    """The :class:`Choice` for a lead at its sort key (shared, so every adapter answers alike)."""
    tier_number = key[0]
    if tier_number == Tier.OWN_CALLBACK.order:
        return Choice(
            lead.lead_id, Tier.OWN_CALLBACK, OrderRule.CALLBACK_DUE, lead.pool_id, None, key
        )
    if tier_number == Tier.OPEN_CALLBACK.order:
        return Choice(
            lead.lead_id, Tier.OPEN_CALLBACK, OrderRule.CALLBACK_GRACE, lead.pool_id, None, key
        )
    rule = (
        OrderRule.NO_STATUS_FIRST
        if rules.no_status_first and lead.status_id is None
        else OrderRule.SECONDARY_ORDER
    )
    return Choice(lead.lead_id, Tier.POOL, rule, lead.pool_id, tier_number - POOL_TIER_BASE, key)


def rank_reference(
    candidates: Iterable[Candidate],
    leases: Mapping[str, Lease],
    agent: Agent,
    rules: ProjectRules,
    pools: ProjectPools,
    *,
    now: datetime,
    load: AgentLoad | None = None,
) -> list[Choice]:
    """Every lead the agent could get at ``now``, best first, by sorting all of them.

    ``leases`` maps lead ids to their current lease. Empty when the agent
    reached a cap. This is the reference the indexes are tested against;
    it costs ``O(n log n)``.
    """
    if load is not None and cap_reached(rules, load) is not None:
        return []
    plan = plan_pools(pools, agent.id, rules)
    ranked: list[tuple[SortKey, Candidate]] = []
    for lead in candidates:
        lease = leases.get(lead.lead_id)
        if exclusion(lead, agent=agent, rules=rules, plan=plan, lease=lease, now=now) is not None:
            continue
        key = sort_key(lead, agent_id=agent.id, rules=rules, plan=plan, now=now)
        if key is not None:
            ranked.append((key, lead))
    ranked.sort(key=lambda pair: pair[0])
    return [make_choice(lead, key, rules) for key, lead in ranked]


def choose_reference(
    candidates: Iterable[Candidate],
    leases: Mapping[str, Lease],
    agent: Agent,
    rules: ProjectRules,
    pools: ProjectPools,
    *,
    now: datetime,
    load: AgentLoad | None = None,
) -> Choice | None:
    """The lead the policy hands to ``agent`` at ``now``, by ranking every candidate.

    >>> from datetime import datetime, timezone
    >>> from leadcore.dispatch import Pool, PoolKind
    >>> t = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    >>> pools = ProjectPools([Pool("p", PoolKind.PROJECT, "Project")])
    >>> leads = [Candidate(lead_id="a", pool_id="p", created_at=t, status_id="new",
    ...                    category="todo"),
    ...          Candidate(lead_id="b", pool_id="p", created_at=t)]
    >>> rules = ProjectRules(no_status_first=True)
    >>> choose_reference(leads, {}, Agent("dana"), rules, pools, now=t).lead_id
    'b'
    """
    ranked = rank_reference(candidates, leases, agent, rules, pools, now=now, load=load)
    return ranked[0] if ranked else None
