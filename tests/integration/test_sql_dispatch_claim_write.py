"""A claim's commit on PostgreSQL is one statement, and still first-committer-wins.

The statement writes the lease with compare-and-set: a lease written by
another commit between the claim's lookup and its commit makes the claim
conflict and write nothing (no claim logged, no event), and the service's
next attempt claims from what is there now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.ids import SequentialIds
from leadcore.storage.sql import metadata

from .conftest import scratch

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _us(when: datetime) -> int:
    return (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_a_lease_written_meanwhile_makes_the_claims_one_statement_write_nothing(
    request: pytest.FixtureRequest,
) -> None:
    storage = scratch(request, "postgresql").storage()
    core = Leadcore(storage=storage, clock=ManualClock(T0), ids=SequentialIds())
    org, admin = core.create_organization("Call centre", admin_name="Maya")
    manager = core.session(admin.id)
    agent = manager.users.create("Dana", "qualifier").id
    project = manager.leads.create_project("Spring", rules=ProjectRules(), member_ids=[agent])
    manager.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")])
    lead = manager.leads.create("Avi", project_id=project.id, pool_id="hot")
    leases = metadata.tables["leadcore_dispatch_leases"]
    raced: list[str] = []

    def race(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("WITH ") and " lease AS (" in statement and not raced:
            raced.append(statement)
            # Another commit leases the lead first (a lease that has already ended).
            with storage.engine.connect() as other:
                other.execute(
                    insert(leases).values(
                        organization_id=org.id,
                        lead_id=lead.id,
                        revision=1,
                        agent_id="someone-else",
                        token=41,
                        claimed_us=_us(T0 - timedelta(hours=1)),
                        expires_us=_us(T0 - timedelta(minutes=1)),
                        exclusive=True,
                        released=False,
                        valid_from_token=0,
                    )
                )
                other.commit()

    event.listen(storage.engine, "before_cursor_execute", race)
    try:
        claim = core.session(agent).dispatch.next(project.id)
    finally:
        event.remove(storage.engine, "before_cursor_execute", race)
    assert raced, "the claim's commit is one statement"
    assert claim is not None
    assert claim.lead_id == lead.id
    assert claim.token > 41
    claims = metadata.tables["leadcore_dispatch_claims"]
    with storage.engine.connect() as c:
        # The first attempt wrote nothing: one claim logged, the second attempt's.
        assert c.execute(select(func.count()).select_from(claims)).scalar_one() == 1
    with storage.unit_of_work() as uow:
        kinds = [type(e.event).__name__ for e in uow.events.read(org.id)]
    assert kinds.count("LeadClaimed") == 1
    assert "LeaseExpired" in kinds
    storage.close()
