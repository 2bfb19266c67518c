"""``DatabaseClock``: every host judges leases by the database's time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta

import pytest
from tests.integration.conftest import BACKENDS

from leadcore import Leadcore
from leadcore.clock import Clock
from leadcore.dispatch import Pool, PoolKind
from leadcore.storage.sql import DatabaseClock, SqlStorage


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_database_clock_tells_aware_utc_instants(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    clock = DatabaseClock(make_storage(backend))
    assert isinstance(clock, Clock)
    first = clock.now()
    second = clock.now()
    assert first.tzinfo is UTC
    assert second.utcoffset() == timedelta(0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_claims_are_timed_by_the_database_clock(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    clock = DatabaseClock(storage)
    core = Leadcore(storage=storage, clock=clock)
    _, admin = core.create_organization("Agency", admin_name="Maya")
    s = core.session(admin.id)
    project = s.leads.create_project("P", member_ids=[admin.id])
    s.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
    s.leads.create("Avi", project_id=project.id, pool_id="hot")
    before = clock.now()
    claim = s.dispatch.next(project.id)
    after = clock.now()
    assert claim is not None
    # The claim's instant came from the same clock, read between the two readings.
    assert before <= claim.claimed_at <= after
    assert claim.expires_at == claim.claimed_at + project.rules.lock_window
