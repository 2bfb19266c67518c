"""A fencing token binds to the agent who claimed it, with every lock window (invariant 8).

A state machine claims one lead with lock windows of 0 and above, mixed, and
releases claims, while the clock moves; a model keeps which ``(agent, token)``
pairs may still write. After every step, for every token ever issued and
every agent, :func:`~leadcore.dispatch.check_token` accepts exactly the
pairs of the model, and a refusal names no agent but the one asking.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from leadcore.dispatch import (
    Choice,
    Lease,
    OrderRule,
    ProjectRules,
    Tier,
    check_token,
    claim_lead,
    release_lease,
)
from leadcore.errors import LeaseLost

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
AGENTS = ("dana", "omer", "ioana")
CHOICE = Choice("lead-1", Tier.POOL, OrderRule.SECONDARY_ORDER, "hot", 0, (2, 0, "lead-1"))


def _refusal(write: Callable[[Lease | None], object], lease: Lease | None) -> str | None:
    """The message of the ``LeaseLost`` that ``write(lease)`` raises, or ``None``."""
    try:
        write(lease)
    except LeaseLost as refused:
        return str(refused)
    return None


class TokensBindToTheirAgent(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START
        self.lease: Lease | None = None
        self.issued: list[tuple[str, int]] = []
        # Pairs that may write; an exclusive one only until its lease's end.
        self.honoured: set[tuple[str, int]] = set()

    @rule(minutes=st.integers(0, 12))
    def move_clock(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: self.lease is None or not self.lease.is_live(self.now))
    @rule(agent=st.sampled_from(AGENTS), window=st.sampled_from([0, 10]))
    def claim(self, agent: str, window: int) -> None:
        rules = ProjectRules(lock_window_minutes=window)
        previous = self.lease
        self.lease, claim = claim_lead(CHOICE, agent, rules=rules, now=self.now, previous=previous)
        pair = (agent, claim.token)
        if claim.exclusive or previous is None or previous.exclusive:
            self.honoured = {pair}
        else:
            self.honoured = {h for h in self.honoured if h[0] != agent} | {pair}
        self.issued.append(pair)

    @precondition(lambda self: bool(self.issued))
    @rule(data=st.data(), agent=st.sampled_from(AGENTS))
    def release(self, data: st.DataObject, agent: str) -> None:
        _, token = data.draw(st.sampled_from(self.issued))
        may = self._may_write(agent, token)
        released: list[Lease] = []
        refused = _refusal(
            lambda lease: released.append(release_lease(lease, **self._claim(agent, token))),
            self.lease,
        )
        assert (refused is None) == may, (agent, token, refused)
        if released:
            self.lease = released[0]
            self.honoured.discard((agent, token))

    def _claim(self, agent: str, token: int) -> dict[str, Any]:
        return {"lead_id": "lead-1", "agent_id": agent, "token": token, "now": self.now}

    def _may_write(self, agent: str, token: int) -> bool:
        lease = self.lease
        if (agent, token) not in self.honoured or lease is None:
            return False
        return not lease.exclusive or self.now < lease.expires_at

    @invariant()
    def a_token_writes_only_for_the_agent_that_claimed_it(self) -> None:
        tokens = {token for _, token in self.issued} | {len(self.issued) + 1}
        for token in sorted(tokens):
            for agent in AGENTS:
                refused = _refusal(
                    functools.partial(check_token, **self._claim(agent, token)), self.lease
                )
                assert (refused is None) == self._may_write(agent, token), (agent, token, refused)
                others = [a for a in AGENTS if a != agent]
                assert not any(f"'{a}'" in (refused or "") for a in others), refused

    @invariant()
    def holders_are_one_token_per_agent_without_a_window(self) -> None:
        lease = self.lease
        if lease is not None and not lease.exclusive:
            agents = [agent for agent, _ in lease.holders]
            assert len(agents) == len(set(agents))
            assert set(lease.holders) == self.honoured


TestTokensBindToTheirAgent = TokensBindToTheirAgent.TestCase
TestTokensBindToTheirAgent.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
