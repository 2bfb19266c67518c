"""The report generator on SQL storage: the brute-force comparison of the property test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from tests.integration.conftest import empty_database
from tests.property.test_calendar_report_generator import (
    Plan,
    check_reports_against_brute_force,
    plans,
)

from leadcore import Leadcore, ManualClock
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage


@pytest.mark.parametrize("backend", ["sqlite-memory", "postgresql", "mariadb"])
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=plans())
def test_grouped_report_totals_equal_a_brute_force_count_on_sql(
    backend: str, tmp_path: Path, drawn: list[Plan]
) -> None:
    with empty_database(backend, tmp_path) as url:
        storage = SqlStorage(url, create=True)
        try:
            core = Leadcore(
                storage=storage,
                clock=ManualClock(datetime(2026, 2, 1, tzinfo=UTC)),
                ids=SequentialIds(),
            )
            check_reports_against_brute_force(core, drawn)
        finally:
            storage.engine.dispose()
