"""Conflicts of a proposed activity, busy time, and common free slots."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadcore.calendar import (
    Activity,
    BusyBlock,
    Occurrence,
    Recurrence,
    WorkingHours,
    busy_intervals,
    conflicts,
    free_slots,
    visibility_for,
)
from leadcore.errors import ValidationError

JLM = ZoneInfo("Asia/Jerusalem")
LON = ZoneInfo("Europe/London")


def act(ident: str, start: datetime, minutes: int = 60, **fields: Any) -> Activity:
    base: dict[str, Any] = {
        "id": ident,
        "organization_id": "org",
        "type_id": "meeting",
        "status_id": "scheduled",
        "title": ident,
        "responsible_user_id": "dana",
        "start": start,
        "end": start + timedelta(minutes=minutes),
        "tz": "Asia/Jerusalem",
    }
    base.update(fields)
    return Activity(**base)


def test_every_participant_s_conflict_is_reported() -> None:
    existing = [
        act("busy-dana", datetime(2026, 3, 2, 10, 30, tzinfo=JLM)),
        act("busy-avi", datetime(2026, 3, 2, 9, 30, tzinfo=JLM), responsible_user_id="avi"),
        act("touching", datetime(2026, 3, 2, 11, tzinfo=JLM)),  # starts as we end: no clash
        act("other-user", datetime(2026, 3, 2, 10, tzinfo=JLM), responsible_user_id="noa"),
        act(
            "cancelled",
            datetime(2026, 3, 2, 10, tzinfo=JLM),
            status_id="cancelled",
        ),
    ]
    proposed = act("new", datetime(2026, 3, 2, 10, tzinfo=JLM), user_ids=["avi"])
    found = conflicts(proposed, existing, ignore_status_ids={"cancelled"})
    pairs = sorted((c.user_id, c.other.title) for c in found if isinstance(c.other, Occurrence))
    assert pairs == [("avi", "busy-avi"), ("dana", "busy-dana")]


def test_a_recurring_proposal_is_checked_against_recurring_activities() -> None:
    weekly = act(
        "weekly",
        datetime(2026, 3, 1, 10, tzinfo=JLM),
        recurrence=Recurrence("FREQ=WEEKLY;BYDAY=SU"),
        responsible_user_id="avi",
    )
    monthly = act(
        "monthly",
        datetime(2026, 3, 15, 10, 30, tzinfo=JLM),
        recurrence=Recurrence("FREQ=MONTHLY;COUNT=6"),
        user_ids=["avi"],
    )
    found = conflicts(monthly, [weekly], until=datetime(2026, 12, 31, tzinfo=UTC))
    # 15 March, 15 April... fall on Sunday only in March and November of 2026.
    assert [(c.start.date().isoformat(), c.user_id) for c in found] == [("2026-03-15", "avi")]


def test_a_conflict_with_a_hidden_activity_shows_a_busy_block() -> None:
    secret = act(
        "secret", datetime(2026, 3, 2, 10, tzinfo=JLM), privacy="private", user_ids=["avi"]
    )
    proposed = act("new", datetime(2026, 3, 2, 10, 15, tzinfo=JLM), responsible_user_id="avi")
    (found,) = conflicts(proposed, [secret], visible=visibility_for("avi"))
    assert isinstance(found.other, Occurrence)
    (hidden,) = conflicts(proposed, [secret], visible=visibility_for("noa"))
    assert hidden.other == BusyBlock(secret.start, secret.end)


def test_busy_intervals_are_merged_per_user() -> None:
    day = datetime(2026, 3, 2, tzinfo=JLM)
    activities = [
        act("a", datetime(2026, 3, 2, 9, tzinfo=JLM), 90, user_ids=["avi"]),
        act("b", datetime(2026, 3, 2, 10, tzinfo=JLM), 60),
        act("c", datetime(2026, 3, 2, 14, tzinfo=JLM), 30, responsible_user_id="avi"),
    ]
    busy = busy_intervals(activities, ["dana", "avi", "noa"], day, day + timedelta(days=1))
    assert busy["dana"] == (
        (datetime(2026, 3, 2, 7, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC)),
    )
    assert len(busy["avi"]) == 2
    assert busy["noa"] == ()


def test_free_slots_honour_each_user_s_working_hours_in_their_own_zone() -> None:
    # Dana works 9-17 in Jerusalem (UTC+2), Tom 9-17 in London (UTC+0): both 9-15 UTC.
    # Dana's meeting 10-11 UTC with a 15-minute buffer leaves 9:00-9:45 and 11:15-15:00.
    start = datetime(2026, 3, 2, tzinfo=UTC)
    hours = {
        "dana": WorkingHours.weekly("Asia/Jerusalem", days=(6, 0, 1, 2, 3)),
        "tom": WorkingHours.weekly("Europe/London"),
    }
    busy = {"dana": [(datetime(2026, 3, 2, 10, tzinfo=UTC), datetime(2026, 3, 2, 11, tzinfo=UTC))]}
    slots = free_slots(
        busy,
        timedelta(hours=1),
        start,
        start + timedelta(days=1),
        working_hours=hours,
        step=timedelta(hours=1),
        buffer=timedelta(minutes=15),
    )
    assert [s.start.hour for s in slots] == [12, 13, 14]
    assert all(s.start.tzinfo is UTC for s in slots)


def test_free_slots_across_a_clock_change_use_local_hours() -> None:
    # London moves to BST on 29 March 2026: 9:00 local is 9:00 UTC on Friday, 8:00 UTC on Monday.
    hours = {"tom": WorkingHours.weekly("Europe/London", start=time(9), end=time(10))}
    start = datetime(2026, 3, 27, tzinfo=UTC)
    slots = free_slots(
        {}, timedelta(hours=1), start, start + timedelta(days=4), working_hours=hours
    )
    assert [s.start.astimezone(LON).strftime("%a %H:%M %Z") for s in slots] == [
        "Fri 09:00 GMT",
        "Mon 09:00 BST",
    ]
    assert [s.start.astimezone(UTC).hour for s in slots] == [9, 8]


def test_bad_free_slot_requests_name_every_problem() -> None:
    with pytest.raises(ValidationError) as info:
        free_slots({}, timedelta(0), datetime(2026, 3, 2), datetime(2026, 3, 1), step=timedelta(0))
    assert info.value.problems == (
        "start: must be a timezone-aware datetime, got datetime.datetime(2026, 3, 2, 0, 0)",
        "end: must be a timezone-aware datetime, got datetime.datetime(2026, 3, 1, 0, 0)",
        "duration: must be a positive timedelta, got datetime.timedelta(0)",
        "step: must be a positive timedelta, got datetime.timedelta(0)",
    )
    with pytest.raises(ValidationError, match=r"hours\[0\]: end 08:00:00 is not after start"):
        WorkingHours("UTC", ((0, time(9), time(8)),))
