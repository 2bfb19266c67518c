"""Delivery from the outbox: reading, acknowledging, subscribers, failures and back-off, crashes."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.events import StoredEvent
from leadcore.ids import SequentialIds
from leadcore.services._shared import ServiceContext
from leadcore.services.outbox import DeliveryFailure, EventLog

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HANG_GUARD = 30.0
"""Seconds after which a thread that never finished counts as a deadlock (never reached)."""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=["memory://", "sqlite://"])
def core(request: pytest.FixtureRequest, clock: ManualClock) -> Leadcore:
    """leadcore on each adapter: delivery only uses the storage's outbox."""
    url: str = request.param
    if url.startswith("sqlite"):
        pytest.importorskip("sqlalchemy")
    return Leadcore.open(url, clock=clock, ids=SequentialIds())


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Agency", admin_name="Dana")
    return core.session(admin.id)


@pytest.fixture
def t(core: Leadcore) -> Session:
    _, admin = core.create_organization("Call centre", admin_name="Noa")
    return core.session(admin.id)


def kinds(events: list[StoredEvent]) -> list[str]:
    return [e.event.type for e in events]


def where(events: list[StoredEvent]) -> list[tuple[str, int]]:
    return [(e.event.organization_id, e.position) for e in events]


class Recorder:
    """A subscriber that records what it was given and fails on demand."""

    def __init__(self) -> None:
        self.seen: list[StoredEvent] = []
        self.calls: list[tuple[str, int, datetime]] = []
        self.fail_on: set[str] = set()
        """Event ids this subscriber raises on (until removed)."""
        self.clock: ManualClock | None = None

    def __call__(self, stored: StoredEvent) -> None:
        at = self.clock.now() if self.clock is not None else START
        self.calls.append((stored.event.organization_id, stored.position, at))
        if stored.event.event_id in self.fail_on:
            raise ConnectionError(f"the webhook answered 503 for {stored.event.event_id}")
        self.seen.append(stored)


# -- reading and acknowledging ---------------------------------------------------------


def test_read_returns_an_organisations_events_in_commit_order_from_position_one(
    core: Leadcore, s: Session
) -> None:
    lead = s.leads.create("Yossi")
    s.leads.change_status(lead.id, "new")
    events = core.events.read(s.organization_id)
    assert kinds(events) == [
        "organization.created",
        "user.added",
        "workflow.published",
        "lead.created",
        "lead.status_changed",
    ]
    assert [e.position for e in events] == [1, 2, 3, 4, 5]
    assert where(core.events.read(s.organization_id, after=3, limit=1)) == [(s.organization_id, 4)]
    assert core.events.read(s.organization_id, after=5) == []
    assert core.events.read("org-unknown") == []


def test_consumers_keep_independent_positions(core: Leadcore, s: Session, t: Session) -> None:
    s.leads.create("Yossi")
    everything = core.events.pending("webhooks")
    assert where(everything) == [(s.organization_id, p) for p in (1, 2, 3, 4)] + [
        (t.organization_id, p) for p in (1, 2, 3)
    ]
    core.events.ack("webhooks", everything[2])
    core.events.ack("indexer", everything[-1])
    assert where(core.events.pending("webhooks")) == where(everything[3:])
    assert where(core.events.pending("indexer")) == where(everything[:4])
    assert core.events.position("webhooks", s.organization_id) == 3
    assert core.events.position("webhooks", t.organization_id) == 0
    assert core.events.position("indexer", t.organization_id) == 3


def test_acknowledging_an_earlier_event_never_moves_a_consumer_back(
    core: Leadcore, s: Session
) -> None:
    events = core.events.read(s.organization_id)
    core.events.ack("webhooks", events[-1])
    core.events.ack("webhooks", events[0])
    assert core.events.position("webhooks", s.organization_id) == len(events)
    assert core.events.pending("webhooks") == []


def test_pending_stops_at_the_limit(core: Leadcore, s: Session, t: Session) -> None:
    assert where(core.events.pending("webhooks", limit=4)) == [
        (s.organization_id, 1),
        (s.organization_id, 2),
        (s.organization_id, 3),
        (t.organization_id, 1),
    ]
    assert core.events.pending("webhooks", limit=0) == []


