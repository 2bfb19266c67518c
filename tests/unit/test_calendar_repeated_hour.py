"""Times in the hour repeated when daylight saving ends are ordered as instants.

Python compares two aware datetimes of one zone by their wall clocks and
ignores ``fold``, so 01:00 of the repeated hour's second run looks equal to
01:00 of its first run, an hour earlier. Every check of order and every
duration in the calendar must use instants instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.calendar import (
    Activity,
    ActivityQuery,
    ActivityStatus,
    OccurrenceOverride,
    Recurrence,
    day_view,
    expand,
    free_slots,
    from_ics,
    search,
    visibility_for,
)
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds

# (zone, the wall day of the repeated hour, start wall and end wall inside it,
#  the start in the first run and the end in the second, elapsed time)
REPEATED = [
    ("Asia/Jerusalem", (2026, 10, 25), (1, 0), (1, 0), timedelta(hours=1)),
    ("Asia/Jerusalem", (2026, 10, 25), (1, 30), (1, 15), timedelta(minutes=45)),
    ("Australia/Lord_Howe", (2026, 4, 5), (1, 45), (1, 40), timedelta(minutes=25)),
    ("America/New_York", (2026, 11, 1), (1, 30), (1, 10), timedelta(minutes=40)),
    ("Europe/London", (2026, 10, 25), (1, 50), (1, 5), timedelta(minutes=15)),
]


def _times(
    tz: str, day: tuple[int, int, int], first: tuple[int, int], second: tuple[int, int]
) -> tuple[datetime, datetime]:
    zone = ZoneInfo(tz)
    start = datetime(*day, *first, tzinfo=zone)
    end = datetime(*day, *second, fold=1, tzinfo=zone)
    return start, end


def _activity(start: datetime, end: datetime, tz: str, **kw: object) -> Activity:
    return Activity(
        id="a1",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="Late call",
        responsible_user_id="u1",
        tz=tz,
        start=start,
        end=end,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("tz", "day", "first", "second", "length"), REPEATED)
def test_an_end_in_the_second_run_of_the_repeated_hour_is_after_a_start_in_the_first(
    tz: str,
    day: tuple[int, int, int],
    first: tuple[int, int],
    second: tuple[int, int],
    length: timedelta,
) -> None:
    start, end = _times(tz, day, first, second)
    activity = _activity(start, end, tz)
    assert activity.duration == length
    (occ,) = expand(activity, start - timedelta(hours=3), end + timedelta(hours=3)).occurrences
    assert occ.ends_at - occ.starts_at == length


@pytest.mark.parametrize(("tz", "day", "first", "second", "length"), REPEATED)
def test_a_window_ending_in_the_second_run_is_valid_and_holds_what_is_in_it(
    tz: str,
    day: tuple[int, int, int],
    first: tuple[int, int],
    second: tuple[int, int],
    length: timedelta,
) -> None:
    start, end = _times(tz, day, first, second)
    activity = _activity(start, start + timedelta(minutes=1), tz)
    assert len(expand(activity, start, end).occurrences) == 1
    page = search([activity], ActivityQuery(start=start, end=end))
    assert [a.id for a in page.items] == ["a1"]
    slots = free_slots({"u1": []}, length, start, end, step=timedelta(minutes=5))
    assert [(s.start, s.end) for s in slots] == [(start, end)]
    assert slots[0].end.fold == 1


def test_an_edited_occurrence_may_end_in_the_second_run() -> None:
    tz = "Asia/Jerusalem"
    zone = ZoneInfo(tz)
    start = datetime(2026, 10, 24, 1, tzinfo=zone)
    moved_end = datetime(2026, 10, 25, 1, 0, fold=1, tzinfo=zone)
    daily = _activity(
        start,
        start + timedelta(minutes=30),
        tz,
        recurrence=Recurrence(
            "FREQ=DAILY;COUNT=3",
            overrides=[OccurrenceOverride(datetime(2026, 10, 25, 1, tzinfo=zone), end=moved_end)],
        ),
    )
    window = expand(daily, start, start + timedelta(days=3)).occurrences
    assert [o.ends_at - o.starts_at for o in window] == [
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(minutes=30),
    ]


def test_a_busy_block_in_the_second_run_is_ordered_after_one_in_the_first() -> None:
    tz = "Europe/London"
    zone = ZoneInfo(tz)
    late = _activity(
        datetime(2026, 10, 25, 1, 10, fold=1, tzinfo=zone),
        datetime(2026, 10, 25, 1, 20, fold=1, tzinfo=zone),
        tz,
        privacy="private",
    )
    early = attrs.evolve(
        late,
        id="a2",
        start=datetime(2026, 10, 25, 1, 40, tzinfo=zone),
        end=datetime(2026, 10, 25, 1, 50, tzinfo=zone),
    )
    view = day_view(
        [late, early], ["u1"], date(2026, 10, 25), tz, visible=visibility_for("someone else")
    )
    entries = view.columns[0].entries
    assert [e.start for e in entries] == [early.start, late.start]


def test_an_imported_end_in_utc_after_a_local_start_in_the_first_run_is_kept() -> None:
    ics = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//example//test//EN",
            "BEGIN:VEVENT",
            "UID:late-call@example.com",
            "DTSTAMP:20260101T000000Z",
            "DTSTART;TZID=Asia/Jerusalem:20261025T010000",
            "DTEND:20261024T230000Z",
            "SUMMARY:Late call",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    )
    found = from_ics(
        ics,
        organization_id="org",
        type_id="meeting",
        statuses=[ActivityStatus("open", "Open", "open")],
        responsible_user_id="u1",
    )
    assert found.problems == ()
    (activity,) = found.activities
    assert activity.duration == timedelta(hours=1)


# -- through the service -------------------------------------------------------------


@pytest.fixture
def s() -> Session:
    core = Leadcore.open(clock=ManualClock(datetime(2026, 10, 1, tzinfo=UTC)), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    return core.session(admin.id)


def test_scheduling_into_the_second_run_is_accepted(s: Session) -> None:
    start, end = _times("Asia/Jerusalem", (2026, 10, 25), (1, 30), (1, 15))
    booked = s.calendar.create("Late call", start=start, end=end).activity
    assert booked.duration == timedelta(minutes=45)


def test_moving_keeps_the_elapsed_duration_across_the_repeated_hour(s: Session) -> None:
    zone = ZoneInfo("Asia/Jerusalem")
    start = datetime(2026, 10, 24, 23, 30, tzinfo=zone)
    booked = s.calendar.create("Call", start=start, end=start + timedelta(hours=1)).activity
    new_start = datetime(2026, 10, 25, 1, 30, tzinfo=zone)
    moved = s.calendar.reschedule(booked.id, new_start).activity
    assert moved.duration == timedelta(hours=1)
    assert isinstance(moved.end, datetime)
    assert moved.end.astimezone(UTC) == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)


def test_moving_one_occurrence_to_the_same_wall_time_of_the_second_run_moves_it(
    s: Session,
) -> None:
    zone = ZoneInfo("Asia/Jerusalem")
    start = datetime(2026, 10, 24, 1, 30, tzinfo=zone)
    booked = s.calendar.create(
        "Nightly", start=start, end=start + timedelta(minutes=10), recurrence="FREQ=DAILY;COUNT=3"
    ).activity
    original = datetime(2026, 10, 25, 1, 30, tzinfo=zone)
    s.calendar.reschedule(booked.id, original.replace(fold=1), occurrence=original)
    window = expand(s.calendar.get(booked.id), start, start + timedelta(days=3)).occurrences
    assert [o.starts_at for o in window] == [
        datetime(2026, 10, 23, 22, 30, tzinfo=UTC),
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),
    ]


# -- the invariant -------------------------------------------------------------------

ZONES = ("Asia/Jerusalem", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC")
# Instants within a day of an offset change of 2026 in one of the zones above.
CHANGES = [
    datetime(2026, 3, 27, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 4, 15, 30, tzinfo=UTC),
    datetime(2026, 10, 24, 23, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.sampled_from(CHANGES),
    st.integers(-3 * 60, 3 * 60),
    st.integers(1, 3 * 60),
)
def test_every_activity_lasts_the_time_between_its_instants(
    tz: str, change: datetime, offset: int, minutes: int
) -> None:
    zone = ZoneInfo(tz)
    first = change + timedelta(minutes=offset)
    last = first + timedelta(minutes=minutes)
    activity = _activity(first.astimezone(zone), last.astimezone(zone), tz)
    assert activity.duration == timedelta(minutes=minutes)
    (occ,) = expand(activity, first, last).occurrences
    assert (occ.starts_at, occ.ends_at) == (first, last)


def test_an_end_not_after_a_skipped_start_is_refused_saying_the_start_is_skipped() -> None:
    zone = ZoneInfo("America/New_York")
    skipped = datetime(2026, 3, 8, 2, 30, tzinfo=zone)  # 02:30 EST: 03:30 EDT
    with pytest.raises(ValidationError) as refused:
        _activity(skipped, datetime(2026, 3, 8, 3, 0, tzinfo=zone), "America/New_York")
    assert refused.value.problems == (
        "end: 2026-03-08T03:00:00-04:00 is not after start 2026-03-08T02:30:00-05:00; "
        "start 02:30 does not exist on 2026-03-08 in America/New_York (the clocks skip it): "
        "it is the instant 2026-03-08T03:30:00-04:00",
    )
