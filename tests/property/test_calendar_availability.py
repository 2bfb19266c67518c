"""Free slots and conflicts against brute force."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore.calendar import (
    Activity,
    Interval,
    Recurrence,
    WorkingHours,
    conflicts,
    expand_all,
    free_slots,
)

ZONES = ("Asia/Jerusalem", "Europe/London", "America/New_York")
USERS = ("dana", "avi", "tom")
START = datetime(2026, 3, 5, tzinfo=UTC)  # the window spans the March clock changes
END = START + timedelta(days=28)


@st.composite
def busy_times(draw: st.DrawFn) -> dict[str, list[Interval]]:
    busy: dict[str, list[Interval]] = {}
    for user in draw(st.sets(st.sampled_from(USERS))):
        spans = []
        for _ in range(draw(st.integers(0, 12))):
            a = START + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 28)))
            spans.append((a, a + timedelta(minutes=15 * draw(st.integers(1, 24)))))
        busy[user] = spans
    return busy


@st.composite
def hours(draw: st.DrawFn) -> dict[str, WorkingHours]:
    found = {}
    for user in draw(st.sets(st.sampled_from(USERS))):
        first = draw(st.integers(6, 12))
        last = draw(st.integers(first + 1, 20))
        days = draw(st.sets(st.integers(0, 6), min_size=1))
        found[user] = WorkingHours.weekly(
            draw(st.sampled_from(ZONES)), start=time(first), end=time(last), days=sorted(days)
        )
    return found


def _in_hours(instant_start: datetime, instant_end: datetime, wh: WorkingHours) -> bool:
    zone = ZoneInfo(wh.tz)
    a, b = instant_start.astimezone(zone), instant_end.astimezone(zone)
    return any(
        a.weekday() == day and a.date() == b.date() and first <= a.time() and b.time() <= last
        for day, first, last in wh.hours
    )


@settings(max_examples=80, deadline=None)
@given(
    busy_times(),
    hours(),
    st.integers(1, 8).map(lambda n: timedelta(minutes=15 * n)),
    st.sampled_from([timedelta(0), timedelta(minutes=10), timedelta(minutes=30)]),
)
def test_a_free_slot_never_overlaps_busy_time_and_lies_in_everyones_working_hours(
    busy: dict[str, list[Interval]],
    working: dict[str, WorkingHours],
    duration: timedelta,
    buffer: timedelta,
) -> None:
    slots = free_slots(busy, duration, START, END, working_hours=working, buffer=buffer)
    assert list(slots) == sorted(slots, key=lambda s: s.start)
    for slot in slots:
        assert slot.end - slot.start == duration
        assert slot.start >= START
        assert slot.end <= END
        assert (slot.start - START) % timedelta(minutes=15) == timedelta(0)
        for spans in busy.values():
            for a, b in spans:
                assert slot.end + buffer <= a or slot.start - buffer >= b
        for wh in working.values():
            assert _in_hours(slot.start, slot.end, wh)


@settings(max_examples=40, deadline=None)
@given(busy_times())
def test_without_working_hours_every_free_step_is_offered(busy: dict[str, list[Interval]]) -> None:
    step = timedelta(hours=1)
    slots = {s.start for s in free_slots(busy, step, START, START + timedelta(days=3), step=step)}
    t = START
    while t < START + timedelta(days=3):
        free = all(t + step <= a or t >= b for spans in busy.values() for a, b in spans)
        assert (t in slots) == free
        t += step


@st.composite
def schedules(draw: st.DrawFn) -> list[Activity]:
    found = []
    for i in range(draw(st.integers(1, 6))):
        zone = draw(st.sampled_from(ZONES))
        start = datetime(
            2026, 3, draw(st.integers(1, 20)), draw(st.integers(0, 22)), tzinfo=ZoneInfo(zone)
        )
        rule = draw(st.sampled_from([None, "FREQ=DAILY;COUNT=5", "FREQ=WEEKLY;COUNT=4"]))
        users = draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=2, unique=True))
        found.append(
            Activity(
                id=f"a{i}",
                organization_id="org",
                type_id="meeting",
                status_id="open",
                title=f"a{i}",
                responsible_user_id=users[0],
                user_ids=users[1:],
                start=start,
                end=start + timedelta(minutes=draw(st.sampled_from([30, 90, 300]))),
                tz=zone,
                recurrence=Recurrence(rule) if rule else None,
            )
        )
    return found


@settings(max_examples=60, deadline=None)
@given(schedules(), schedules())
def test_conflicts_are_exactly_the_overlaps_of_shared_participants(
    proposals: list[Activity], existing: list[Activity]
) -> None:
    proposed = proposals[0]
    existing = [a for a in existing if a.id != proposed.id]
    found = {(c.user_id, c.start, c.other.start) for c in conflicts(proposed, existing)}
    window = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    expected = set()
    for mine in expand_all([proposed], *window).occurrences:
        for other in expand_all(existing, *window).occurrences:
            if mine.starts_at < other.ends_at and other.starts_at < mine.ends_at:
                for user in proposed.participant_ids:
                    if user in other.activity.participant_ids:
                        expected.add((user, mine.starts_at, other.start))
    assert {(u, s.astimezone(UTC), o) for u, s, o in found} == expected
