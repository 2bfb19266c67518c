"""Properties of the outbox over generated sequences of use cases in two organisations.

Each example starts a fresh in-memory core with two organisations, runs a
generated sequence of operations (some of which fail: forbidden, invalid,
conflicting, or with a storage fault injected after some writes), and checks
what the outbox recorded and what subscribers were given.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import event, given
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadcoreError,
    TransitionRefused,
    ValidationError,
)
from leadcore.events import Event, StoredEvent
from leadcore.ids import SequentialIds
from leadcore.leads import Lead, TaskDraft
from leadcore.services.outbox import EventLog
from leadcore.storage.memory import MemoryStorage, MemoryUnitOfWork

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATUSES = ["new", "no_answer", "callback", "contacted", "qualified", "won", "lost", "bogus"]
PHONES = ["050-555-0001", "050-555-0002", "052-555-0003", "053-555-0004"]
ENVELOPE = {"event_id", "organization_id", "occurred_at", "actor_id"}


class InjectedFault(OSError):
    """The storage failing in the middle of a unit of work (a full disk, a lost connection)."""


class FaultyStorage(MemoryStorage):
    """Memory storage that can fail at the n-th write staged by a unit of work."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_at: int | None = None

    def unit_of_work(self) -> MemoryUnitOfWork:
        uow = super().unit_of_work()
        if self.fail_at is not None:
            left = itertools.count()
            fail_at = self.fail_at
            tx = uow.tx
            for name in ("write", "delete", "append"):
                original: Callable[..., None] = getattr(tx, name)

                def staged(*args: Any, _original: Callable[..., None] = original) -> None:
                    if next(left) == fail_at:
                        raise InjectedFault(f"write #{fail_at} failed")
                    _original(*args)

                setattr(tx, name, staged)
        return uow

    @contextmanager
    def failing(self, at: int) -> Iterator[None]:
        self.fail_at = at
        try:
            yield
        finally:
            self.fail_at = None


@attrs.define
class Org:
    """One organisation: its admin, a salesperson who may not manage users, and its leads."""

    admin: Session
    seller: Session
    leads: list[str] = attrs.Factory(list)
    mark: int = 0
    """Events recorded while setting up (not part of the example)."""
    expected: list[tuple[str, str | None, datetime, str | None]] = attrs.Factory(list)
    """(type, lead id, occurred at, actor) of every event the committed operations must record."""

    @property
    def id(self) -> str:
        return self.admin.organization_id


@attrs.define
class World:
    core: Leadcore
    storage: FaultyStorage
    clock: ManualClock
    orgs: list[Org]
    failed: int = 0


def make_world(log: EventLog | None = None) -> World:
    storage = FaultyStorage()
    clock = ManualClock(START)
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
    orgs = []
    for name in ("Agency", "Call centre"):
        _, admin = core.create_organization(name, admin_name="Admin", default_region="IL")
        s = core.session(admin.id)
        seller = core.session(s.users.create("Seller", "salesperson").id)
        orgs.append(Org(s, seller))
    for org in orgs:
        org.mark = len(core.events.read(org.id))
    return World(core, storage, clock, orgs)


# An operation: (kind, organisation, two small numbers that pick a lead, a status, ...).
Op = tuple[str, int, int, int]
KINDS = [
    *["create"] * 3,
    *["status"] * 5,
    "note",
    "assign",
    "forbidden",
    "invalid",
    "conflict",
    *["fault"] * 2,
    "tick",
]
"""Operation kinds, repeated to weigh them."""
ops = st.tuples(st.sampled_from(KINDS), st.integers(0, 1), st.integers(0, 40), st.integers(0, 40))


def expect(w: World, org: Org, kind: str, lead_id: str | None) -> None:
    org.expected.append((kind, lead_id, w.clock.now(), org.admin.user_id))


