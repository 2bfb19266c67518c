"""BYSETPOS picks within whole periods, wherever a window or a series restart falls.

RFC 5545 section 3.3.10 applies BYSETPOS to the set of one whole period (a
week from its WKST day, a month, a year, a day), and only then drops what is
before DTSTART. A series that starts mid-week, a window that starts
mid-week, and the rule restarted later in a long series all see the same
periods, so they all give the same occurrences.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadcore.calendar import (
    Activity,
    OccurrenceOverride,
    Recurrence,
    day_view,
    expand,
    month_view,
    split_series,
    week_view,
)
from leadcore.errors import ValidationError

NY = ZoneInfo("America/New_York")


def _series(rule: str, start: date | datetime, tz: str = "UTC", **recurrence: object) -> Activity:
    end = start + (timedelta(days=1) if not isinstance(start, datetime) else timedelta(hours=1))
    return Activity(
        id="a1",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="Series",
        responsible_user_id="u1",
        tz=tz,
        start=start,
        end=end,
        recurrence=Recurrence(rule, **recurrence),  # type: ignore[arg-type]
    )


def _utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


WEEKLY_SETPOS = "FREQ=WEEKLY;BYDAY=MO,TU,WE;BYSETPOS=2"


def test_weekly_bysetpos_picks_within_the_whole_first_week() -> None:
    weekly = _series(WEEKLY_SETPOS, _utc(2026, 3, 3, 9))
    found = expand(weekly, _utc(2026, 3, 1), _utc(2026, 4, 1)).occurrences
    assert [o.starts_at.day for o in found] == [3, 10, 17, 24, 31]


def test_a_window_starting_mid_week_adds_no_occurrence() -> None:
    weekly = _series(WEEKLY_SETPOS, _utc(2026, 3, 3, 9))
    whole = expand(weekly, _utc(2026, 3, 1), _utc(2026, 4, 1)).occurrences
    late = expand(weekly, _utc(2026, 3, 11, 2), _utc(2026, 4, 1)).occurrences
    assert late == tuple(o for o in whole if o.starts_at >= _utc(2026, 3, 11, 2))


def test_views_starting_on_any_weekday_show_only_real_occurrences() -> None:
    weekly = _series(WEEKLY_SETPOS, datetime(2026, 3, 3, 9, tzinfo=NY), tz="America/New_York")
    tuesdays = {date(2026, 3, d) for d in (3, 10, 17, 24, 31)}
    for day in (date(2026, 3, 1) + timedelta(days=i) for i in range(31)):
        shown = day_view([weekly], ["u1"], day, "America/New_York").columns[0].entries
        assert bool(shown) == (day in tuesdays), day
    for first_weekday in range(7):
        week = week_view(
            [weekly], None, date(2026, 3, 18), "America/New_York", first_weekday=first_weekday
        )
        days = {d.day for d in week.days if d.entries}
        assert days == {d for d in tuesdays if week.start <= d < week.end}
    month = month_view([weekly], None, 2026, 3, "America/New_York")
    assert {d.day for d in month.days if d.entries} == tuesdays


def test_the_rule_restarted_years_later_picks_the_same_occurrences() -> None:
    weekly = _series(WEEKLY_SETPOS + ";WKST=SU", _utc(2026, 3, 3, 9))
    whole = expand(weekly, _utc(2026, 3, 1), _utc(2029, 3, 1), limit=100_000).occurrences
    for offset in (1, 200, 365, 800):
        lo = _utc(2026, 3, 1) + timedelta(days=offset, hours=offset % 24)
        part = expand(weekly, lo, lo + timedelta(days=60)).occurrences
        expected = tuple(o for o in whole if lo <= o.starts_at < lo + timedelta(days=60))
        assert part == expected, lo


ALL_DAY_SETPOS = "FREQ=WEEKLY;BYDAY=MO,TU,WE;BYMONTH=1;BYSETPOS=2"


def test_all_day_weekly_bysetpos_with_bymonth_lists_second_days_of_january_weeks() -> None:
    series = _series(ALL_DAY_SETPOS, date(2025, 1, 7))
    found = [o.start for o in expand(series, date(2025, 1, 1), date(2027, 2, 1)).occurrences]
    assert found == [
        date(2025, 1, 7),
        date(2025, 1, 14),
        date(2025, 1, 21),
        date(2025, 1, 28),
        date(2026, 1, 6),
        date(2026, 1, 13),
        date(2026, 1, 20),
        date(2026, 1, 27),
        date(2027, 1, 5),
        date(2027, 1, 12),
        date(2027, 1, 19),
        date(2027, 1, 26),
    ]


def test_an_override_of_a_listed_occurrence_is_accepted() -> None:
    series = _series(
        ALL_DAY_SETPOS,
        date(2025, 1, 7),
        overrides=[OccurrenceOverride(date(2026, 1, 13), title="Moved")],
    )
    found = expand(series, date(2026, 1, 13), date(2026, 1, 14)).occurrences
    assert [o.title for o in found] == ["Moved"]


def test_an_override_of_a_day_bysetpos_did_not_pick_is_refused() -> None:
    with pytest.raises(ValidationError, match="not an occurrence of the series"):
        _series(
            ALL_DAY_SETPOS,
            date(2025, 1, 7),
            overrides=[OccurrenceOverride(date(2025, 1, 8), title="Moved")],
        )


@pytest.mark.parametrize(
    ("rule", "start"),
    [
        ("FREQ=YEARLY;BYMONTH=3,6;BYDAY=MO,FR;BYSETPOS=2,-1", _utc(2026, 3, 20, 9)),
        ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", _utc(2026, 3, 30, 9)),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,TU,TH,SA;BYSETPOS=1,-1;WKST=SU", _utc(2026, 3, 5, 9)),
        ("FREQ=DAILY;BYHOUR=8,12,18;BYSETPOS=2", _utc(2026, 3, 3, 12)),
    ],
)
def test_every_window_is_a_slice_of_the_whole_series(rule: str, start: datetime) -> None:
    series = _series(rule, start)
    whole = expand(series, start, start + timedelta(days=800), limit=100_000).occurrences
    assert whole
    for hours in (5, 31, 77, 24 * 9 + 3, 24 * 100 + 17, 24 * 400 + 1):
        lo = start + timedelta(hours=hours)
        hi = lo + timedelta(days=40)
        part = expand(series, lo, hi).occurrences
        assert part == tuple(o for o in whole if o.ends_at > lo and o.starts_at < hi), lo


def test_a_split_series_continues_with_the_same_occurrences() -> None:
    weekly = _series(WEEKLY_SETPOS, _utc(2026, 3, 3, 9))
    whole = expand(weekly, _utc(2026, 3, 1), _utc(2026, 6, 1)).occurrences
    head, tail = split_series(weekly, _utc(2026, 3, 17, 9), new_id="a2")
    both = [
        *expand(head, _utc(2026, 3, 1), _utc(2026, 6, 1)).occurrences,
        *expand(tail, _utc(2026, 3, 1), _utc(2026, 6, 1)).occurrences,
    ]
    assert [o.starts_at for o in both] == [o.starts_at for o in whole]


def test_a_series_in_year_one_is_refused_as_outside_the_supported_years() -> None:
    # Expansion starts each run at the beginning of a period; the supported
    # years (docs/limits.md) keep every such period inside what datetime holds.
    with pytest.raises(ValidationError, match="year"):
        _series(WEEKLY_SETPOS + ";WKST=SU", date(1, 1, 2))
