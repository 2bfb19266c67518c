"""Leases: an agent's claim on a lead, that expires by itself and fences stale writers.

A lead has at most one current :class:`Lease` record; every claim replaces it
with a larger fencing ``token``. A write made under a claim presents its
token, and :func:`check_token` refuses it (:class:`~leadcore.errors.LeaseLost`)
when the claim expired, was released or was superseded, or when the token is
not the presenting agent's own. With a lock window of 0 the record keeps
every agent's live token (:attr:`Lease.holders`), so that several agents may
work the lead at once, each fenced to their own claim. Nothing here reads a
clock: every function takes ``now``.

>>> from datetime import datetime, timezone
>>> from leadcore.dispatch import Choice, OrderRule, ProjectRules, Tier
>>> now = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
>>> choice = Choice("lead-1", Tier.POOL, OrderRule.SECONDARY_ORDER, "hot", 0, (2, 0, "lead-1"))
>>> lease, claim = claim_lead(choice, "dana", rules=ProjectRules(), now=now, previous=None)
>>> claim.token, claim.expires_at.strftime("%H:%M")
(1, '09:10')
>>> lease.is_live(now)
True
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from leadcore.dispatch._choice import Choice, OrderRule, Tier
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ConflictError, LeaseLost, ValidationError

if TYPE_CHECKING:
    from leadcore.leads._model import Lead
else:
    # The pure core must not import the leads package (it imports this one); at run
    # time the field holds whatever record the service attaches.
    Lead = object

__all__ = [
    "Claim",
    "Holder",
    "Lease",
    "check_token",
    "claim_lead",
    "extend_after_call",
    "release_lease",
    "renew_lease",
]


Holder = tuple[str, int]
"""An agent id and the token of that agent's claim."""


def _holders(pairs: Iterable[tuple[str, int]]) -> tuple[Holder, ...]:
    return tuple((str(agent), int(token)) for agent, token in pairs)


def _holders_by_default(lease: Lease) -> tuple[Holder, ...]:
    if lease.exclusive or lease.released:
        return ()
    return ((lease.agent_id, lease.token),)


@attrs.frozen
class Lease:
    """The current claim record of one lead.

    ``exclusive`` is false for claims made with a lock window of 0: they are
    recorded but lock the lead to nobody, and several agents may hold one at
    once. ``holders`` lists them: each agent's live token on the lead (one
    per agent, the latest it claimed), in token order. An exclusive lease has
    no ``holders``: its one holder is ``agent_id`` with ``token``.
    """

    lead_id: str
    """The claimed lead."""
    agent_id: str
    """The agent who made the latest claim."""
    token: int
    """The fencing token of the latest claim; every claim of a lead gets a larger one."""
    claimed_at: datetime
    """When the lead was claimed."""
    expires_at: datetime
    """When the claim runs out unless renewed or a call is logged."""
    exclusive: bool = True
    """Whether the claim locks the lead to its agent (a lock window above zero)."""
    released: bool = False
    """Whether the agent gave the lead back before it expired."""
    holders: tuple[Holder, ...] = attrs.field(
        default=attrs.Factory(_holders_by_default, takes_self=True),
        converter=_holders,
    )
    """Without a lock window: ``(agent id, token)`` of every claim still honoured."""

    @property
    def valid_from_token(self) -> int:
        """The oldest token still honoured for writes (``token`` after an exclusive claim)."""
        if self.exclusive or not self.holders:
            return self.token
        return min(token for _, token in self.holders)

    def holds(self, agent_id: str, token: int) -> bool:
        """Whether ``token`` is a claim of ``agent_id`` that this record still honours.

        Expiry is not looked at here: :func:`check_token` compares ``now``.
        """
        if self.exclusive:
            return token == self.token and agent_id == self.agent_id and not self.released
        return (agent_id, token) in self.holders

    def is_live(self, now: datetime) -> bool:
        """Whether the lease keeps the lead from every agent at ``now``.

        A lease stays live while ``now`` is before ``expires_at``, including
        when a clock has stepped back before ``claimed_at``.
        """
        return self.exclusive and not self.released and now < self.expires_at