def apply(w: World, op: Op) -> None:
    """Run one operation; note the events it must record if it commits."""
    kind, which, x, y = op
    org = w.orgs[which]
    s = org.admin
    lead_id = org.leads[x % len(org.leads)] if org.leads else None
    try:
        if kind == "create":
            lead = s.leads.create(f"Lead {x}", phones=[PHONES[y % len(PHONES)]])
            org.leads.append(lead.id)
            expect(w, org, "lead.created", lead.id)
            if lead.duplicate_of is not None:
                expect(w, org, "lead.duplicate_flagged", lead.id)
        elif kind == "status" and lead_id is not None:
            status_change(w, org, lead_id, x, y)
        elif kind == "note" and lead_id is not None:
            s.leads.add_note(lead_id, f"note {y}")
            expect(w, org, "lead.note_added", lead_id)
        elif kind == "assign" and lead_id is not None:
            s.leads.assign(lead_id, [org.seller.user_id] if y % 2 else [])
            expect(w, org, "lead.assigned", lead_id)
        elif kind == "forbidden":
            org.seller.users.create("Intruder", "account_manager")
        elif kind == "invalid":
            s.leads.create(" ", phones=["12"])
        elif kind == "conflict" and lead_id is not None:
            current = s.leads.get(lead_id)
            s.leads.change_status(lead_id, "no_answer", expected_version=current.version + 1)
        elif kind == "fault" and lead_id is not None:
            with w.storage.failing(at=y % 6):
                status_change(w, org, lead_id, x, 3)
        elif kind == "tick":
            w.clock.advance(timedelta(minutes=x + 1))
    except (Forbidden, ValidationError, ConflictError, TransitionRefused, InjectedFault):
        w.failed += 1
    except LeadcoreError:  # e.g. a converted lead; anything else fails the test
        w.failed += 1


def status_change(w: World, org: Org, lead_id: str, x: int, y: int) -> None:
    target = STATUSES[x % len(STATUSES)]
    note = f"note {y}" if y % 2 else None
    task = TaskDraft("Call back", due_in=timedelta(hours=1)) if y % 3 == 0 else None
    org.admin.leads.change_status(lead_id, target, note=note, task=task)
    if note is not None:
        expect(w, org, "lead.note_added", lead_id)
    if task is not None:
        expect(w, org, "lead.task_created", lead_id)
    expect(w, org, "lead.status_changed", lead_id)


def recorded(w: World, org: Org) -> list[StoredEvent]:
    return w.core.events.read(org.id, after=org.mark)


def summary(e: Event) -> tuple[str, str | None, datetime, str | None]:
    return (e.type, getattr(e, "lead_id", None), e.occurred_at, e.actor_id)


def data_values(e: Event) -> set[str]:
    out: set[str] = set()
    for f in attrs.fields(type(e)):
        value = getattr(e, f.name)
        values = value if isinstance(value, tuple) else (value,)
        out |= {v for v in values if isinstance(v, str)}
    return out


# -- recording -----------------------------------------------------------------------------


@given(st.lists(ops, max_size=40))
def test_events_read_back_equal_exactly_the_committed_changes_in_order_per_organisation(
    script: list[Op],
) -> None:
    w = make_world()
    for op in script:
        apply(w, op)
    for org in w.orgs:
        events = w.core.events.read(org.id)
        assert [e.position for e in events] == list(range(1, len(events) + 1))
        assert [summary(e.event) for e in recorded(w, org)] == org.expected


@given(st.lists(ops, max_size=40))
def test_the_events_replayed_give_the_state_the_services_show(script: list[Op]) -> None:
    w = make_world()
    for op in script:
        apply(w, op)
    for org in w.orgs:
        status: dict[str, str | None] = {}
        notes: dict[str, int] = {}
        assignees: dict[str, tuple[str, ...]] = {}
        for stored in recorded(w, org):
            e: Any = stored.event
            if e.type == "lead.created":
                status[e.lead_id], notes[e.lead_id], assignees[e.lead_id] = None, 0, ()
            elif e.type == "lead.status_changed":
                assert status[e.lead_id] == e.from_status
                status[e.lead_id] = e.to_status
            elif e.type == "lead.note_added":
                notes[e.lead_id] += 1
            elif e.type == "lead.assigned":
                assignees[e.lead_id] = e.assignee_ids
        leads: dict[str, Lead] = {i: org.admin.leads.get(i) for i in org.leads}
        assert status == {i: lead.status_id for i, lead in leads.items()}
        assert assignees == {i: lead.assignee_ids for i, lead in leads.items()}
        assert notes == {i: len(org.admin.leads.notes(i)) for i in org.leads}


@given(st.lists(ops, max_size=30), st.integers(0, 8), st.sampled_from(["status", "create"]))
def test_a_unit_of_work_that_fails_records_no_event(script: list[Op], at: int, kind: str) -> None:
    w = make_world()
    for op in script:
        apply(w, op)
    org = w.orgs[0]
    target = org.admin.leads.create("Target")
    before = {o.id: w.core.events.read(o.id) for o in w.orgs}
    leads_before = org.admin.leads.list(include_done=True, limit=1000).items
    try:
        with w.storage.failing(at=at):
            if kind == "create":
                org.admin.leads.create("Faulty", phones=[PHONES[0]])
            else:
                org.admin.leads.change_status(target.id, "callback", note="n", task=TaskDraft("t"))
    except InjectedFault:
        event("failed")
        assert {o.id: w.core.events.read(o.id) for o in w.orgs} == before
        assert org.admin.leads.list(include_done=True, limit=1000).items == leads_before
    else:
        event("committed")
        assert len(w.core.events.read(org.id)) > len(before[org.id])


