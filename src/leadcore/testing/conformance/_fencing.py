"""Writes under a claim, fenced at commit (DESIGN.md invariant 8), through the dispatch service.

Each check runs a small call centre through the facade on the adapter under
test, with a manual clock:

- a writer parked between its token check and its commit, while the clock
  passes the end of its lease and another agent claims the lead, gets
  :class:`~leadcore.errors.LeaseLost` and writes nothing, for every write
  kind (call, status change, note, renewal, release);
- agent threads making random writes under their claims while the clock
  moves leave no write in the event log that committed after another agent
  had claimed the lead;
- with a lock window of 0 a token binds to the agent who claimed it: nobody
  else writes with it, and no error names another agent;
- a lead the caller may not see is answered exactly like a missing one.

The parking is a thin wrapper of the storage whose ``commit()`` waits on a
chosen thread; the adapter itself is used as it is.
"""

from __future__ import annotations

import random
import re
import sys
import threading
import time
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Claim, Pool, PoolKind, ProjectRules
from leadcore.errors import (
    ConflictError,
    LeadConverted,
    LeadcoreError,
    LeaseLost,
    NotFound,
    TransitionRefused,
)
from leadcore.events import CallLogged, LeadClaimed, LeaseReleased, NoteAdded, StatusChanged
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.testing.conformance._base import (
    HANG_GUARD,
    StorageFixtures,
    in_thread,
    require_capability,
    wait,
)
from leadcore.testing.conformance._records import T0, Records

__all__ = ["WRITE_KINDS", "DispatchFencingTests", "stray_writes"]

S = TypeVar("S", bound=Storage)

#: Every kind of write made under a claim.
WRITE_KINDS: Final = ("add_note", "change_status", "log_call", "renew", "release")
_HOT: Final = Pool("hot", PoolKind.PROJECT, "Hot")
_USER_ID: Final = re.compile(r"user-[0-9a-f]+")


class _ParkingStorage:
    """A storage whose units of work wait in ``commit()`` on a thread that asked to be parked."""

    def __init__(self, inner: Storage) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self._parked: dict[int, tuple[threading.Event, threading.Event]] = {}
        self.stall: random.Random | None = None
        """When set, some commits first let other threads run a little (chosen by it)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def unit_of_work(self) -> _ParkingUnitOfWork:
        """The adapter's unit of work, with a commit that may wait."""
        return _ParkingUnitOfWork(self._inner.unit_of_work(), self)

    def park_next_commit(self, arrived: threading.Event, go: threading.Event) -> None:
        """Make the calling thread's next commit set ``arrived``, then wait for ``go``."""
        with self._lock:
            self._parked[threading.get_ident()] = (arrived, go)

    def before_commit(self) -> None:
        """Wait here if the calling thread asked to be parked (once)."""
        with self._lock:
            gates = self._parked.pop(threading.get_ident(), None)
            stall = self.stall
            pause = 0.0 if stall is None or stall.random() < 0.5 else stall.random() / 200
        if pause:
            # Not a measurement: a pause between the check and the commit lets other
            # agents claim meanwhile, the race that fencing at commit must win.
            time.sleep(pause)
        if gates is not None:
            arrived, go = gates
            arrived.set()
            wait(go, "the test to let the parked commit go")


class _ParkingUnitOfWork:
    def __init__(self, inner: UnitOfWork, storage: _ParkingStorage) -> None:
        self._inner = inner
        self._entered: Any = inner
        self._storage = storage

    def __enter__(self) -> _ParkingUnitOfWork:
        self._entered = self._inner.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._inner.__exit__(kind, error, trace)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entered, name)

    def commit(self) -> None:
        self._storage.before_commit()
        self._entered.commit()


@attrs.define
class _Centre:
    """One organisation with a project, three agents in it and one qualifier outside."""

    core: Leadcore
    clock: ManualClock
    parking: _ParkingStorage
    manager: Session
    agents: dict[str, Session]
    user_ids: dict[str, str]
    project_id: str
    organization_id: str

    def lead(self, name: str = "lead") -> str:
        self.clock.advance(timedelta(minutes=1))
        return self.manager.leads.create(name, project_id=self.project_id, pool_id="hot").id

    def claim(self, agent: str) -> Claim:
        claim = self.agents[agent].dispatch.next(self.project_id)
        assert claim is not None, f"{agent} got no lead"
        return claim

    def snapshot(self, lead_id: str) -> tuple[object, ...]:
        """Everything a write under a claim could touch, read back through the services."""
        s = self.manager
        return (
            s.leads.get(lead_id),
            s.leads.history(lead_id, limit=500).items,
            s.leads.notes(lead_id),
            s.leads.tasks(lead_id),
            s.dispatch.lease(lead_id),
            len(self.core.events.read(self.organization_id)),
        )

    def others(self, agent: str) -> list[str]:
        """The user ids of everyone but ``agent``."""
        return [uid for name, uid in self.user_ids.items() if name != agent]


