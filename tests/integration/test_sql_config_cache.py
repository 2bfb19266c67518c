"""The configuration cache: two storages (two processes' worth) on one database.

Each storage caches an organisation's configuration under the value of its
``config`` counter. A configuration write through either storage advances the
counter, so the other sees it at its next unit of work; a change made with raw
SQL is seen once the counter is advanced, as ``docs/storage.md`` tells hosts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from tests.integration.conftest import empty_database

from leadcore import Leadcore, ManualClock, Session
from leadcore.dispatch import Pool, PoolKind
from leadcore.errors import Forbidden
from leadcore.storage.sql import SqlStorage
from leadcore.tenancy import Permission

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SHARED_DATABASES = ("sqlite-file", "postgresql", "mariadb")


@pytest.fixture(params=SHARED_DATABASES)
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Leadcore, Leadcore]]:
    """Two cores, each on its own storage (its own cache) of one new database."""
    with empty_database(request.param, tmp_path) as url:
        first = Leadcore(storage=SqlStorage(url, create=True), clock=ManualClock(T0))
        second = Leadcore(storage=SqlStorage(url), clock=ManualClock(T0))
        try:
            yield first, second
        finally:
            second.close()
            first.close()


def _agency(first: Leadcore, second: Leadcore) -> tuple[str, Session, Session, str]:
    """An organisation with a project: its id, the manager on each storage, the project id."""
    org, admin = first.create_organization("Agency", admin_name="Manager")
    a, b = first.session(admin.id), second.session(admin.id)
    project = a.leads.create_project("Campaign", member_ids=[admin.id])
    assert b.dispatch.pools(project.id).pools == ()  # now cached by the second storage
    a.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot leads")])
    assert [p.id for p in b.dispatch.pools(project.id).pools] == ["hot"]
    return org.id, a, b, project.id


def test_a_configuration_write_through_one_storage_is_seen_by_the_other(
    two: tuple[Leadcore, Leadcore],
) -> None:
    first, second = two
    _, a, _, project_id = _agency(first, second)
    # The acting user is configuration too: deactivating one is seen at once.
    agent = a.users.create("Agent", "qualifier")
    c = second.session(agent.id)
    assert c.dispatch.pools(project_id).pools != ()
    a.users.deactivate(agent.id)
    with pytest.raises(Forbidden, match="inactive"):
        c.dispatch.pools(project_id)


def test_raw_sql_is_seen_once_the_config_counter_is_advanced(
    two: tuple[Leadcore, Leadcore],
) -> None:
    first, second = two
    org_id, _, b, project_id = _agency(first, second)
    storage = second.storage
    assert isinstance(storage, SqlStorage)
    with storage.engine.begin() as conn:
        conn.execute(text("DELETE FROM leadcore_dispatch_pools"))
    # Behind leadcore's back: the cache still answers.
    assert [p.id for p in b.dispatch.pools(project_id).pools] == ["hot"]
    with storage.engine.begin() as conn:
        advanced = conn.execute(
            text(
                "UPDATE leadcore_counters SET value = value + 1 "
                "WHERE organization_id = :org AND name = 'config'"
            ),
            {"org": org_id},
        )
        assert advanced.rowcount == 1
    assert b.dispatch.pools(project_id).pools == ()
    assert Permission.MANAGE_DISPATCH in b.users.permissions()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.lists(st.sampled_from(["hot", "cold", "vip"]), unique=True)),
        min_size=1,
        max_size=8,
    )
)
def test_every_storage_reads_the_last_configuration_written_by_any(
    writes: list[tuple[bool, list[str]]],
) -> None:
    """Writes through either of two storages, in any order: both always read the last one."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'crm.db'}"
        first = Leadcore(storage=SqlStorage(url, create=True), clock=ManualClock(T0))
        second = Leadcore(storage=SqlStorage(url), clock=ManualClock(T0))
        try:
            _, a, b, project_id = _agency(first, second)
            for through_first, ids in writes:
                writer = a if through_first else b
                writer.dispatch.set_pools(project_id, [Pool(i, PoolKind.PROJECT, i) for i in ids])
                for reader in (a, b):
                    assert [p.id for p in reader.dispatch.pools(project_id).pools] == ids
        finally:
            second.close()
            first.close()
