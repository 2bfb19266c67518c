"""Delivery after a use case reads the outbox heads of the organisations it touched only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.events import StoredEvent
from leadcore.ids import SequentialIds

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["memory://", "sqlite://"])
def core(request: pytest.FixtureRequest) -> Iterator[Leadcore]:
    url: str = request.param
    if url.startswith("sqlite"):
        pytest.importorskip("sqlalchemy")
    with Leadcore.open(url, clock=ManualClock(START), ids=SequentialIds()) as opened:
        yield opened


def _session(core: Leadcore, name: str) -> Session:
    _, admin = core.create_organization(name, admin_name="Admin")
    return core.session(admin.id)


@contextmanager
def heads_asked(core: Leadcore) -> Iterator[list[frozenset[str] | None]]:
    """Which organisations each read of the outbox heads named (``None``: every one)."""
    asked: list[frozenset[str] | None] = []
    storage: Any = core.storage
    original = storage.unit_of_work

    def unit_of_work() -> Any:
        uow = original()
        events = uow.events
        heads = events.heads

        def spy(organization_ids: Any = None) -> Any:
            asked.append(None if organization_ids is None else frozenset(organization_ids))
            return heads(organization_ids)

        events.heads = spy
        return uow

    storage.unit_of_work = unit_of_work
    try:
        yield asked
    finally:
        del storage.unit_of_work


def test_a_use_case_reads_the_heads_of_its_own_organisation_only(core: Leadcore) -> None:
    s, t = _session(core, "Agency"), _session(core, "Call centre")
    seen: list[StoredEvent] = []
    core.events.subscribe("audit", seen.append)
    with heads_asked(core) as asked:
        s.leads.create("Dana")
    assert asked == [frozenset({s.organization_id})]
    assert seen[-1].event.type == "lead.created"
    with heads_asked(core) as asked:
        t.leads.create("Noa")
    assert asked == [frozenset({t.organization_id})]
    assert seen[-1].event.organization_id == t.organization_id


def test_a_use_case_that_records_no_event_reads_no_heads(core: Leadcore) -> None:
    s = _session(core, "Agency")
    core.events.subscribe("audit", lambda e: None)
    with heads_asked(core) as asked:
        s.leads.list()
    assert asked == []


def test_an_explicit_delivery_reads_every_organisation_s_heads(core: Leadcore) -> None:
    _session(core, "Agency")
    core.events.subscribe("audit", lambda e: None)
    with heads_asked(core) as asked:
        core.events.deliver()
    assert asked == [None]


def test_an_organisation_waiting_for_a_retry_is_read_with_the_touched_one(core: Leadcore) -> None:
    s, t = _session(core, "Agency"), _session(core, "Call centre")
    failing = {"on": True}

    def webhook(stored: StoredEvent) -> None:
        if failing["on"] and stored.event.organization_id == t.organization_id:
            raise ConnectionError("503")

    core.events.subscribe("webhooks", webhook)
    assert [f.organization_id for f in core.events.failures()] == [t.organization_id]
    failing["on"] = False
    clock = core.clock
    assert isinstance(clock, ManualClock)
    clock.set(core.events.failures()[0].retry_at)
    with heads_asked(core) as asked:
        s.leads.create("Dana")
    assert asked == [frozenset({s.organization_id, t.organization_id})]
    assert core.events.failures() == []


def test_on_sql_the_heads_query_names_only_the_touched_organisation() -> None:
    sqlalchemy = pytest.importorskip("sqlalchemy")
    with Leadcore.open("sqlite://", clock=ManualClock(START), ids=SequentialIds()) as core:
        s, t = _session(core, "Agency"), _session(core, "Call centre")
        core.events.subscribe("audit", lambda e: None)
        engine = core.storage.engine  # type: ignore[attr-defined]
        statements: list[tuple[str, Any]] = []

        def keep(*args: Any) -> None:
            statements.append((args[2], args[3]))

        sqlalchemy.event.listen(engine, "before_cursor_execute", keep)
        try:
            s.leads.create("Dana")
        finally:
            sqlalchemy.event.remove(engine, "before_cursor_execute", keep)
        heads = [
            (" ".join(sql.split()), list(params))
            for sql, params in statements
            if sql.lstrip().upper().startswith("SELECT")
            and "leadcore_counters.value" in sql
            and "events" in list(params)
        ]
        assert len(heads) == 1
        sql, params = heads[0]
        assert "organization_id IN" in sql
        assert s.organization_id in params
        assert t.organization_id not in params