def _centre(storage: Storage, rules: ProjectRules) -> _Centre:
    parking = _ParkingStorage(storage)
    clock = ManualClock(T0)
    core = Leadcore(storage=cast(Storage, parking), clock=clock)
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    user_ids = {
        name: manager.users.create(name.title(), "qualifier").id
        for name in ("dana", "omer", "ioana", "outsider")
    }
    project = manager.leads.create_project(
        "Spring campaign",
        rules=rules,
        member_ids=[uid for name, uid in user_ids.items() if name != "outsider"],
    )
    manager.dispatch.set_pools(project.id, [_HOT], order=["hot"])
    agents = {name: core.session(uid) for name, uid in user_ids.items()}
    return _Centre(
        core,
        clock,
        parking,
        manager,
        agents,
        user_ids,
        project.id,
        admin.organization_id,
    )


def _write(s: Session, kind: str, lead_id: str, token: int, status: str = "new") -> None:
    d = s.dispatch
    if kind == "add_note":
        d.add_note(lead_id, token, "a note")
    elif kind == "change_status":
        d.change_status(lead_id, token, status)
    elif kind == "log_call":
        d.log_call(lead_id, token, outcome="answered", note="hello")
    elif kind == "renew":
        d.renew(lead_id, token)
    else:
        d.release(lead_id, token)


def stray_writes(events: Iterable[object]) -> list[object]:
    """The writes under a claim that committed when their agent no longer held the lead.

    ``events`` are one organisation's events in commit order. A claim with a
    lock window makes its agent the lead's only holder; one without adds the
    agent (the latest token of each agent counts); a release removes the
    releasing agent. A note, a status change, a call or a release by an agent
    who is not a holder of the lead at that point of the log is stray; a call
    or a release must also carry the holder's token. (A write that commits
    after its lease expired but before anyone claimed the lead again is not
    stray: the lead was nobody else's.)
    """
    holders: dict[str, dict[str, int]] = {}
    exclusive: dict[str, bool] = {}
    stray: list[object] = []
    for event in events:
        if isinstance(event, LeadClaimed):
            held = holders.setdefault(event.lead_id, {})
            if event.exclusive or exclusive.get(event.lead_id, True):
                held.clear()
            held[event.agent_id] = event.token
            exclusive[event.lead_id] = event.exclusive
            continue
        if isinstance(event, CallLogged | LeaseReleased):
            agent, token = event.agent_id, event.token
        elif isinstance(event, NoteAdded | StatusChanged):
            agent, token = str(event.actor_id), None
        else:
            continue
        held = holders.get(event.lead_id, {})
        if agent not in held or (token is not None and held[agent] != token):
            stray.append(event)
        elif isinstance(event, LeaseReleased):
            del held[agent]
    return stray


