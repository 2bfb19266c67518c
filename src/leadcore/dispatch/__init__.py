"""Dispatch: the call-centre "next lead" engine as pure data and functions.

Project rules, pools and their priority order, agent filters, the one
ordering policy every storage adapter shares, leases with a lock window and
fencing tokens, explanations, and an in-memory index that answers in
``O(log n)`` exactly as the brute-force reference does. Nothing here reads a
clock or touches storage: every function takes ``now``.

>>> from datetime import datetime, timedelta, timezone
>>> from leadcore.dispatch import (
...     Agent, Candidate, DispatchIndex, Pool, PoolKind, ProjectPools, ProjectRules, claim_lead)
>>> t = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
>>> rules = ProjectRules(no_status_first=True, lock_window_minutes=10)
>>> pools = ProjectPools([Pool("hot", PoolKind.PROJECT, "Hot"),
...                       Pool("cold", PoolKind.PROJECT, "Cold")], order=["hot", "cold"])
>>> index = DispatchIndex(rules, pools, [
...     Candidate(lead_id="l1", pool_id="cold", created_at=t - timedelta(days=3)),
...     Candidate(lead_id="l2", pool_id="hot", created_at=t - timedelta(days=2),
...               status_id="no_answer", category="in_progress"),
...     Candidate(lead_id="l3", pool_id="hot", created_at=t - timedelta(days=1)),
... ])
>>> choice = index.next_for(Agent("dana"), now=t)
>>> choice.lead_id, choice.rule.value
('l3', 'no_status_first')
>>> lease, claim = claim_lead(choice, "dana", rules=rules, now=t, previous=None)
>>> index.set_lease(lease)
>>> index.next_for(Agent("omer"), now=t).lead_id
'l2'
>>> index.next_for(Agent("omer"), now=claim.expires_at).lead_id
'l3'
"""

from __future__ import annotations

from leadcore._moved import moved_names as _moved_names
from leadcore._moved import renamed_names as _renamed_names
from leadcore.dispatch._agent import Agent, AgentLoad, CapPeriod, CapReached, cap_reached
from leadcore.dispatch._candidate import Candidate, FilterValue
from leadcore.dispatch._choice import Choice, OrderRule, SortKey, Tier
from leadcore.dispatch._explain import ExcludedLeads, Explanation, explain
from leadcore.dispatch._filters import (
    AgentFilter,
    FieldEquals,
    FieldIn,
    FieldRange,
    validate_filter,
)
from leadcore.dispatch._index import DispatchIndex
from leadcore.dispatch._leases import (
    Claim,
    Lease,
    check_token,
    claim_lead,
    extend_after_call,
    release_lease,
    renew_lease,
)
from leadcore.dispatch._policy import Exclusion, choose_reference
from leadcore.dispatch._pools import (
    Pool,
    PoolExclusion,
    PoolKind,
    PoolPlan,
    ProjectPools,
    plan_pools,
)
from leadcore.dispatch._rules import HistoryScope, ProjectRules, SecondaryOrder

__all__ = [
    "Agent",
    "AgentFilter",
    "AgentLoad",
    "Candidate",
    "CapPeriod",
    "CapReached",
    "Choice",
    "Claim",
    "DispatchIndex",
    "ExcludedLeads",
    "Exclusion",
    "Explanation",
    "FieldEquals",
    "FieldIn",
    "FieldRange",
    "FilterValue",
    "HistoryScope",
    "Lease",
    "OrderRule",
    "Pool",
    "PoolExclusion",
    "PoolKind",
    "PoolPlan",
    "ProjectPools",
    "ProjectRules",
    "SecondaryOrder",
    "SortKey",
    "Tier",
    "cap_reached",
    "check_token",
    "choose_reference",
    "claim_lead",
    "explain",
    "extend_after_call",
    "plan_pools",
    "release_lease",
    "renew_lease",
    "validate_filter",
]

# Kept for one release, with a warning: ``FieldValue`` is named ``FilterValue`` here
# (``leadcore.leads.FieldValue`` is a lead's field value, dates and ``None`` included), and
# the building blocks of the reference policy are private (``choose_reference`` stays).
__getattr__ = _renamed_names(
    "leadcore.dispatch",
    {"FieldValue": "leadcore.dispatch.FilterValue"},
    otherwise=_moved_names(
        "leadcore.dispatch",
        dict.fromkeys(
            ("exclusion", "make_choice", "pool_order_key", "rank_reference", "sort_key"),
            "leadcore.dispatch._policy",
        ),
    ),
)