def test_a_pull_consumer_drains_everything_and_sees_new_events_after(
    core: Leadcore, s: Session
) -> None:
    def drain() -> list[str]:
        out = []
        while batch := core.events.pending("sync", limit=2):
            for stored in batch:
                out.append(stored.event.type)
                core.events.ack("sync", stored)
        return out

    assert drain() == ["organization.created", "user.added", "workflow.published"]
    assert drain() == []
    s.leads.create("Yossi")
    assert drain() == ["lead.created"]


# -- subscribers ------------------------------------------------------------------------


def test_a_subscriber_gets_each_event_when_the_call_that_commits_it_returns(
    core: Leadcore, s: Session
) -> None:
    rec = Recorder()
    core.events.subscribe("webhooks", rec)
    assert kinds(rec.seen) == ["organization.created", "user.added", "workflow.published"]
    lead = s.leads.create("Yossi")
    assert kinds(rec.seen)[-1] == "lead.created"
    assert rec.seen[-1].event.lead_id == lead.id  # type: ignore[attr-defined]
    s.leads.add_note(lead.id, "hello")
    assert kinds(rec.seen)[-1] == "lead.note_added"
    assert core.events.position("webhooks", s.organization_id) == 5


def test_a_subscriber_with_types_gets_only_those_and_moves_past_the_rest(
    core: Leadcore, s: Session
) -> None:
    rec = Recorder()
    core.events.subscribe("dialer", rec, types=["lead.status_changed"])
    lead = s.leads.create("Yossi")
    s.leads.add_note(lead.id, "hello")
    s.leads.change_status(lead.id, "new")
    assert kinds(rec.seen) == ["lead.status_changed"]
    assert core.events.position("dialer", s.organization_id) == 6
    assert core.events.pending("dialer") == []


def test_subscribing_to_an_unknown_type_names_it() -> None:
    log = EventLog(Leadcore.open().storage, ManualClock(START))
    with pytest.raises(ValidationError) as err:
        log.subscribe("x", Recorder(), types=["lead.created", "lead.exploded"])
    assert err.value.problems == ("types: 'lead.exploded' is not an event type",)


def test_unsubscribing_keeps_the_position_for_a_later_subscription(
    core: Leadcore, s: Session
) -> None:
    rec = Recorder()
    core.events.subscribe("webhooks", rec)
    core.events.unsubscribe("webhooks")
    s.leads.create("Yossi")
    assert kinds(rec.seen) == ["organization.created", "user.added", "workflow.published"]
    core.events.subscribe("webhooks", rec)
    assert kinds(rec.seen)[3:] == ["lead.created"]
    core.events.unsubscribe("nobody")  # unknown names are ignored


def test_deliver_returns_how_many_events_were_handled(core: Leadcore, s: Session) -> None:
    log = EventLog(core.storage, core.clock)
    log.subscribe("a", Recorder())
    log.subscribe("b", Recorder(), types=["lead.created"])
    s.leads.create("Yossi")
    s.leads.create("Rina")
    assert log.deliver() == 4
    assert log.deliver() == 0


# -- failures and back-off ---------------------------------------------------------------


def test_a_failing_subscriber_is_retried_from_the_same_event_with_doubling_back_off(
    core: Leadcore, clock: ManualClock, s: Session
) -> None:
    log = EventLog(
        core.storage, clock, first_retry=timedelta(seconds=1), max_retry=timedelta(seconds=5)
    )
    rec = Recorder()
    rec.clock = clock
    log.subscribe("webhooks", rec)
    lead = s.leads.create("Yossi")
    (created,) = core.events.read(s.organization_id, after=3)
    rec.fail_on.add(created.event.event_id)
    s.leads.add_note(lead.id, "first")
    log.deliver()
    org = s.organization_id
    assert log.failures() == [
        DeliveryFailure(
            "webhooks",
            org,
            4,
            1,
            START + timedelta(seconds=1),
            f"ConnectionError: the webhook answered 503 for {created.event.event_id}",
        )
    ]
    # Retries wait 1, 2, 4, then at most 5 seconds; calling deliver meanwhile does nothing.
    waits = []
    for _ in range(5):
        failure = log.failures()[0]
        clock.set(failure.retry_at - timedelta(microseconds=1))
        assert log.deliver() == 0
        clock.set(failure.retry_at)
        log.deliver()
        waits.append(log.failures()[0].retry_at - failure.retry_at)
    assert waits == [timedelta(seconds=s) for s in (2, 4, 5, 5, 5)]
    assert log.failures()[0].attempts == 6
    assert [c[1] for c in rec.calls if c[0] == org] == [1, 2, 3, *[4] * 6]
    rec.fail_on.clear()
    clock.set(log.failures()[0].retry_at)
    assert log.deliver() == 2
    assert log.failures() == []
    assert [e.position for e in rec.seen] == [1, 2, 3, 4, 5]


