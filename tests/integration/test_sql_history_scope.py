"""The history scope on SQL storage: every scope is kept; rules stored with the old flag load."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.integration.conftest import empty_database

from leadcore import Leadcore, ManualClock
from leadcore.dispatch import HistoryScope, ProjectRules
from leadcore.storage.sql import SqlStorage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=("sqlite-file", "postgresql", "mariadb"))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as found:
        yield found


def test_rules_stored_with_the_old_flag_load_as_the_scope_they_meant(url: str) -> None:
    storage = SqlStorage(url, create=True)
    try:
        core = Leadcore(storage=storage, clock=ManualClock(T0))
        _, dana = core.create_organization("Star Media", admin_name="Dana")
        s = core.session(dana.id)
        own = s.leads.create_project("Own", rules=ProjectRules(history_scope=HistoryScope.OWN))
        group = s.leads.create_project("Group", rules=ProjectRules(history_scope="group"))
        assert s.leads.project(group.id).rules.history_scope is HistoryScope.GROUP
        # Rewrite the stored record as an older release wrote it: the boolean, no scope.
        with storage.engine.begin() as connection:
            row = connection.execute(
                text("SELECT record FROM leadcore_projects WHERE id = :id"), {"id": own.id}
            ).one()
            record = json.loads(row[0])
            del record["rules"]["history_scope"]
            record["rules"]["show_only_own_history"] = True
            connection.execute(
                text("UPDATE leadcore_projects SET record = :record WHERE id = :id"),
                {"record": json.dumps(record), "id": own.id},
            )
    finally:
        storage.engine.dispose()
    fresh = SqlStorage(url)
    try:
        again = Leadcore(storage=fresh, clock=ManualClock(T0)).session(dana.id)
        assert again.leads.project(own.id).rules.history_scope is HistoryScope.OWN
        assert again.leads.project(group.id).rules.history_scope is HistoryScope.GROUP
    finally:
        fresh.engine.dispose()