@attrs.frozen
class Claim:
    """What an agent receives from dispatch: the lead, the fencing token and the dialer rules.

    ``alert_at`` is the claim time plus the project's wait before the alert;
    ``auto_dial`` says whether the dialer page dials at once. ``tier``,
    ``rule`` and ``pool_id`` say why this lead was chosen. ``lead`` is the
    lead record, attached by the dispatch service (``None`` as
    :func:`claim_lead` makes it).
    """

    lead_id: str
    """The claimed lead."""
    agent_id: str
    """The agent it was handed to."""
    token: int
    """The fencing token to present with every write made under this claim."""
    claimed_at: datetime
    """When the lead was claimed."""
    expires_at: datetime
    """When the claim runs out: the claim time plus the lock window."""
    alert_at: datetime
    """When the dialer page raises its alert."""
    auto_dial: bool
    """Whether the dialer page dials as soon as the lead is loaded."""
    exclusive: bool
    """Whether the claim locks the lead to this agent (a lock window above zero)."""
    tier: Tier
    """The tier of the ordering policy the lead came from."""
    rule: OrderRule
    """The rule that put this lead first in its tier."""
    pool_id: str
    """The pool the lead was drawn from."""
    lead: Lead | None = None
    """The lead record, as it was when claimed."""


def claim_lead(
    choice: Choice,
    agent_id: str,
    *,
    rules: ProjectRules,
    now: datetime,
    previous: Lease | None,
    token: int | None = None,
) -> tuple[Lease, Claim]:
    """Claim the chosen lead for ``agent_id``: the new lease record and the claim to hand out.

    ``previous`` is the lead's current lease record (or ``None``). The token
    is ``previous.token + 1`` unless a ``token`` from a global counter is
    given, which must be larger. The lease expires at ``now`` plus the lock
    window; with a window of 0 it is recorded but exclusive to nobody.
    Claiming a lead whose lease is live raises
    :class:`~leadcore.errors.ConflictError`.
    """
    lead_id = choice.lead_id
    if previous is not None:
        if previous.lead_id != lead_id:
            raise ValidationError(
                "claim_lead: the previous lease is of another lead",
                [f"previous.lead_id: {previous.lead_id!r}, expected {lead_id!r}"],
            )
        if previous.is_live(now):
            raise ConflictError(
                f"lead {lead_id!r} is locked by agent {previous.agent_id!r} "
                f"until {previous.expires_at.isoformat()}"
            )
    floor = 0 if previous is None else previous.token
    if token is None:
        token = floor + 1
    elif isinstance(token, bool) or not isinstance(token, int) or token <= floor:
        raise ValidationError(
            "claim_lead: fencing tokens only grow",
            [f"token: must be a whole number above {floor} for lead {lead_id!r}, got {token!r}"],
        )
    exclusive = rules.exclusive
    holders: tuple[Holder, ...] = ()
    if not exclusive:
        # Claims without a lock stay honoured side by side, one per agent: an agent's
        # new claim supersedes only that agent's earlier one; an exclusive claim, all.
        kept = {} if previous is None or previous.exclusive else dict(previous.holders)
        kept[agent_id] = token
        holders = tuple(sorted(kept.items(), key=lambda holder: holder[1]))
    expires_at = now + rules.lock_window
    lease = Lease(
        lead_id=lead_id,
        agent_id=agent_id,
        token=token,
        claimed_at=now,
        expires_at=expires_at,
        exclusive=exclusive,
        holders=holders,
    )
    claim = Claim(
        lead_id=lead_id,
        agent_id=agent_id,
        token=token,
        claimed_at=now,
        expires_at=expires_at,
        alert_at=now + rules.wait_before_alert,
        auto_dial=rules.auto_dial,
        exclusive=exclusive,
        tier=choice.tier,
        rule=choice.rule,
        pool_id=choice.pool_id,
    )
    return lease, claim


