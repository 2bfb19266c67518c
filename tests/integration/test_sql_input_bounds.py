"""Out-of-bounds numbers, dates and time zones on every SQL backend, answer for answer as on
memory: a ValidationError naming the value, and nothing written (invariant 9).

The same cases and properties as ``tests/integration/test_input_bounds.py`` and
``tests/property/test_input_bounds_properties.py``, on SQLite (memory and file),
PostgreSQL (with and without Row-Level Security) and MariaDB.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.bounds_world import (
    CASES,
    RULE_FIELDS,
    answer,
    calendar_outcomes,
    rule_outcome,
    world,
    zone_outcomes,
)
from tests.integration.conftest import BACKENDS, new_storage

from leadcore.storage.memory import MemoryStorage
from leadcore.testing._hostile_values import (
    edge_dates,
    edge_datetimes,
    hostile_time_zones,
    huge_integers,
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_out_of_bounds_case_answers_as_on_memory_and_writes_nothing(
    request: pytest.FixtureRequest, backend: str
) -> None:
    storage = new_storage(request, backend)
    try:
        sql, memory = world(storage), world(MemoryStorage())
        for case in CASES:
            before = sql.written()
            got = answer(sql, case)
            assert got == answer(memory, case), case.label
            assert got[0] == "ValidationError", (case.label, got)
            assert sql.written() == before, case.label
    finally:
        storage.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_hostile_rules_dates_and_time_zones_answer_as_on_memory(
    request: pytest.FixtureRequest, backend: str
) -> None:
    storage = new_storage(request, backend)
    try:
        sql, memory = world(storage), world(MemoryStorage())

        @settings(max_examples=15)
        @given(
            field=st.sampled_from(RULE_FIELDS),
            value=huge_integers(),
            day=edge_dates(),
            when=edge_datetimes(),
            zone=hostile_time_zones(),
        )
        def check(field: str, value: int, day: date, when: datetime, zone: object) -> None:
            assert rule_outcome(sql, field, value) == rule_outcome(memory, field, value)
            assert calendar_outcomes(sql, day, when) == calendar_outcomes(memory, day, when)
            assert zone_outcomes(sql, zone) == zone_outcomes(memory, zone)

        check()
    finally:
        storage.close()