@given(st.lists(ops, max_size=40))
def test_no_event_leaks_across_organisations(script: list[Op]) -> None:
    w = make_world()
    for op in script:
        apply(w, op)
    seen_ids: set[str] = set()
    for org, other in zip(w.orgs, w.orgs[::-1], strict=True):
        theirs = {other.id, other.admin.user_id, other.seller.user_id, *other.leads}
        for stored in w.core.events.read(org.id):
            assert stored.event.organization_id == org.id
            assert not data_values(stored.event) & theirs, stored.event
            assert stored.event.event_id not in seen_ids
            seen_ids.add(stored.event.event_id)
    for stored in w.core.events.pending("auditor"):
        assert stored.event in [e.event for e in w.core.events.read(stored.event.organization_id)]


# -- delivery ---------------------------------------------------------------------------------


@attrs.define
class Flaky:
    """A subscriber whose n-th call raises if ``plan[n]`` says so (calls past the plan succeed)."""

    clock: ManualClock
    plan: list[bool]
    calls: list[tuple[str, int, datetime, bool]] = attrs.Factory(list)
    """(organisation, position, when, succeeded) of every call."""

    def __call__(self, stored: StoredEvent) -> None:
        fails = len(self.calls) < len(self.plan) and self.plan[len(self.calls)]
        org = stored.event.organization_id
        self.calls.append((org, stored.position, self.clock.now(), not fails))
        if fails:
            raise ConnectionError("503 Service Unavailable")


FIRST_RETRY = timedelta(seconds=10)
MAX_RETRY = timedelta(minutes=5)


@given(st.lists(ops, max_size=30), st.lists(st.booleans(), max_size=60))
def test_a_subscriber_raising_on_some_events_still_sees_each_once_in_order_with_back_off(
    script: list[Op], plan: list[bool]
) -> None:
    w = make_world()
    log = EventLog(w.storage, w.clock, first_retry=FIRST_RETRY, max_retry=MAX_RETRY)
    flaky = Flaky(w.clock, plan)
    healthy: list[StoredEvent] = []
    log.subscribe("flaky", flaky)
    log.subscribe("healthy", healthy.append)
    for op in script:
        apply(w, op)
        log.deliver()
        # The healthy subscriber is never held up by the flaky one.
        assert len(healthy) == sum(len(w.core.events.read(o.id)) for o in w.orgs)
    for _ in range(len(plan) + 1):
        w.clock.advance(MAX_RETRY)
        log.deliver()
    assert log.failures() == []
    for org in w.orgs:
        events = w.core.events.read(org.id)
        calls = [c for c in flaky.calls if c[0] == org.id]
        succeeded = [position for _, position, _, ok in calls if ok]
        assert succeeded == [e.position for e in events]  # every event once, in order
        assert [e.position for e in healthy if e.event.organization_id == org.id] == succeeded
        # An event is offered again only after it failed, and not before its back-off is over.
        attempts = 0
        for (_, pos, when, ok), (_, next_pos, next_when, _) in itertools.pairwise(calls):
            if ok:
                attempts = 0
                assert next_pos == pos + 1
            else:
                attempts += 1
                assert next_pos == pos
                wait = min(MAX_RETRY, FIRST_RETRY * 2 ** (attempts - 1))
                assert next_when >= when + wait


@given(st.lists(ops, max_size=30), st.lists(st.integers(0, 60), max_size=4))
def test_consumers_that_acknowledge_at_their_own_pace_each_see_everything_once(
    script: list[Op], stops: list[int]
) -> None:
    w = make_world()
    got: dict[str, list[tuple[str, int]]] = {"webhooks": [], "indexer": []}
    for i, op in enumerate(script):
        apply(w, op)
        consumer = "webhooks" if i % 2 else "indexer"
        batch = w.core.events.pending(consumer, limit=stops[i % len(stops)] if stops else None)
        for stored in batch:
            got[consumer].append((stored.event.organization_id, stored.position))
            w.core.events.ack(consumer, stored)
    everything = [(o.id, e.position) for o in w.orgs for e in w.core.events.read(o.id)]
    for consumer, seen in got.items():
        for stored in w.core.events.pending(consumer):
            seen.append((stored.event.organization_id, stored.position))
            w.core.events.ack(consumer, stored)
        assert sorted(seen) == everything
        for org in w.orgs:
            mine = [p for o, p in seen if o == org.id]
            assert mine == sorted(mine)
