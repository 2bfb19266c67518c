"""Agents claim, call, renew, release and change statuses while the clock moves both ways.

The machine plays the memory adapter's part: a lease table beside a
:class:`DispatchIndex`, every write checked through the pure lease functions.
A model of every claim ever issued checks, after every step:

- invariant 4 of DESIGN.md: with a lock window above zero, at most one claim
  per lead is live (its agent holds it and its window contains ``now``);
- invariant 5: done-category and converted leads are never handed out;
- a stale token (superseded, expired or released) never writes, and a fresh
  one always may;
- the index and the brute-force reference agree for every agent.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from leadcore.clock import ManualClock
from leadcore.dispatch import (
    Agent,
    AgentFilter,
    Candidate,
    Claim,
    DispatchIndex,
    Lease,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    SecondaryOrder,
    check_token,
    choose_reference,
    claim_lead,
    extend_after_call,
    release_lease,
    renew_lease,
)
from leadcore.errors import LeaseLost
from leadcore.workflow import Category

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
#: How far the clock may step back behind the latest time it showed.
MAX_SKEW = timedelta(minutes=4)
AGENTS = ("dana", "omer", "ioana", "yael")
STATUSES: tuple[tuple[str, Category], ...] = (
    ("new", Category.TODO),
    ("no_answer", Category.IN_PROGRESS),
    ("callback", Category.IN_PROGRESS),
    ("won", Category.DONE),
    ("lost", Category.DONE),
)
FILTERS: dict[str, AgentFilter | None] = {
    "dana": None,
    "omer": None,
    "ioana": AgentFilter(statuses={"no_answer", "callback"}, no_status=True),
    "yael": AgentFilter(max_attempts=2),
}
POOLS = ProjectPools(
    [
        Pool("dana-book", PoolKind.PRIVATE, "Dana's book", owner_id="dana"),
        Pool("hot", PoolKind.PROJECT, "Hot"),
        Pool("cold", PoolKind.GENERAL, "Cold"),
    ],
    order=["hot", "cold"],
)


@attrs.define
class Issued:
    """The model's record of one claim, kept independently of the lease table."""

    claim: Claim
    expires_at: datetime
    released: bool = False


