"""Cap counters and rotations stay exact while many threads route at once (real threads)."""

from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import UTC, datetime

import pytest

from leadcore import ConflictError, Leadcore, ManualClock, Session
from leadcore.forwarding import Caps, DeliveryState, RoutingOutcome, RoutingRule, Target
from leadcore.ids import SequentialIds
from leadcore.leads import LeadQuery
from leadcore.storage.memory import Transaction

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THREADS = 8
LEADS = 64


@pytest.fixture(autouse=True)
def _yielding_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every read of the memory store yields to other threads, so units of work interleave.

    Without it, the interpreter tends to run each short unit of work from start
    to end, and the races these tests are about would rarely happen.
    """
    read = Transaction.read

    def yielding(self: Transaction, table: str, org: str, key: Hashable) -> object:
        time.sleep(0)
        return read(self, table, org, key)

    monkeypatch.setattr(Transaction, "read", yielding)


def _in_threads(work: list[Callable[[], RoutingOutcome]]) -> list[RoutingOutcome]:
    """Run every call, spread over threads released together; a lost race is run again."""
    results: list[RoutingOutcome] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    gate = threading.Barrier(THREADS)

    def worker(mine: list[Callable[[], RoutingOutcome]]) -> None:
        gate.wait()
        for call in mine:
            while True:
                try:
                    outcome = call()
                except ConflictError:
                    continue  # nothing was written; the caller may run it again
                except BaseException as exc:  # pragma: no cover - reported below
                    with lock:
                        errors.append(exc)
                    return
                with lock:
                    results.append(outcome)
                break

    threads = [threading.Thread(target=worker, args=(work[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def _agency() -> tuple[Leadcore, Session, list[str]]:
    core = Leadcore.open(clock=ManualClock(START), ids=SequentialIds())
    _, dana = core.create_organization("Star Media", admin_name="Dana", default_region="IL")
    a = core.session(dana.id)
    ids = [a.leads.create(f"Lead {i}", phones=[f"052-345-{i:04d}"]).id for i in range(LEADS)]
    return core, a, ids


def test_no_partner_cap_is_ever_exceeded_by_concurrent_routes() -> None:
    core, a, ids = _agency()
    capped, _ = a.partners.add_advertiser("Insure Co", admin_name="Avi")
    spill, _ = a.partners.add_advertiser("Car Co", admin_name="Cal")
    a.routing.set_rules(
        [
            RoutingRule(
                "buyers",
                "Buyers",
                to="partners",
                strategy="cascade",
                targets=[Target(capped.id, caps=Caps(per_hour=7, per_day=9)), Target(spill.id)],
            )
        ]
    )
    outcomes = _in_threads([functools.partial(a.routing.route, lead) for lead in ids])

    by_target = Counter(o.target_id for o in outcomes)
    assert by_target == {capped.id: 7, spill.id: LEADS - 7}
    (hour, day) = a.routing.usage()
    assert (hour.used, day.used) == (7, 7)
    sent = a.deliveries.list(direction="outgoing")
    assert Counter(d.partner_id for d in sent) == by_target
    assert all(d.state is DeliveryState.DELIVERED for d in sent)
    assert len({d.lead_id for d in sent}) == LEADS  # every lead went out exactly once
    with core.storage.unit_of_work() as uow:
        assert len(uow.leads.query(capped.id, LeadQuery())) == 7


def test_concurrent_round_robin_gives_every_user_the_same_number_of_leads() -> None:
    _, a, ids = _agency()
    users = [a.users.create(name, "salesperson").id for name in ("Omer", "Yael", "Ioana", "Ana")]
    capped = users[0]
    targets = [Target(capped, caps=Caps(per_day=5))] + [Target(u) for u in users[1:]]
    a.routing.set_rules([RoutingRule("team", "Team", to="users", targets=targets)])
    outcomes = _in_threads([functools.partial(a.routing.route, lead) for lead in ids])

    counts = Counter(o.target_id for o in outcomes)
    assert counts[capped] == 5
    others = [counts[u] for u in users[1:]]
    assert sum(others) == LEADS - 5
    assert max(others) - min(others) <= 1  # the rotation never gave anyone two turns at once
    for user in users:
        assert len(a.leads.list(assignee_id=user, limit=100).items) == counts[user]
