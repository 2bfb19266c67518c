"""A viewer never receives details of an activity they may not see, whatever they ask for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore.calendar import (
    Activity,
    ActivityQuery,
    ActivityStatus,
    BusyBlock,
    ClientRef,
    Occurrence,
    OccurrenceOverride,
    Recurrence,
    Visibility,
    can_see,
    client_timeline,
    conflicts,
    day_view,
    month_view,
    report,
    search,
    to_ics,
    visibility_for,
    week_view,
)

USERS = ("dana", "avi", "noa", "tom")
CLIENT = ClientRef("lead", "lead-1")
TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)
STATUSES = [ActivityStatus("open", "Open", "open"), ActivityStatus("done", "Done", "done")]


@st.composite
def activities(draw: st.DrawFn) -> list[Activity]:
    found = []
    for i in range(draw(st.integers(1, 8))):
        users = draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=3, unique=True))
        start = datetime(2026, 3, draw(st.integers(1, 28)), draw(st.integers(6, 20)), tzinfo=ZONE)
        recurring = draw(st.booleans())
        recurrence = None
        if recurring:
            overrides = []
            if draw(st.booleans()):
                overrides.append(
                    OccurrenceOverride(
                        start + timedelta(days=7), title=f"EDIT-{i}", notes=f"EDITNOTES-{i}"
                    )
                )
            recurrence = Recurrence("FREQ=WEEKLY;COUNT=6", overrides=overrides)
        found.append(
            Activity(
                id=f"act-{i}",
                organization_id="org",
                type_id=draw(st.sampled_from(["meeting", "call"])),
                status_id=draw(st.sampled_from(["open", "done"])),
                title=f"TITLE-{i}",
                notes=f"NOTES-{i}",
                location=f"PLACE-{i}",
                responsible_user_id=users[0],
                user_ids=users[1:],
                client=CLIENT if draw(st.booleans()) else None,
                privacy=draw(st.sampled_from(["public", "private"])),
                start=start,
                end=start + timedelta(minutes=draw(st.sampled_from([30, 60, 600]))),
                tz=TZ,
                recurrence=recurrence,
            )
        )
    return found


def _secrets(a: Activity) -> list[str]:
    i = a.id.removeprefix("act-")
    return [f"TITLE-{i}", f"NOTES-{i}", f"PLACE-{i}", f"EDIT-{i}", f"EDITNOTES-{i}", a.id]


def _check(entries: tuple[Occurrence | BusyBlock, ...], rule: Visibility) -> None:
    for entry in entries:
        if isinstance(entry, Occurrence):
            assert can_see(rule, entry.activity)
        else:
            assert isinstance(entry, BusyBlock)


def test_a_busy_block_holds_times_and_nothing_else() -> None:
    assert set(attrs.fields_dict(BusyBlock)) == {"start", "end"}


@settings(max_examples=60, deadline=None)
@given(
    activities(),
    st.sampled_from(USERS),
    st.sets(st.sampled_from(USERS)),
    st.booleans(),
)
def test_a_viewer_never_receives_details_of_an_activity_they_may_not_see(
    items: list[Activity], viewer: str, calendars: set[str], all_calendars: bool
) -> None:
    rule = visibility_for(viewer, calendars=frozenset(calendars), all_calendars=all_calendars)
    hidden = [a for a in items if not rule(a)]

    day = day_view(items, list(USERS), date(2026, 3, 10), TZ, visible=rule)
    for column in day.columns:
        _check(column.entries, rule)
    for view in (
        week_view(items, USERS, date(2026, 3, 10), TZ, visible=rule),
        month_view(items, None, 2026, 3, TZ, visible=rule),
    ):
        for d in view.days:
            _check(d.entries, rule)
    window = (datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    _check(client_timeline(items, CLIENT, *window, visible=rule).entries, rule)

    page = search(items, ActivityQuery(), visible=rule, limit=1000)
    assert all(rule(a) for a in page.items)
    by_text = search(items, ActivityQuery(text="NOTES"), visible=rule, limit=1000)
    assert all(rule(a) for a in by_text.items)

    counted = report(items, STATUSES, *window, visible=rule, by="participant")
    seen_only = report([a for a in items if rule(a)], STATUSES, *window, by="participant")
    assert counted.rows == seen_only.rows

    text = to_ics(items, STATUSES, now=window[0], visible=rule)
    for a in hidden:
        for secret in _secrets(a):
            assert secret not in text

    proposed = Activity(
        id="proposed",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="Proposed",
        responsible_user_id=viewer,
        user_ids=[u for u in USERS if u != viewer],
        start=datetime(2026, 3, 1, 6, tzinfo=ZONE),
        end=datetime(2026, 3, 1, 23, tzinfo=ZONE),
        tz=TZ,
        recurrence=Recurrence("FREQ=DAILY;COUNT=60"),
    )
    for conflict in conflicts(proposed, items, visible=rule):
        other = conflict.other
        if isinstance(other, Occurrence):
            assert rule(other.activity)