def check_token(
    lease: Lease | None, *, lead_id: str, agent_id: str, token: int, now: datetime
) -> Lease:
    """Return the lease when ``token`` may still write to the lead, else raise ``LeaseLost``.

    A token binds to the agent who claimed it, with every lock window. Refused:
    a lead with no claim, a token never issued, a token superseded by a later
    claim, a token of another agent, a released claim, and an exclusive claim
    whose ``expires_at`` has passed. Under a window of 0 nothing expires: a
    token is honoured while it is its agent's entry in :attr:`Lease.holders`
    (until that agent claims the lead again or releases it, or an exclusive
    claim supersedes every one). Messages name no agent but ``agent_id``.
    """
    if lease is None:
        raise LeaseLost(f"lead {lead_id!r} has no claim, so token {token} is not valid")
    if lease.lead_id != lead_id:
        raise ValidationError(
            "check_token: the lease is of another lead",
            [f"lease.lead_id: {lease.lead_id!r}, expected {lead_id!r}"],
        )
    if lease.holds(agent_id, token):
        if lease.exclusive and now >= lease.expires_at:
            raise LeaseLost(
                f"the claim with token {token} on lead {lead_id!r} expired at "
                f"{lease.expires_at.isoformat()}"
            )
        return lease
    if token > lease.token:
        raise LeaseLost(
            f"token {token} was never issued for lead {lead_id!r} (latest: {lease.token})"
        )
    if token == lease.token:
        if lease.agent_id != agent_id:
            raise LeaseLost(
                f"token {token} on lead {lead_id!r} belongs to another agent, not {agent_id!r}"
            )
        raise LeaseLost(f"the claim with token {token} on lead {lead_id!r} was released")
    if not lease.exclusive and any(t == token for _, t in lease.holders):
        raise LeaseLost(
            f"token {token} on lead {lead_id!r} belongs to another agent, not {agent_id!r}"
        )
    raise LeaseLost(
        f"token {token} on lead {lead_id!r} was superseded by token {lease.token} "
        f"or released: it is not a live claim of agent {agent_id!r}"
    )


def _extend(
    lease: Lease | None,
    *,
    lead_id: str,
    agent_id: str,
    token: int,
    rules: ProjectRules,
    now: datetime,
) -> Lease:
    current = check_token(lease, lead_id=lead_id, agent_id=agent_id, token=token, now=now)
    if token != current.token or not current.exclusive:
        return current
    # Never shorten: a clock that stepped back must not hand the lead to someone else early.
    expires_at = max(current.expires_at, now + rules.lock_window)
    return attrs.evolve(current, expires_at=expires_at)


def renew_lease(
    lease: Lease | None,
    *,
    lead_id: str,
    agent_id: str,
    token: int,
    rules: ProjectRules,
    now: datetime,
) -> Lease:
    """Extend a valid claim to ``now`` plus the lock window (never shortening it).

    Raises :class:`~leadcore.errors.LeaseLost` when the token may no longer
    write (see :func:`check_token`).
    """
    return _extend(lease, lead_id=lead_id, agent_id=agent_id, token=token, rules=rules, now=now)


def extend_after_call(
    lease: Lease | None,
    *,
    lead_id: str,
    agent_id: str,
    token: int,
    rules: ProjectRules,
    now: datetime,
) -> Lease:
    """The rule "lock after call": a logged call keeps the lead locked for the window from now.

    Same checks and result as :func:`renew_lease`; the service calls it when
    it records a call under the claim.
    """
    return _extend(lease, lead_id=lead_id, agent_id=agent_id, token=token, rules=rules, now=now)


def release_lease(
    lease: Lease | None, *, lead_id: str, agent_id: str, token: int, now: datetime
) -> Lease:
    """Give the lead back before the window ends; the token may not write afterwards.

    Raises :class:`~leadcore.errors.LeaseLost` when the token may no longer
    write (see :func:`check_token`).
    """
    current = check_token(lease, lead_id=lead_id, agent_id=agent_id, token=token, now=now)
    if current.exclusive:
        return attrs.evolve(current, released=True)
    holders = tuple(h for h in current.holders if h != (agent_id, token))
    return attrs.evolve(
        current, holders=holders, released=current.released or token == current.token
    )
