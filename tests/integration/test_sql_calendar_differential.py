"""Random calendar use cases on a SQL backend answer exactly as on MemoryStorage.

The conformance kit's :class:`~leadcore.testing.conformance.SameCalendarAsMemory`
drives two facades, one on the memory adapter and one on the SQL backend
under test, through the same random calendar use cases and compares every
answer; here it runs longer than in the kit.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from tests.integration.conftest import BACKENDS, new_storage

from leadcore.storage.sql import SqlStorage
from leadcore.testing.conformance import calendar_comparison_machine


@pytest.mark.parametrize("backend", BACKENDS)
def test_random_calendar_use_cases_answer_on_sql_as_on_memory(
    backend: str, request: pytest.FixtureRequest
) -> None:
    def open_subject() -> SqlStorage:
        return new_storage(request, backend, "calendar")

    machine = calendar_comparison_machine(
        open_subject, f"SameCalendarOn{backend.title().replace('-', '')}"
    )
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=10,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
