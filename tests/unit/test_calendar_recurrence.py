"""Expansion across daylight saving, edits and exclusions, the budget, and splitting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadcore.calendar import (
    Activity,
    OccurrenceOverride,
    Recurrence,
    expand,
    expand_all,
    split_series,
)
from leadcore.errors import ValidationError

JLM = ZoneInfo("Asia/Jerusalem")
LON = ZoneInfo("Europe/London")
NY = ZoneInfo("America/New_York")


def series(start: datetime | date, rule: str | None, minutes: int = 60, **rec: Any) -> Activity:
    if isinstance(start, datetime):
        assert isinstance(start.tzinfo, ZoneInfo)
        tz = start.tzinfo.key
        end: datetime | date = start + timedelta(minutes=minutes)
    else:
        tz = "Asia/Jerusalem"
        end = start + timedelta(days=1)
    return Activity(
        id="s1",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="Series",
        responsible_user_id="u1",
        start=start,
        end=end,
        tz=tz,
        recurrence=Recurrence(rule, **rec),
    )


def local(occurrences: Any, zone: ZoneInfo) -> list[str]:
    return [o.starts_at.astimezone(zone).strftime("%m-%d %H:%M %Z") for o in occurrences]


@pytest.mark.parametrize(
    ("zone", "first", "expected"),
    [
        (JLM, datetime(2026, 3, 20, 9), ["03-20 09:00 IST", "03-27 09:00 IDT", "04-03 09:00 IDT"]),
        (LON, datetime(2026, 3, 22, 9), ["03-22 09:00 GMT", "03-29 09:00 BST", "04-05 09:00 BST"]),
        (NY, datetime(2026, 3, 1, 9), ["03-01 09:00 EST", "03-08 09:00 EDT", "03-15 09:00 EDT"]),
        (JLM, datetime(2026, 10, 18, 9), ["10-18 09:00 IDT", "10-25 09:00 IST", "11-01 09:00 IST"]),
        (LON, datetime(2026, 10, 18, 9), ["10-18 09:00 BST", "10-25 09:00 GMT", "11-01 09:00 GMT"]),
        (NY, datetime(2026, 10, 25, 9), ["10-25 09:00 EDT", "11-01 09:00 EST", "11-08 09:00 EST"]),
    ],
)
def test_a_weekly_meeting_keeps_its_wall_clock_time_across_daylight_saving(
    zone: ZoneInfo, first: datetime, expected: list[str]
) -> None:
    a = series(first.replace(tzinfo=zone), "FREQ=WEEKLY;COUNT=3")
    found = expand(a, a.start, a.start + timedelta(days=30)).occurrences
    assert local(found, zone) == expected
    offsets = {o.starts_at.astimezone(zone).utcoffset() for o in found}
    assert len(offsets) == 2


@pytest.mark.parametrize(
    ("zone", "first", "gap_day"),
    [
        (NY, datetime(2026, 3, 6, 2, 30), "03-08"),
        (JLM, datetime(2026, 3, 25, 2, 30), "03-27"),
        (LON, datetime(2026, 3, 27, 1, 30), "03-29"),
    ],
)
def test_a_time_inside_the_spring_gap_is_skipped_and_not_counted(
    zone: ZoneInfo, first: datetime, gap_day: str
) -> None:
    a = series(first.replace(tzinfo=zone), "FREQ=DAILY;COUNT=4")
    found = local(expand(a, a.start, a.start + timedelta(days=10)).occurrences, zone)
    assert len(found) == 4  # RFC 5545 3.3.10: ignored, and not counted
    assert not any(f.startswith(gap_day) for f in found)
    wall = first.strftime("%H:%M")
    assert all(f[6:11] == wall for f in found)


def test_an_ambiguous_time_takes_its_first_instant() -> None:
    a = series(datetime(2026, 10, 31, 1, 30, tzinfo=NY), "FREQ=DAILY;COUNT=3")
    found = expand(a, a.start, a.start + timedelta(days=5)).occurrences
    assert local(found, NY) == ["10-31 01:30 EDT", "11-01 01:30 EDT", "11-02 01:30 EST"]


def test_an_occurrence_across_a_change_keeps_its_exact_duration() -> None:
    a = series(datetime(2026, 3, 7, 1, 30, tzinfo=NY), "FREQ=DAILY;COUNT=2", minutes=60)
    second = expand(a, a.start, a.start + timedelta(days=3)).occurrences[1]
    assert second.ends_at - second.starts_at == timedelta(hours=1)
    assert second.end.strftime("%H:%M %Z") == "03:30 EDT"


def test_a_window_returns_what_overlaps_it_in_start_order() -> None:
    a = series(datetime(2026, 3, 2, 10, tzinfo=JLM), "FREQ=DAILY", minutes=90)
    # The occurrence of 3 March runs 10:00-11:30: a window from 11:00 still sees it.
    found = expand(a, datetime(2026, 3, 3, 11, tzinfo=JLM), datetime(2026, 3, 5, 10, tzinfo=JLM))
    assert local(found.occurrences, JLM) == ["03-03 10:00 IST", "03-04 10:00 IST"]
    assert not found.is_truncated


def test_exclusions_extra_dates_and_edits() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    a = series(
        start,
        "FREQ=WEEKLY",
        exdates=[start + timedelta(weeks=1)],
        rdates=[start + timedelta(days=3)],
        overrides=[
            OccurrenceOverride(
                start + timedelta(weeks=2), title="Moved out", start=start + timedelta(weeks=10)
            ),
            OccurrenceOverride(start + timedelta(weeks=3), cancelled=True),
            OccurrenceOverride(start + timedelta(weeks=4), status_id="done", notes="went well"),
            OccurrenceOverride(
                start + timedelta(weeks=20), start=start + timedelta(weeks=5, days=1)
            ),
        ],
    )
    window = expand(a, start, start + timedelta(weeks=6))
    assert local(window.occurrences, JLM) == [
        "03-02 10:00 IST",
        "03-05 10:00 IST",  # extra date
        "03-30 10:00 IDT",  # 23 March cancelled, 16 March moved out, 9 March excluded
        "04-06 10:00 IDT",
        "04-07 10:00 IDT",  # moved in from July
    ]
    edited = window.occurrences[2]
    assert edited.is_override
    assert (edited.status_id, edited.notes, edited.title) == ("done", "went well", "Series")
    moved_in = window.occurrences[4]
    assert moved_in.original_start == start + timedelta(weeks=20)
    assert moved_in.end - moved_in.start == timedelta(hours=1)
    with_cancelled = expand(a, start, start + timedelta(weeks=6), include_cancelled=True)
    assert len(with_cancelled.occurrences) == 6
    moved_out = expand(a, start + timedelta(weeks=10), start + timedelta(weeks=10, days=1))
    assert [o.title for o in moved_out.occurrences] == ["Series", "Moved out"]


def test_a_series_of_extra_dates_only() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    a = series(start, None, rdates=[start + timedelta(days=9)])
    assert len(expand(a, start, start + timedelta(days=30)).occurrences) == 2


def test_all_day_series_expand_by_days() -> None:
    a = series(date(2026, 3, 2), "FREQ=WEEKLY;BYDAY=MO,TH", exdates=[date(2026, 3, 5)])
    by_days = expand(a, date(2026, 3, 1), date(2026, 3, 13)).occurrences
    assert [o.start for o in by_days] == [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 12)]
    # Instants: the 12 March all-day occurrence begins at midnight in Jerusalem.
    by_instants = expand(
        a, datetime(2026, 3, 11, 22, 30, tzinfo=UTC), datetime(2026, 3, 12, 1, tzinfo=UTC)
    )
    assert [o.start for o in by_instants.occurrences] == [date(2026, 3, 12)]


def test_the_budget_stops_a_dense_rule_and_says_so() -> None:
    a = series(datetime(2026, 3, 2, 10, tzinfo=JLM), "FREQ=SECONDLY", minutes=1)
    window = expand(a, a.start, a.start + timedelta(days=365 * 3), limit=1000)
    assert len(window.occurrences) == 1000
    assert window.truncated == {"s1"}
    assert window.is_truncated


def test_expand_all_orders_by_start_and_rejects_bad_windows() -> None:
    a = series(datetime(2026, 3, 2, 10, tzinfo=JLM), "FREQ=DAILY;COUNT=3")
    b = series(datetime(2026, 3, 2, 9, tzinfo=LON), "FREQ=DAILY;COUNT=3")
    found = expand_all([a, b], datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 10, tzinfo=UTC))
    assert [o.starts_at.astimezone(UTC).hour for o in found.occurrences] == [8, 9] * 3
    with pytest.raises(ValidationError) as info:
        expand(a, datetime(2026, 3, 2), date(2026, 3, 1))
    assert info.value.problems == (
        "window start: 2026-03-02T00:00:00 is naive; give an aware time",
        "window: start and end must both be datetimes or both be dates",
    )


def test_splitting_keeps_every_occurrence_and_divides_the_count() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    a = series(
        start,
        "FREQ=WEEKLY;COUNT=10",
        exdates=[start + timedelta(weeks=2), start + timedelta(weeks=6)],
        overrides=[
            OccurrenceOverride(start + timedelta(weeks=1), title="early edit"),
            OccurrenceOverride(start + timedelta(weeks=7), title="late edit"),
        ],
    )
    head, tail = split_series(a, start + timedelta(weeks=4), new_id="s2")
    window = (start, start + timedelta(weeks=20))
    before = expand(a, *window).occurrences
    after = expand_all([head, tail], *window).occurrences
    assert [(o.start, o.title) for o in before] == [(o.start, o.title) for o in after]
    assert head.recurrence is not None
    assert tail.recurrence is not None
    assert tail.recurrence.rule == "FREQ=WEEKLY;COUNT=6"
    assert [o.title for o in tail.recurrence.overrides] == ["late edit"]
    assert tail.start == start + timedelta(weeks=4)
    assert tail.id == "s2"
    assert tail.version == 1


def test_splitting_needs_an_occurrence_after_the_first() -> None:
    start = datetime(2026, 3, 2, 10, tzinfo=JLM)
    a = series(start, "FREQ=WEEKLY")
    with pytest.raises(ValidationError, match="is the first occurrence"):
        split_series(a, start, new_id="s2")
    with pytest.raises(ValidationError, match="not an occurrence generated by the rule"):
        split_series(a, start + timedelta(days=1), new_id="s2")
    with pytest.raises(ValidationError, match="new_id: must be a new"):
        split_series(a, start + timedelta(weeks=1), new_id="s1")
