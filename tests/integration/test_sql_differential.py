"""The same service operations on MemoryStorage and on a SQL backend give the same answers.

The conformance kit's :class:`~leadcore.testing.conformance.SameAnswersAsMemory`
drives two facades, one on the reference memory adapter and one on the SQL
backend under test, through the same random operations, and compares every
answer: the records returned, the errors raised (type and message), the lead
lists page by page, the status counts, the history, notes and tasks of each
lead, and the outbox of events. Here it runs longer than in the kit.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from tests.integration.conftest import BACKENDS, new_storage

from leadcore.storage.sql import SqlStorage
from leadcore.testing.conformance import comparison_machine


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_answer_of_a_sql_backend_equals_the_memory_adapter_s(
    backend: str, request: pytest.FixtureRequest
) -> None:
    def open_subject() -> SqlStorage:
        return new_storage(request, backend, "differential")

    machine = comparison_machine(open_subject, f"SameAnswersOn{backend.title().replace('-', '')}")
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
