"""Agents claim, call, renew, release and change statuses through the facade while time wobbles.

A model keeps every claim ever handed out, with the expiry the lock window,
calls and renewals give it. The manual clock moves forward freely and back
by up to ``MAX_SKEW`` behind the latest time it showed. After every step:

- invariant 4 of DESIGN.md: at most one claim per lead may still write (the
  lock window is above zero), and exactly the claims the model says;
- when "next" hands out a lead, no earlier claim on it was live;
- invariant 5: nothing "next" would hand out, and nothing it handed out, is
  done, converted or on the do-not-call list;
- a stale token (expired, superseded, released, or another agent's) never
  writes: ``LeaseLost`` and the stored lead, history, notes, lease and
  events are unchanged; a valid token always may.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules, SecondaryOrder, check_token
from leadcore.errors import LeadConverted, LeaseLost, TransitionRefused
from leadcore.ids import SequentialIds
from leadcore.leads import Lead, TaskDraft, TaskKind

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
MAX_SKEW = timedelta(minutes=4)
AGENTS = ("dana", "omer", "ioana")
TARGETS = ("new", "no_answer", "callback", "contacted", "qualified", "not_relevant", "lost")


@attrs.define
class ModelClaim:
    lead_id: str
    agent: str
    token: int
    expires_at: datetime
    released: bool = False
    superseded: bool = False

    def valid(self, now: datetime) -> bool:
        return not (self.released or self.superseded) and now < self.expires_at


class AgentsOnAShift(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.claims: list[ModelClaim] = []
        self.latest = T0

    @initialize(
        window=st.sampled_from([10, 1, 3]),
        order=st.sampled_from(list(SecondaryOrder)),
        no_status_first=st.booleans(),
        grace=st.sampled_from([None, 0, 5]),
        pools=st.lists(st.sampled_from(["hot", "cold"]), min_size=3, max_size=10),
    )
    def open_the_shift(
        self,
        window: int,
        order: SecondaryOrder,
        no_status_first: bool,
        grace: int | None,
        pools: list[str],
    ) -> None:
        self.project_rules = ProjectRules(
            lock_window_minutes=window,
            secondary_order=order,
            no_status_first=no_status_first,
            callback_grace_minutes=grace,
        )
        self.clock = ManualClock(T0)
        self.core = Leadcore.open(clock=self.clock, ids=SequentialIds())
        _, admin = self.core.create_organization("Agency", admin_name="Maya")
        self.manager = self.core.session(admin.id)
        ids = {n: self.manager.users.create(n.title(), "qualifier").id for n in AGENTS}
        self.agent_of = {uid: n for n, uid in ids.items()}
        self.project = self.manager.leads.create_project(
            "Shift", rules=self.project_rules, member_ids=ids.values()
        )
        self.manager.dispatch.set_pools(
            self.project.id,
            [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.PROJECT, "Cold")],
        )
        self.agents: dict[str, Session] = {n: self.core.session(uid) for n, uid in ids.items()}
        self.lead_ids = [
            self.manager.leads.create(f"Lead {i}", project_id=self.project.id, pool_id=p).id
            for i, p in enumerate(pools)
        ]

    # -- helpers ----------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self.clock.now()

    def snapshot(self, lead_id: str) -> tuple[object, ...]:
        s = self.manager
        return (
            s.leads.get(lead_id),
            s.leads.history(lead_id, limit=1000).items,
            s.leads.notes(lead_id),
            s.leads.tasks(lead_id),
            s.dispatch.lease(lead_id),
            len(self.core.events.read(self.project.organization_id)),
        )

    def dispatchable(self, lead: Lead) -> bool:
        workflow = self.manager.workflow.current()
        done = lead.status_id is not None and workflow.is_done(lead.status_id)
        return not (done or lead.converted or lead.do_not_call)

    def pick(self, i: int) -> ModelClaim:
        return self.claims[i % len(self.claims)]

    def under_claim(self, c: ModelClaim, write: str, target: str = "new") -> None:
        """Try one write under a claim as its agent; a stale token must write nothing."""
        self.under_claim_as(c, c.agent, write, target)

    def under_claim_as(self, c: ModelClaim, agent: str, write: str, target: str) -> None:
        valid = c.valid(self.now) and agent == c.agent
        before = self.snapshot(c.lead_id)
        d = self.agents[agent].dispatch
        try:
            if write == "call":
                lease = d.log_call(c.lead_id, c.token, outcome="no answer")
            elif write == "renew":
                lease = d.renew(c.lead_id, c.token)
            elif write == "release":
                d.release(c.lead_id, c.token)
            elif write == "status":
                note = "talked" if target in ("contacted", "lost") else None
                task = None
                if target == "callback":
                    task = TaskDraft(
                        "Call back", due_in=timedelta(minutes=7), kind=TaskKind.CALLBACK
                    )
                d.change_status(c.lead_id, c.token, target, note=note, task=task)
            else:
                d.add_note(c.lead_id, c.token, "a note")
        except LeaseLost:
            assert not valid, f"a valid token was refused: {c}"
            assert self.snapshot(c.lead_id) == before, "a stale token wrote"
            return
        except (TransitionRefused, LeadConverted):
            assert self.snapshot(c.lead_id) == before
            return
        assert valid, f"a stale token wrote: {c} at {self.now}"
        if write in ("call", "renew"):
            expected = max(c.expires_at, self.now + self.project_rules.lock_window)
            assert lease.expires_at == expected
            c.expires_at = expected
        elif write == "release":
            c.released = True

    # -- rules --------------------------------------------------------------------------

    @rule(agent=st.sampled_from(AGENTS))
    def next_lead(self, agent: str) -> None:
        claim = self.agents[agent].dispatch.next(self.project.id)
        if claim is None:
            return
        lead = self.manager.leads.get(claim.lead_id)
        assert self.dispatchable(lead), f"invariant 5: {lead} was handed out"
        earlier = [c for c in self.claims if c.lead_id == claim.lead_id]
        for c in earlier:
            assert not c.valid(self.now), f"invariant 4: {c} was live when {agent} got the lead"
            c.superseded = True
        assert all(claim.token > c.token for c in earlier)
        assert claim.expires_at == self.now + self.project_rules.lock_window
        self.claims.append(ModelClaim(claim.lead_id, agent, claim.token, claim.expires_at))

    @precondition(lambda self: self.claims)
    @rule(i=st.integers(0, 200), write=st.sampled_from(["call", "renew", "release", "note"]))
    def work_under_a_claim(self, i: int, write: str) -> None:
        self.under_claim(self.pick(i), write)

    @precondition(lambda self: self.claims)
    @rule(i=st.integers(0, 200), status=st.sampled_from(TARGETS))
    def change_status_under_a_claim(self, i: int, status: str) -> None:
        self.under_claim(self.pick(i), "status", status)

    @precondition(lambda self: self.claims)
    @rule(
        i=st.integers(0, 200),
        agent=st.sampled_from(AGENTS),
        write=st.sampled_from(["call", "renew", "release", "note", "status"]),
    )
    def write_with_someone_elses_token(self, i: int, agent: str, write: str) -> None:
        c = self.pick(i)
        if agent != c.agent:
            self.under_claim_as(c, agent, write, "new")

    @rule(minutes=st.integers(0, 12), seconds=st.integers(0, 59))
    def time_passes(self, minutes: int, seconds: int) -> None:
        self.clock.advance(timedelta(minutes=minutes, seconds=seconds))
        self.latest = max(self.latest, self.now)

    @rule(back=st.integers(0, int(MAX_SKEW.total_seconds())))
    def clock_steps_back(self, back: int) -> None:
        self.clock.set(max(self.now - timedelta(seconds=back), self.latest - MAX_SKEW))

    @rule(i=st.integers(0, 200), move=st.sampled_from(["not_relevant", "new", "convert"]))
    def manager_moves_a_lead(self, i: int, move: str) -> None:
        lead_id = self.lead_ids[i % len(self.lead_ids)]
        try:
            if move == "convert":
                self.manager.leads.convert(
                    lead_id, status_id="not_relevant", account_name="Acme", new_account=True
                )
            else:
                self.manager.leads.change_status(lead_id, move)
        except (TransitionRefused, LeadConverted):
            pass

    # -- invariants ------------------------------------------------------------------------

    @invariant()
    def at_most_one_claim_per_lead_may_write(self) -> None:
        if not hasattr(self, "core"):
            return
        now = self.now
        writers: dict[str, list[ModelClaim]] = {}
        for c in self.claims:
            stored = self.manager.dispatch.lease(c.lead_id)
            uid = next(u for u, n in self.agent_of.items() if n == c.agent)
            try:
                check_token(stored, lead_id=c.lead_id, agent_id=uid, token=c.token, now=now)
            except LeaseLost:
                assert not c.valid(now), f"{c} should still write at {now}"
                continue
            assert c.valid(now), f"{c} should no longer write at {now}"
            writers.setdefault(c.lead_id, []).append(c)
        assert all(len(w) == 1 for w in writers.values()), writers

    @invariant()
    def next_would_hand_out_nothing_done_converted_or_blocked(self) -> None:
        if not hasattr(self, "core"):
            return
        for agent in self.agents.values():
            choice = agent.dispatch.explain(self.project.id).choice
            if choice is not None:
                assert self.dispatchable(self.manager.leads.get(choice.lead_id))


AgentsOnAShift.TestCase.settings = settings(stateful_step_count=40)
test_no_lead_has_two_live_claims_and_stale_tokens_never_write = AgentsOnAShift.TestCase
