"""The answer of the ordering policy: which lead, from which tier, by which rule."""

from __future__ import annotations

import enum

import attrs

__all__ = ["Choice", "OrderRule", "SortKey", "Tier"]

#: ``(tier, order, lead_id)``: smaller comes first. ``tier`` is 0 for the agent's due
#: callbacks, 1 for other agents' callbacks past their grace period and ``2 + i`` for
#: the agent's ``i``-th pool tier; ``order`` is the callback time or the in-tier order
#: (no-status rank and secondary order folded into one integer); the lead id breaks ties.
SortKey = tuple[int, int, str]


class Tier(enum.StrEnum):
    """The tier a lead was handed out from."""

    OWN_CALLBACK = "own_callback"
    """A callback of this agent that has fallen due."""
    OPEN_CALLBACK = "open_callback"
    """Another agent's callback, open to the project after the grace period."""
    POOL = "pool"
    """A pool tier of the agent's plan."""

    @property
    def order(self) -> int:
        """The first ``tier`` number of a ``SortKey`` in this tier."""
        return _TIER_ORDER[self]


_TIER_ORDER = {Tier.OWN_CALLBACK: 0, Tier.OPEN_CALLBACK: 1, Tier.POOL: 2}


class OrderRule(enum.StrEnum):
    """The rule that put the chosen lead ahead of the others in its tier."""

    CALLBACK_DUE = "callback_due"
    """Due callbacks come first, earliest first."""
    CALLBACK_GRACE = "callback_grace"
    """Callbacks past their grace period come next, earliest first."""
    NO_STATUS_FIRST = "no_status_first"
    """The rule ``no_status_first``: a lead with no status before any with one."""
    SECONDARY_ORDER = "secondary_order"
    """The project's secondary order (then the lead id)."""


@attrs.frozen
class Choice:
    """The lead the policy hands to an agent, and why.

    ``pool_rank`` is the position of the pool's tier in the agent's plan
    (``None`` for callbacks); ``key`` is the policy's sort key.
    """

    lead_id: str
    """The lead handed out."""
    tier: Tier
    """The tier of the ordering policy it came from."""
    rule: OrderRule
    """The rule that put it first in its tier."""
    pool_id: str
    """The pool it came from."""
    pool_rank: int | None
    key: SortKey
