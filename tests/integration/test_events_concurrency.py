"""Delivery under real threads: many use cases at once, subscribers counting what they get."""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.events import StoredEvent
from leadcore.ids import RandomIds

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THREADS = 8
ROUNDS = 12
HANG_GUARD = 60.0
"""Seconds after which a worker that never finished counts as a deadlock (never reached)."""


class Counter:
    """Counts every event it is given, per organisation, and notes any out-of-order one."""

    def __init__(self, fail_every: int = 0) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.fail_every = fail_every
        self.handled: dict[str, list[int]] = defaultdict(list)
        self.event_ids: list[str] = []
        self.out_of_order: list[tuple[str, int]] = []
        self.failed: dict[str, list[int]] = defaultdict(list)

    def __call__(self, stored: StoredEvent) -> None:
        org = stored.event.organization_id
        with self.lock:
            self.calls += 1
            if self.fail_every and self.calls % self.fail_every == 0:
                self.failed[org].append(stored.position)
                raise ConnectionError("503")
            last = self.handled[org][-1] if self.handled[org] else 0
            if stored.position != last + 1:
                self.out_of_order.append((org, stored.position))
            self.handled[org].append(stored.position)
            self.event_ids.append(stored.event.event_id)


def open_core(url: str, clock: ManualClock) -> Leadcore:
    if url.startswith("sqlite"):
        pytest.importorskip("sqlalchemy")
    return Leadcore.open(url, clock=clock, ids=RandomIds())


ADAPTERS = pytest.mark.parametrize("url", ["memory://", "sqlite://"])


@ADAPTERS
def test_many_threads_of_use_cases_lose_no_event_and_deliver_none_twice(url: str) -> None:
    clock = ManualClock(START)
    core = open_core(url, clock)
    sessions = []
    for name in ("Agency", "Call centre"):
        _, admin = core.create_organization(name, admin_name="Admin", default_region="IL")
        s = core.session(admin.id)
        sessions += [
            core.session(s.users.create(f"Agent {i}", "account_manager").id) for i in range(4)
        ]
    counter = Counter()
    flaky = Counter(fail_every=7)
    core.events.subscribe("counter", counter)
    core.events.subscribe("flaky", flaky)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        s = sessions[n % len(sessions)]
        try:
            start.wait()
            for i in range(ROUNDS):
                lead = s.leads.create(f"Lead {n}-{i}", phones=[f"050-{n:03d}-{i:04d}"])
                s.leads.add_note(lead.id, "called")
                s.leads.change_status(lead.id, "no_answer")
        except BaseException as exc:  # reported on the test's own thread
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(HANG_GUARD)
    assert not any(worker.is_alive() for worker in workers), "deadlock"
    assert errors == []

    heads = {s.organization_id: len(core.events.read(s.organization_id)) for s in sessions}
    assert sum(heads.values()) == 2 * (3 + 4) + THREADS * ROUNDS * 3
    # Every use case ran delivery when it returned: nothing is left, nothing came twice.
    assert dict(counter.handled) == {org: list(range(1, head + 1)) for org, head in heads.items()}
    assert len(set(counter.event_ids)) == len(counter.event_ids)
    assert counter.out_of_order == []

    # The flaky subscriber was held back by its failures; once they pass it has everything.
    assert flaky.failed
    rounds = 0
    while core.events.failures():
        # Each round hands over at least the event that failed (it fails every 7th call).
        rounds += 1
        assert rounds <= sum(heads.values())
        clock.advance(timedelta(minutes=10))
        core.events.deliver()
    assert dict(flaky.handled) == {org: list(range(1, head + 1)) for org, head in heads.items()}
    assert flaky.out_of_order == []
    assert len(set(flaky.event_ids)) == len(flaky.event_ids)


@ADAPTERS
def test_deliver_called_from_many_threads_at_once_runs_each_handler_alone(url: str) -> None:
    core = open_core(url, ManualClock(START))
    _, admin = core.create_organization("Agency", admin_name="Admin")
    s = core.session(admin.id)
    inside = 0
    most = 0
    gate = threading.Lock()
    seen: list[int] = []

    def handler(stored: StoredEvent) -> None:
        nonlocal inside, most
        with gate:
            inside += 1
            most = max(most, inside)
        seen.append(stored.position)
        with gate:
            inside -= 1

    core.events.subscribe("one-at-a-time", handler)
    for i in range(50):
        s.leads.create(f"Lead {i}")
    start = threading.Barrier(THREADS)

    def hammer() -> None:
        start.wait()
        for _ in range(20):
            core.events.deliver()

    threads = [threading.Thread(target=hammer) for _ in range(THREADS)]
    creator = threading.Thread(target=lambda: [s.leads.create(f"More {i}") for i in range(30)])
    for thread in [*threads, creator]:
        thread.start()
    for thread in [*threads, creator]:
        thread.join(HANG_GUARD)
        assert not thread.is_alive(), "deadlock"
    core.events.deliver()
    assert most == 1
    assert seen == list(range(1, len(core.events.read(s.organization_id)) + 1))
