"""Routing caps and rotations stay exact while many units of work route at once, on SQL.

Threads share one storage on a SQLite file; on PostgreSQL (with and without
Row-Level Security) and MariaDB, separate processes each open their own
storage on the same database and start routing together. A lost race is run
again, as a caller would; no cap is ever passed, every lead is sent once, and
the counters say exactly what was sent. Nothing here measures time: the
timeouts only turn a hang into a failure. (SQLite in memory is left out: its
one shared connection runs every statement in turn, so there is no race.)
"""

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import attrs
import pytest
from tests.integration.conftest import run_together, scratch, unique

from leadcore import ConflictError, Leadcore, ManualClock, Session
from leadcore.forwarding import Caps, DeliveryState, RoutingRule, Target
from leadcore.leads import LeadQuery
from leadcore.storage.sql import SqlStorage

START: Final = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORKERS: Final = 4
LEADS: Final = 40
HANG_GUARD: Final = 300.0
"""Seconds a worker may take before the test fails instead of hanging."""


@attrs.define
class Agency:
    """An agency with leads to route, on one storage."""

    url: str
    row_level_security: bool
    core: Leadcore
    s: Session
    admin_id: str
    lead_ids: list[str]


def _agency(storage: SqlStorage, url: str) -> Agency:
    core = Leadcore(storage=storage, clock=ManualClock(START))
    _, dana = core.create_organization("Star Media", admin_name="Dana", default_region="IL")
    s = core.session(dana.id)
    ids = [s.leads.create(f"Lead {i}", phones=[f"052-345-{i:04d}"]).id for i in range(LEADS)]
    return Agency(url, storage.row_level_security, core, s, dana.id, ids)


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Agency]:
    url = f"sqlite:///{tmp_path / unique('routing')}.db"
    agency = _agency(SqlStorage(url, create=True), url)
    yield agency
    agency.core.close()


@pytest.fixture(params=["postgresql", "postgresql-rls", "mariadb"])
def server(request: pytest.FixtureRequest) -> Iterator[Agency]:
    db = scratch(request, str(request.param))
    agency = _agency(db.storage(), db.url)
    yield agency
    agency.core.close()


# -- the two scenarios -------------------------------------------------------------------------


def _partner_cascade(a: Agency) -> tuple[str, str]:
    capped, _ = a.s.partners.add_advertiser("Insure Co", admin_name="Avi")
    spill, _ = a.s.partners.add_advertiser("Car Co", admin_name="Cal")
    a.s.routing.set_rules(
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
    return capped.id, spill.id


def _check_partner_cascade(a: Agency, capped: str, spill: str, routed: dict[str, str]) -> None:
    assert sorted(routed) == sorted(a.lead_ids)
    by_target = Counter(routed.values())
    assert by_target == {capped: 7, spill: LEADS - 7}
    (hour, day) = a.s.routing.usage()
    assert (hour.used, day.used) == (7, 7)
    sent = a.s.deliveries.list(direction="outgoing")
    assert Counter(d.partner_id for d in sent) == by_target
    assert all(d.state is DeliveryState.DELIVERED for d in sent)
    assert sorted(d.lead_id or "" for d in sent) == sorted(a.lead_ids)  # each lead went once
    with a.core.storage.unit_of_work() as uow:
        assert len(uow.leads.query(capped, LeadQuery())) == 7
        assert len(uow.leads.query(spill, LeadQuery())) == LEADS - 7
        assert len(uow.deliveries.list(capped)) == 7


def _team(a: Agency) -> list[str]:
    users = [a.s.users.create(name, "salesperson").id for name in ("Omer", "Yael", "Ioana", "Ana")]
    targets = [Target(users[0], caps=Caps(per_day=5))] + [Target(u) for u in users[1:]]
    a.s.routing.set_rules([RoutingRule("team", "Team", to="users", targets=targets)])
    return users


def _check_team(a: Agency, users: list[str], routed: dict[str, str]) -> None:
    assert sorted(routed) == sorted(a.lead_ids)
    counts = Counter(routed.values())
    assert counts[users[0]] == 5
    others = [counts[u] for u in users[1:]]
    assert sum(others) == LEADS - 5
    assert max(others) - min(others) <= 1  # the rotation never gave anyone two turns at once
    for user in users:
        assert len(a.s.leads.list(assignee_id=user, limit=100).items) == counts[user]
    (usage,) = a.s.routing.usage()
    assert usage.used == 5


# -- threads on one storage --------------------------------------------------------------------


def _route_in_threads(a: Agency) -> dict[str, str]:
    """Route every lead from threads released together; a lost race is run again."""
    routed: dict[str, str] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()
    gate = threading.Barrier(WORKERS)

    def worker(mine: list[str]) -> None:
        gate.wait()
        for lead_id in mine:
            while True:
                try:
                    outcome = a.s.routing.route(lead_id)
                except ConflictError:
                    continue  # nothing was written; run it again
                except BaseException as exc:  # pragma: no cover - reported below
                    with lock:
                        errors.append(exc)
                    return
                with lock:
                    routed[lead_id] = outcome.target_id or ""
                break

    threads = [
        threading.Thread(target=worker, args=(a.lead_ids[i::WORKERS],)) for i in range(WORKERS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HANG_GUARD)
    assert not any(t.is_alive() for t in threads), "a routing thread never finished"
    assert errors == []
    return routed


def test_no_partner_cap_is_exceeded_by_concurrent_threads_on_a_sqlite_file(
    sqlite_file: Agency,
) -> None:
    capped, spill = _partner_cascade(sqlite_file)
    _check_partner_cascade(sqlite_file, capped, spill, _route_in_threads(sqlite_file))


def test_concurrent_threads_on_a_sqlite_file_share_the_rotation_evenly(
    sqlite_file: Agency,
) -> None:
    users = _team(sqlite_file)
    _check_team(sqlite_file, users, _route_in_threads(sqlite_file))


# -- processes on one database -----------------------------------------------------------------

_WORKER: Final = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    from leadcore import ConflictError, Leadcore, ManualClock
    from leadcore.storage.sql import SqlStorage

    url, rls, user_id, leads = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
    storage = SqlStorage(url, row_level_security=rls)
    core = Leadcore(storage=storage, clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    s = core.session(user_id)
    print("ready", flush=True)
    sys.stdin.readline()
    routed = []
    for lead_id in leads.split(","):
        while True:
            try:
                outcome = s.routing.route(lead_id)
            except ConflictError:
                continue
            routed.append(f"{lead_id}={outcome.target_id or ''}")
            break
    core.close()
    print(" ".join(routed), flush=True)
    """
)


def _route_in_processes(a: Agency) -> dict[str, str]:
    """Route every lead from processes that start routing together; return lead -> target."""
    flag = "1" if a.row_level_security else "0"
    argvs = [
        [a.url, flag, a.admin_id, ",".join(mine)]
        for mine in (a.lead_ids[i::WORKERS] for i in range(WORKERS))
    ]
    routed: dict[str, str] = {}
    for out in run_together(_WORKER, argvs):
        for pair in out.split():
            lead_id, target = pair.split("=")
            assert lead_id not in routed
            routed[lead_id] = target
    return routed


def test_no_partner_cap_is_exceeded_by_concurrent_processes(server: Agency) -> None:
    capped, spill = _partner_cascade(server)
    _check_partner_cascade(server, capped, spill, _route_in_processes(server))


def test_concurrent_processes_share_the_rotation_evenly(server: Agency) -> None:
    users = _team(server)
    _check_team(server, users, _route_in_processes(server))