def test_later_events_of_an_organisation_wait_for_the_failed_one_but_others_flow(
    core: Leadcore, clock: ManualClock, s: Session, t: Session
) -> None:
    down = {"on": True}

    def webhook(stored: StoredEvent) -> None:
        if down["on"] and getattr(stored.event, "name", None) == "Yossi":
            raise ConnectionError("503")
        rec(stored)

    rec = Recorder()
    core.events.subscribe("webhooks", webhook)
    first = s.leads.create("Yossi")
    s.leads.add_note(first.id, "second")
    s.leads.create("Rina")
    t.leads.create("Gal")
    org = s.organization_id
    assert [p for o, p in where(rec.seen) if o == org] == [1, 2, 3]  # 4 failed: 5, 6 wait
    assert [p for o, p in where(rec.seen) if o != org] == [1, 2, 3, 4]
    (failure,) = core.events.failures()
    assert (failure.organization_id, failure.position) == (org, 4)
    down["on"] = False
    core.events.deliver()
    assert [p for o, p in where(rec.seen) if o == org] == [1, 2, 3]  # still backing off
    clock.set(failure.retry_at)
    core.events.deliver()
    assert [p for o, p in where(rec.seen) if o == org] == [1, 2, 3, 4, 5, 6]
    assert core.events.failures() == []


def test_a_failing_subscriber_never_holds_up_another(core: Leadcore, s: Session) -> None:
    healthy = Recorder()

    def down(stored: StoredEvent) -> None:
        raise RuntimeError("down")

    core.events.subscribe("down", down)
    core.events.subscribe("healthy", healthy)
    for name in ("a", "b", "c"):
        s.leads.create(name)
    assert kinds(healthy.seen)[-3:] == ["lead.created"] * 3
    assert {f.consumer for f in core.events.failures()} == {"down"}
    assert core.events.position("down", s.organization_id) == 0


def test_a_subscriber_that_fails_on_events_still_sees_each_one_at_least_once_in_order(
    core: Leadcore, clock: ManualClock, s: Session
) -> None:
    rec = Recorder()
    flaky_left = {"count": 0}

    def flaky(stored: StoredEvent) -> None:
        # Fails on every third call.
        flaky_left["count"] += 1
        if flaky_left["count"] % 3 == 0:
            raise TimeoutError("slow network")
        rec(stored)

    core.events.subscribe("flaky", flaky)
    for i in range(10):
        lead = s.leads.create(f"lead {i}")
        s.leads.add_note(lead.id, "hello")
        clock.advance(timedelta(minutes=30))
    while core.events.failures():
        clock.advance(timedelta(minutes=30))
        core.events.deliver()
    positions = [e.position for e in rec.seen if e.event.organization_id == s.organization_id]
    assert positions == list(range(1, 24))


# -- crashes -------------------------------------------------------------------------------


def test_a_crash_between_commit_and_delivery_loses_nothing(
    core: Leadcore, clock: ManualClock, s: Session
) -> None:
    rec = Recorder()
    core.events.subscribe("webhooks", rec)
    # A session whose process dies right after each commit: nothing runs the subscribers.
    ctx = ServiceContext(core.storage, clock, core.ids, s.user_id, s.organization_id)
    dying = Session(ctx)
    lead = dying.leads.create("Yossi")
    dying.leads.change_status(lead.id, "new")
    assert kinds(rec.seen)[-1] == "workflow.published"
    # On the next start (or any later use case) delivery resumes where it stopped.
    assert core.events.deliver() == 2
    assert kinds(rec.seen)[-2:] == ["lead.created", "lead.status_changed"]


def test_a_restarted_process_resumes_each_consumer_from_its_stored_position(
    core: Leadcore, s: Session
) -> None:
    before = Recorder()
    core.events.subscribe("webhooks", before)
    s.leads.create("Yossi")
    core.events.unsubscribe("webhooks")  # the process stops
    s.leads.create("Rina")  # written while no webhook sender runs
    restarted = Leadcore(storage=core.storage, clock=core.clock, ids=core.ids)
    after = Recorder()
    restarted.events.subscribe("webhooks", after)
    assert [e.position for e in after.seen] == [5]
    assert after.seen[0].event.name == "Rina"  # type: ignore[attr-defined]


