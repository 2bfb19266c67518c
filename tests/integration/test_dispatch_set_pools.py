"""Setting a project's pools: ``order=None`` means no project order, on every adapter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectPools
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POOLS = [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.GENERAL, "Cold")]


@pytest.fixture(params=["memory", "sqlite"])
def manager(request: pytest.FixtureRequest) -> Iterator[Session]:
    storage = SqlStorage("sqlite://", create=True) if request.param == "sqlite" else None
    with Leadcore(storage, ManualClock(T0), SequentialIds()) as core:
        _, admin = core.create_organization("Call centre", admin_name="Dana")
        yield core.session(admin.id)


def test_no_order_means_the_order_of_the_pools(manager: Session) -> None:
    project = manager.leads.create_project("Spring", member_ids=[manager.user_id])
    set_with_none = manager.dispatch.set_pools(project.id, POOLS, order=None, agent_orders=None)
    assert set_with_none == ProjectPools(POOLS)
    assert manager.dispatch.pools(project.id) == manager.dispatch.set_pools(project.id, POOLS)
    assert set_with_none.order_for(manager.user_id) == ("hot", "cold")


def test_no_order_replaces_an_earlier_order(manager: Session) -> None:
    project = manager.leads.create_project("Spring", member_ids=[manager.user_id])
    manager.dispatch.set_pools(project.id, POOLS, order=["cold", "hot"])
    manager.dispatch.set_pools(project.id, POOLS, order=None)
    assert manager.dispatch.pools(project.id).order_for(manager.user_id) == ("hot", "cold")


def test_an_order_that_is_one_pool_id_is_refused_by_name(manager: Session) -> None:
    project = manager.leads.create_project("Spring", member_ids=[manager.user_id])
    with pytest.raises(ValidationError, match=r"order: expected a list of text or None; got str"):
        manager.dispatch.set_pools(project.id, POOLS, order="hot")
    assert manager.dispatch.pools(project.id) == ProjectPools(())


def test_project_pools_take_no_order_as_none() -> None:
    assert ProjectPools(POOLS, order=None).order == ()
