"""The test oracle of RFC 5545 recurrence gives every example of section 3.8.5.3.

The oracle (``tests/oracles/rfc5545.py``) is what the property tests compare
the library with, so it is checked on its own against the RFC's examples
first, the same table the library is checked against.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.oracles import rfc5545
from tests.unit.test_calendar_rfc5545_examples import EXAMPLES

NY = ZoneInfo("America/New_York")


def _walls(dtstart: str, rule: str, exdates: tuple[str, ...], wanted: int) -> list[str]:
    start = datetime.strptime(dtstart, "%Y%m%dT%H%M%S").replace(tzinfo=NY)
    excluded = [datetime.strptime(x, "%Y%m%dT%H%M%S").replace(tzinfo=NY) for x in exdates]
    found: list[datetime] = []
    for days in (3, 60, 800, 366 * 12):
        found = rfc5545.timed_occurrences(
            start, rule, NY, start + timedelta(days=days), exdates=excluded
        )
        if len(found) >= wanted:
            break
    return [at.astimezone(NY).strftime("%Y%m%dT%H%M") for at in found][:wanted]


@pytest.mark.parametrize(
    ("dtstart", "rule", "exdates", "expected", "complete"),
    [pytest.param(*example[1:], id=example[0]) for example in EXAMPLES],
)
def test_the_oracle_gives_the_rfc5545_example(
    dtstart: str, rule: str, exdates: tuple[str, ...], expected: list[str], complete: bool
) -> None:
    assert _walls(dtstart, rule, exdates, len(expected) + (1 if complete else 0)) == expected


@pytest.mark.parametrize(
    ("rule", "dtstart", "expected"),
    [
        # BYSETPOS picks within the whole week, also the first one.
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE;BYSETPOS=2;COUNT=3", "20260303T090000", [3, 10, 17]),
        ("FREQ=WEEKLY;BYDAY=MO,TU,WE;BYSETPOS=-1;COUNT=3", "20260304T090000", [4, 11, 18]),
        ("FREQ=WEEKLY;BYDAY=TU,SU;BYSETPOS=1;WKST=SU;COUNT=2", "20260308T090000", [8, 15]),
    ],
)
def test_the_oracle_applies_bysetpos_to_whole_weeks(
    rule: str, dtstart: str, expected: list[int]
) -> None:
    start = datetime.strptime(dtstart, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    found = rfc5545.timed_occurrences(start, rule, ZoneInfo("UTC"), start + timedelta(days=60))
    assert [at.day for at in found] == expected


def test_the_oracle_skips_a_nonexistent_local_time_without_counting_it() -> None:
    zone = ZoneInfo("Europe/London")
    start = datetime(2026, 3, 27, 1, 30, tzinfo=zone)
    found = rfc5545.timed_occurrences(start, "FREQ=DAILY;COUNT=3", zone, start + timedelta(days=10))
    assert [at.astimezone(zone).day for at in found] == [27, 28, 30]


def test_the_oracle_reads_a_repeated_local_time_as_its_first_instant() -> None:
    zone = ZoneInfo("Europe/London")
    start = datetime(2026, 10, 24, 1, 30, tzinfo=zone)
    found = rfc5545.timed_occurrences(start, "FREQ=DAILY;COUNT=2", zone, start + timedelta(days=3))
    assert found[1] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