def test_a_crash_inside_a_handler_repeats_only_the_event_it_interrupted(
    core: Leadcore, s: Session
) -> None:
    seen: list[int] = []

    def dies_on_the_second(stored: StoredEvent) -> None:
        if stored.position == 2:
            raise SystemExit("killed")  # not an Exception: the process goes down
        seen.append(stored.position)

    log = EventLog(core.storage, core.clock)
    with pytest.raises(SystemExit):
        log.subscribe("webhooks", dies_on_the_second)
    assert seen == [1]
    again = EventLog(core.storage, core.clock)
    again.subscribe("webhooks", lambda stored: seen.append(stored.position))
    assert seen == [1, 2, 3]


# -- handlers that use leadcore, and concurrent callers ----------------------------------------


def _finishes(target: object) -> None:
    """Run ``target`` on a thread; fail if it deadlocks instead of hanging the run."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()  # type: ignore[operator]
        except BaseException as exc:  # reported on the test's own thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(HANG_GUARD)
    assert not thread.is_alive(), "deadlock"
    if errors:
        raise errors[0]


def test_a_handler_may_make_changes_and_manage_subscriptions(core: Leadcore, s: Session) -> None:
    log: list[str] = []

    def auto_reply(stored: StoredEvent) -> None:
        if stored.event.type == "lead.created":
            s.leads.add_note(stored.event.lead_id, "auto-reply sent")  # type: ignore[attr-defined]
            core.events.failures()
            core.events.subscribe("late", lambda e: log.append(f"late:{e.event.type}"))

    def once(stored: StoredEvent) -> None:
        log.append(f"once:{stored.event.type}")
        core.events.unsubscribe("once")

    def scenario() -> None:
        core.events.subscribe("auto-reply", auto_reply, types=["lead.created"])
        core.events.subscribe("once", once)
        s.leads.create("Yossi")

    _finishes(scenario)
    assert log.count("once:organization.created") == 1
    assert not any(x.startswith("once:") and x != "once:organization.created" for x in log)
    assert log[-2:] == ["late:lead.created", "late:lead.note_added"]
    assert core.events.pending("auto-reply") == []


def test_a_delivery_asked_for_while_one_runs_is_done_by_the_running_one(
    core: Leadcore, s: Session
) -> None:
    entered = threading.Event()
    release = threading.Event()
    running = 0
    most = 0
    seen: list[str] = []

    def slow(stored: StoredEvent) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        if stored.event.type == "lead.created" and not release.is_set():
            entered.set()
            assert release.wait(HANG_GUARD)
        seen.append(stored.event.type)
        running -= 1

    core.events.subscribe("slow", slow)
    worker = threading.Thread(target=lambda: s.leads.create("Yossi"))
    worker.start()
    assert entered.wait(HANG_GUARD)
    lead_id = next(iter(s.leads.list().items)).id
    assert core.events.deliver() == 0  # another thread is delivering: returns at once
    s.leads.add_note(lead_id, "while the webhook hangs")
    release.set()
    worker.join(HANG_GUARD)
    assert not worker.is_alive()
    assert seen[-2:] == ["lead.created", "lead.note_added"]
    assert most == 1


def test_two_deliverers_of_one_consumer_never_move_its_position_back(
    core: Leadcore, s: Session
) -> None:
    first, second = EventLog(core.storage, core.clock), EventLog(core.storage, core.clock)
    seen: list[int] = []
    first.subscribe("webhooks", lambda e: seen.append(e.position))
    second.subscribe("webhooks", lambda e: seen.append(e.position))
    s.leads.create("Yossi")
    first.deliver()
    second.deliver()
    assert seen == [1, 2, 3, 4]
    assert first.position("webhooks", s.organization_id) == 4


def test_a_pass_cut_short_by_a_dying_handler_leaves_the_other_subscribers_their_events(
    core: Leadcore, s: Session
) -> None:
    log = EventLog(core.storage, core.clock)
    armed = {"now": False}

    def dies_once(stored: StoredEvent) -> None:
        if armed["now"]:
            armed["now"] = False
            raise SystemExit("killed")

    later: list[int] = []
    log.subscribe("first", dies_once)
    log.subscribe("second", lambda stored: later.append(stored.position))
    armed["now"] = True
    s.leads.create("Yossi")
    with pytest.raises(SystemExit):
        log.deliver()
    assert later == [1, 2, 3]
    log.deliver()  # no new event since: the second subscriber still gets its own
    assert later == [1, 2, 3, 4]
