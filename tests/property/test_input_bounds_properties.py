"""Hostile numbers, dates and time zones: success or a ValidationError, the same on memory and
SQLite, and nothing written by a refusal (invariant 9).

The strategies come from :mod:`leadcore.testing._hostile_values`; the calls from
``tests/bounds_world.py``. ``tests/integration/test_sql_input_bounds.py`` runs the
same properties on PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.bounds_world import (
    RULE_FIELDS,
    World,
    calendar_outcomes,
    rule_outcome,
    world,
    zone_outcomes,
)

from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage
from leadcore.testing._hostile_values import (
    edge_dates,
    edge_datetimes,
    hostile_time_zones,
    huge_integers,
)


@pytest.fixture
def pair() -> Iterator[tuple[World, World]]:
    """The same organisation on memory and on SQLite, built by the same steps."""
    memory, sqlite = MemoryStorage(), SqlStorage("sqlite://", create=True)
    try:
        yield world(memory), world(sqlite)
    finally:
        sqlite.close()


def test_any_integer_rule_is_refused_or_leaves_dispatch_working(
    pair: tuple[World, World],
) -> None:
    @settings(max_examples=40)
    @given(field=st.sampled_from(RULE_FIELDS), value=huge_integers())
    def check(field: str, value: int) -> None:
        memory, sqlite = pair
        assert rule_outcome(memory, field, value) == rule_outcome(sqlite, field, value)

    check()


def test_any_edge_date_gives_every_calendar_call_success_or_a_refusal(
    pair: tuple[World, World],
) -> None:
    @settings(max_examples=25)
    @given(day=edge_dates(), when=edge_datetimes())
    def check(day: date, when: datetime) -> None:
        memory, sqlite = pair
        assert calendar_outcomes(memory, day, when) == calendar_outcomes(sqlite, day, when)

    check()


def test_any_time_zone_argument_is_a_zone_or_a_refusal_naming_it(
    pair: tuple[World, World],
) -> None:
    @settings(max_examples=40)
    @given(zone=hostile_time_zones())
    def check(zone: object) -> None:
        memory, sqlite = pair
        assert zone_outcomes(memory, zone) == zone_outcomes(sqlite, zone)

    check()
