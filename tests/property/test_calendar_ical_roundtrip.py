"""An export read back gives the same instants and durations, in zones that change their clocks.

Times are drawn around the changes of summer time (the repeated and the
skipped hour), and compared as instants: ``==`` on aware times of one zone
compares wall clocks, so that 01:30 in the two runs of a repeated hour are
equal to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leadcore.calendar import Activity, ActivityStatus, Recurrence, expand, from_ics, to_ics

pytest.importorskip("icalendar")

STATUSES = [ActivityStatus("scheduled", "Scheduled", "open")]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
# Each zone with the instants (UTC) of its clock changes in 2026.
CHANGES = {
    "Asia/Jerusalem": [
        datetime(2026, 3, 27, 0, tzinfo=UTC),
        datetime(2026, 10, 24, 23, tzinfo=UTC),
    ],
    "America/New_York": [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)],
    "Europe/London": [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)],
    "Australia/Lord_Howe": [
        datetime(2026, 4, 4, 15, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ],
}


@st.composite
def instants_near_a_change(draw: st.DrawFn, tz: str) -> datetime:
    change = draw(st.sampled_from(CHANGES[tz]))
    minutes = draw(st.integers(-150, 150).map(lambda m: m - m % 15))
    days = draw(st.sampled_from([0, 0, 0, -1, 1, 7]))
    return change + timedelta(days=days, minutes=minutes)


@st.composite
def activities(draw: st.DrawFn) -> Activity:
    tz = draw(st.sampled_from(sorted(CHANGES)))
    zone = ZoneInfo(tz)
    start = draw(instants_near_a_change(tz))
    duration = timedelta(minutes=draw(st.integers(1, 20)) * 15)
    begin, end = start.astimezone(zone), (start + duration).astimezone(zone)
    # The activity model compares an end with its start by wall clock (see issue 19,
    # finding 2): only times whose wall clocks are in order are drawn.
    assume(end > begin)
    recurrence = None
    if draw(st.booleans()):
        rdates = draw(st.lists(instants_near_a_change(tz), max_size=2, unique=True))
        recurrence = Recurrence(
            f"FREQ=DAILY;COUNT={draw(st.integers(1, 4))}",
            rdates=[r.astimezone(zone) for r in rdates],
        )
    return Activity(
        id="a1",
        organization_id="org",
        type_id="meeting",
        status_id="scheduled",
        title="Meeting",
        responsible_user_id="dana",
        start=begin,
        end=end,
        tz=tz,
        recurrence=recurrence,
    )


def instants(values: tuple[object, ...]) -> list[datetime]:
    return [v.astimezone(UTC) for v in values if isinstance(v, datetime)]


@settings(max_examples=60, deadline=None)
@given(activities())
def test_an_exported_activity_reads_back_at_the_same_instants_and_durations(a: Activity) -> None:
    result = from_ics(
        to_ics([a], STATUSES, now=NOW),
        organization_id="org",
        type_id="meeting",
        statuses=STATUSES,
    )
    assert result.problems == ()
    (back,) = result.activities
    assert isinstance(back.start, datetime)
    assert isinstance(a.start, datetime)
    assert back.tz == a.tz
    assert back.start.astimezone(UTC) == a.start.astimezone(UTC)
    assert isinstance(back.end, datetime)
    assert isinstance(a.end, datetime)
    assert back.end.astimezone(UTC) - back.start.astimezone(UTC) == a.end.astimezone(
        UTC
    ) - a.start.astimezone(UTC)
    if a.recurrence is not None:
        assert back.recurrence is not None
        assert instants(back.recurrence.rdates) == instants(a.recurrence.rdates)
        window = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
        mine = [(o.starts_at, o.ends_at) for o in expand(a, *window).occurrences]
        theirs = [(o.starts_at, o.ends_at) for o in expand(back, *window).occurrences]
        assert theirs == mine