class DispatchMachine(RuleBasedStateMachine):
    claims = Bundle("claims")

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(START)
        self.latest = START
        self.project_rules = ProjectRules()
        self.index = DispatchIndex(self.project_rules, POOLS)
        self.leases: dict[str, Lease] = {}
        self.issued: dict[str, list[Issued]] = {}

    @initialize(
        window=st.sampled_from([1, 3, 10]),
        no_status_first=st.booleans(),
        order=st.sampled_from(SecondaryOrder),
        multiple=st.booleans(),
        grace=st.none() | st.integers(0, 5),
        leads=st.lists(
            st.tuples(
                st.sampled_from(["dana-book", "hot", "cold"]),
                st.none() | st.sampled_from(STATUSES),
                st.integers(0, 600),
                st.booleans(),
            ),
            min_size=1,
            max_size=14,
        ),
    )
    def setup(
        self,
        window: int,
        no_status_first: bool,
        order: SecondaryOrder,
        multiple: bool,
        grace: int | None,
        leads: list[tuple[str, tuple[str, Category] | None, int, bool]],
    ) -> None:
        self.project_rules = ProjectRules(
            lock_window_minutes=window,
            no_status_first=no_status_first,
            secondary_order=order,
            allow_multiple_relationships=multiple,
            callback_grace_minutes=grace,
        )
        self.index = DispatchIndex(self.project_rules, POOLS)
        for i, (pool_id, status, age, assigned) in enumerate(leads):
            self.index.upsert(
                Candidate(
                    lead_id=f"lead-{i}",
                    pool_id=pool_id,
                    created_at=START - timedelta(minutes=age),
                    status_id=None if status is None else status[0],
                    category=None if status is None else status[1],
                    assigned_user_ids={"omer"} if assigned else (),
                )
            )

    # -- the clock ---------------------------------------------------------------

    @rule(minutes=st.integers(-3, 3) | st.integers(4, 12))
    def move_clock(self, minutes: int) -> None:
        target = self.clock.now() + timedelta(minutes=minutes)
        self.clock.set(max(target, self.latest - MAX_SKEW))
        self.latest = max(self.latest, self.clock.now())

    # -- agents ------------------------------------------------------------------

    @rule(target=claims, agent_id=st.sampled_from(AGENTS))
    def claim_next(self, agent_id: str) -> object:
        now = self.clock.now()
        agent = Agent(agent_id, FILTERS[agent_id])
        choice = self.index.next_for(agent, now=now)
        assert choice == choose_reference(
            self.index.candidates(), self.leases, agent, self.project_rules, POOLS, now=now
        )
        if choice is None:
            return multiple()
        lead = self.index.get(choice.lead_id)
        assert lead is not None
        assert not lead.is_done, f"invariant 5: done lead {lead.lead_id} handed out"
        assert not lead.converted, f"invariant 5: converted lead {lead.lead_id} handed out"
        previous = self.leases.get(choice.lead_id)
        lease, claim = claim_lead(
            choice, agent_id, rules=self.project_rules, now=now, previous=previous
        )
        self._store(lease)
        self.issued.setdefault(claim.lead_id, []).append(Issued(claim, claim.expires_at))
        return claim

    @rule(claim=claims)
    def log_call(self, claim: Claim) -> None:
        now = self.clock.now()
        fresh = self._fresh(claim, now)
        try:
            lease = extend_after_call(
                self.leases.get(claim.lead_id),
                lead_id=claim.lead_id,
                agent_id=claim.agent_id,
                token=claim.token,
                rules=self.project_rules,
                now=now,
            )
        except LeaseLost:
            assert not fresh, f"a fresh token {claim.token} was refused"
            return
        assert fresh, f"stale token {claim.token} on {claim.lead_id} was accepted"
        self._extend_model(claim, now)
        self._store(lease)
        lead = self.index.get(claim.lead_id)
        assert lead is not None
        self.index.upsert(attrs.evolve(lead, attempts=lead.attempts + 1, last_contact_at=now))

    @rule(claim=claims)
    def renew(self, claim: Claim) -> None:
        now = self.clock.now()
        fresh = self._fresh(claim, now)
        try:
            lease = renew_lease(
                self.leases.get(claim.lead_id),
                lead_id=claim.lead_id,
                agent_id=claim.agent_id,
                token=claim.token,
                rules=self.project_rules,
                now=now,
            )
        except LeaseLost:
            assert not fresh
            return
        assert fresh, f"stale token {claim.token} on {claim.lead_id} renewed"
        self._extend_model(claim, now)
        self._store(lease)

    @rule(claim=claims)
    def release(self, claim: Claim) -> None:
        now = self.clock.now()
        fresh = self._fresh(claim, now)
        try:
            lease = release_lease(
                self.leases.get(claim.lead_id),
                lead_id=claim.lead_id,
                agent_id=claim.agent_id,
                token=claim.token,
                now=now,
            )
        except LeaseLost:
            assert not fresh
            return
        assert fresh, f"stale token {claim.token} on {claim.lead_id} released"
        self._model(claim).released = True
        self._store(lease)

    @rule(claim=claims, status=st.sampled_from(STATUSES))
    def change_status_under_claim(self, claim: Claim, status: tuple[str, Category]) -> None:
        now = self.clock.now()
        fresh = self._fresh(claim, now)
        lead = self.index.get(claim.lead_id)
        assert lead is not None
        try:
            check_token(
                self.leases.get(claim.lead_id),
                lead_id=claim.lead_id,
                agent_id=claim.agent_id,
                token=claim.token,
                now=now,
            )
        except LeaseLost:
            assert not fresh
            return
        assert fresh, f"stale token {claim.token} on {claim.lead_id} changed a status"
        self.index.upsert(attrs.evolve(lead, status_id=status[0], category=status[1]))

    # -- managers (no claim needed) ------------------------------------------------

    @precondition(lambda self: len(self.index) > 0)
    @rule(data=st.data())
    def convert_a_lead(self, data: st.DataObject) -> None:
        lead_id = data.draw(st.sampled_from(sorted(c.lead_id for c in self.index.candidates())))
        lead = self.index.get(lead_id)
        assert lead is not None
        self.index.upsert(attrs.evolve(lead, converted=True, status_id="won", category="done"))

    @precondition(lambda self: len(self.index) > 0)
    @rule(data=st.data(), owner=st.sampled_from(AGENTS), minutes=st.integers(-5, 20))
    def schedule_callback(self, data: st.DataObject, owner: str, minutes: int) -> None:
        lead_id = data.draw(st.sampled_from(sorted(c.lead_id for c in self.index.candidates())))
        lead = self.index.get(lead_id)
        assert lead is not None
        when = self.clock.now() + timedelta(minutes=minutes)
        self.index.upsert(attrs.evolve(lead, callback_at=when, callback_owner_id=owner))

    # -- invariants ----------------------------------------------------------------

    @invariant()
    def at_most_one_live_claim_per_lead(self) -> None:
        now = self.clock.now()
        for lead_id, issued in self.issued.items():
            live = [
                i for i in issued if not i.released and i.claim.claimed_at <= now < i.expires_at
            ]
            assert len(live) <= 1, f"invariant 4: {lead_id} has {len(live)} live claims"

    @invariant()
    def at_most_one_token_per_lead_may_write(self) -> None:
        now = self.clock.now()
        for lead_id, issued in self.issued.items():
            writers = []
            for i in issued:
                try:
                    check_token(
                        self.leases.get(lead_id),
                        lead_id=lead_id,
                        agent_id=i.claim.agent_id,
                        token=i.claim.token,
                        now=now,
                    )
                except LeaseLost:
                    assert not self._fresh(i.claim, now)
                else:
                    assert self._fresh(i.claim, now)
                    writers.append(i.claim.token)
            assert len(writers) <= 1, f"{lead_id}: tokens {writers} may all write"

    @invariant()
    def index_agrees_with_reference(self) -> None:
        now = self.clock.now()
        candidates = list(self.index.candidates())
        for agent_id in AGENTS:
            agent = Agent(agent_id, FILTERS[agent_id])
            expected = choose_reference(
                candidates, self.leases, agent, self.project_rules, POOLS, now=now
            )
            assert self.index.next_for(agent, now=now) == expected

    # -- helpers -------------------------------------------------------------------

    def _store(self, lease: Lease) -> None:
        self.leases[lease.lead_id] = lease
        self.index.set_lease(lease)

    def _model(self, claim: Claim) -> Issued:
        return next(i for i in self.issued[claim.lead_id] if i.claim.token == claim.token)

    def _fresh(self, claim: Claim, now: datetime) -> bool:
        """The model's own answer: the latest claim of its lead, not released, not expired."""
        issued = self.issued[claim.lead_id]
        record = self._model(claim)
        return record is issued[-1] and not record.released and now < record.expires_at

    def _extend_model(self, claim: Claim, now: datetime) -> None:
        record = self._model(claim)
        record.expires_at = max(record.expires_at, now + self.project_rules.lock_window)


DispatchMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=40, deadline=None
)
test_dispatch_leases_hold_while_agents_work_and_the_clock_moves = DispatchMachine.TestCase