class DispatchFencingTests(StorageFixtures[S], Generic[S]):
    """Writes under a claim (``s.dispatch``): fenced at commit and bound to their agent."""

    @pytest.mark.parametrize("kind", WRITE_KINDS)
    def test_a_write_parked_before_its_commit_loses_to_a_later_claim(
        self, storage: S, records: Records, kind: str
    ) -> None:
        require_capability(storage, "dispatch")
        require_capability(storage, "concurrent_units_of_work")
        c = _centre(storage, ProjectRules(lock_window_minutes=10))
        lead = c.lead()
        mine = c.claim("dana")
        c.clock.set(mine.expires_at - timedelta(microseconds=1))
        arrived, go = threading.Event(), threading.Event()

        def parked_write() -> None:
            c.parking.park_next_commit(arrived, go)
            _write(c.agents["dana"], kind, lead, mine.token)

        writer = in_thread(parked_write)
        # Also wakes the test if the write ends without reaching its commit.
        writer.add_done_callback(lambda _: arrived.set())
        try:
            # The writer checked its token while the lease was live, and waits to commit.
            wait(arrived, f"{kind} to reach its commit")
            assert not writer.done(), f"{kind} ended before its commit: {writer.exception()!r}"
            c.clock.set(mine.expires_at)
            theirs = c.claim("omer")
            assert (theirs.lead_id, theirs.token) == (lead, mine.token + 1)
            after_claim = c.snapshot(lead)
        finally:
            go.set()
        with pytest.raises(LeaseLost):
            writer.result(HANG_GUARD)
        assert c.snapshot(lead) == after_claim

    @pytest.mark.parametrize("kind", WRITE_KINDS)
    def test_with_a_window_of_zero_a_token_writes_only_for_its_agent(
        self, storage: S, records: Records, kind: str
    ) -> None:
        require_capability(storage, "dispatch")
        c = _centre(storage, ProjectRules(lock_window_minutes=0))
        lead = c.lead()
        first = c.claim("dana")
        second = c.claim("ioana")
        assert (first.lead_id, second.lead_id) == (lead, lead)
        before = c.snapshot(lead)
        attempts = [
            ("omer", first.token),
            ("omer", second.token),
            ("ioana", first.token),
            ("dana", second.token),
        ]
        for who, token in attempts:
            with pytest.raises(LeaseLost) as refused:
                _write(c.agents[who], kind, lead, token)
            named = set(_USER_ID.findall(str(refused.value)))
            assert named <= {c.user_ids[who]}, (who, token, str(refused.value))
            assert c.snapshot(lead) == before, (who, token)
        # Each holder still writes with their own token.
        _write(c.agents["dana"], kind, lead, first.token, status="new")
        _write(c.agents["ioana"], kind, lead, second.token, status="no_answer")

    @pytest.mark.parametrize("kind", WRITE_KINDS)
    def test_a_lead_the_caller_may_not_see_is_answered_like_a_missing_one(
        self, storage: S, records: Records, kind: str
    ) -> None:
        require_capability(storage, "dispatch")
        c = _centre(storage, ProjectRules())
        lead = c.lead()
        claim = c.claim("dana")
        missing = "lead-missing"
        before = c.snapshot(lead)
        outsider = c.agents["outsider"]
        with pytest.raises(NotFound) as hidden:
            _write(outsider, kind, lead, claim.token)
        with pytest.raises(NotFound) as absent:
            _write(outsider, kind, missing, claim.token)
        assert str(hidden.value).replace(lead, "<id>") == str(absent.value).replace(missing, "<id>")
        assert c.user_ids["dana"] not in str(hidden.value)
        assert c.snapshot(lead) == before

    def test_random_writes_under_claims_never_commit_after_a_later_claim(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        require_capability(storage, "concurrent_units_of_work")

        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        @given(
            plans=st.lists(
                st.lists(st.sampled_from((*WRITE_KINDS, "next")), min_size=16, max_size=32),
                min_size=3,
                max_size=3,
            ),
            window=st.sampled_from([0, 1]),
            seed=st.integers(0, 2**32 - 1),
        )
        def run(plans: list[list[str]], window: int, seed: int) -> None:
            c = _centre(storage, ProjectRules(lock_window_minutes=window))
            # One lead for three agents: whoever holds it writes while the others
            # keep asking, and get it as soon as its lease ends.
            c.lead()
            c.parking.stall = random.Random(seed)
            _run_agents(c, plans, random.Random(seed))
            events = [e.event for e in c.core.events.read(c.organization_id)]
            assert stray_writes(events) == []

        run()


_EXPECTED: Final = (LeaseLost, ConflictError, TransitionRefused, LeadConverted)


def _run_agents(c: _Centre, plans: list[list[str]], rng: random.Random) -> None:
    """Run one thread per agent through its plan, the clock moving 30 seconds a step."""
    names = ("dana", "omer", "ioana")
    steps = [[(kind, rng.choice(("new", "no_answer"))) for kind in plan] for plan in plans]
    start = threading.Barrier(len(names))
    failures: list[BaseException] = []

    def agent(name: str, plan: list[tuple[str, str]]) -> None:
        session = c.agents[name]
        claim: Claim | None = None
        start.wait(HANG_GUARD)
        for kind, status in plan:
            c.clock.advance(timedelta(seconds=30))
            try:
                if kind == "next" or claim is None:
                    claim = session.dispatch.next(c.project_id)
                    continue
                _write(session, kind, claim.lead_id, claim.token, status)
            except LeaseLost:
                claim = None
            except _EXPECTED:
                pass
            except LeadcoreError as error:  # pragma: no cover - reported below
                failures.append(error)

    previous = sys.getswitchinterval()
    # Switch threads often, so that checks and commits of different agents interleave.
    sys.setswitchinterval(1e-5)
    try:
        threads = [
            threading.Thread(target=agent, args=(name, plan), daemon=True)
            for name, plan in zip(names, steps, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HANG_GUARD)
    finally:
        sys.setswitchinterval(previous)
    assert not any(t.is_alive() for t in threads), "an agent thread hung"
    assert failures == []
