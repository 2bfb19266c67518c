"""Day, week and month views, client timelines, search and reports."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadcore.calendar import (
    Activity,
    ActivityQuery,
    ActivityStatus,
    BusyBlock,
    ClientRef,
    Occurrence,
    OccurrenceOverride,
    Recurrence,
    client_timeline,
    day_view,
    month_view,
    report,
    search,
    visibility_for,
    week_view,
)
from leadcore.errors import ValidationError

JLM = ZoneInfo("Asia/Jerusalem")
LEAD = ClientRef("lead", "lead-1")
ACME = ClientRef("account", "acme")
STATUSES = [
    ActivityStatus("scheduled", "נקבעה", "open"),
    ActivityStatus("postponed", "נדחתה", "open"),
    ActivityStatus("done", "בוצעה", "done"),
    ActivityStatus("won", "הצליחה", "succeeded"),
    ActivityStatus("cancelled", "בוטלה", "cancelled"),
]


def at(day: int, hour: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=JLM)


def act(ident: str, start: datetime | date, **fields: Any) -> Activity:
    base: dict[str, Any] = {
        "id": ident,
        "organization_id": "org",
        "type_id": "meeting",
        "status_id": "scheduled",
        "title": f"Title {ident}",
        "notes": f"secret notes of {ident}",
        "responsible_user_id": "dana",
        "start": start,
        "end": start + (timedelta(hours=1) if isinstance(start, datetime) else timedelta(days=1)),
        "tz": "Asia/Jerusalem",
    }
    base.update(fields)
    return Activity(**base)


ACTIVITIES = [
    act("a1", at(2, 10), client=LEAD, contact_id="c-7", user_ids=["avi"]),
    act("a2", at(2, 12), responsible_user_id="avi", more_clients=[LEAD], privacy="private"),
    act("a3", at(2, 9), responsible_user_id="noa", type_id="call", status_id="done"),
    act(
        "a4",
        at(1, 8),
        recurrence=Recurrence(
            "FREQ=WEEKLY;BYDAY=SU,MO",
            overrides=[OccurrenceOverride(at(9, 8), status_id="won")],
        ),
        client=ACME,
    ),
    act("a5", date(2026, 3, 3), end=date(2026, 3, 5), responsible_user_id="avi", title="Expo"),
    act("a6", at(2, 23), end=at(3, 1), responsible_user_id="noa", status_id="cancelled"),
]


def titles(entries: Any) -> list[str]:
    return [e.title if isinstance(e, Occurrence) else "busy" for e in entries]


def test_day_view_shows_users_side_by_side() -> None:
    view = day_view(ACTIVITIES, ["dana", "avi", "noa"], date(2026, 3, 2), "Asia/Jerusalem")
    assert [c.user_id for c in view.columns] == ["dana", "avi", "noa"]
    assert titles(view.column("dana").entries) == ["Title a4", "Title a1"]
    assert titles(view.column("avi").entries) == ["Title a1", "Title a2"]
    assert titles(view.column("noa").entries) == ["Title a3", "Title a6"]
    assert not view.truncated


def test_an_activity_past_midnight_shows_on_both_days() -> None:
    view = day_view(ACTIVITIES, ["noa"], date(2026, 3, 3), "Asia/Jerusalem")
    assert titles(view.column("noa").entries) == ["Title a6"]


def test_what_the_viewer_may_not_see_is_a_busy_block_with_times_only() -> None:
    # Noa may see Dana's calendar but not Avi's; Avi's private a2 and a5 are hidden.
    rule = visibility_for("noa", calendars={"dana"})
    view = day_view(ACTIVITIES, ["avi"], date(2026, 3, 2), "Asia/Jerusalem", visible=rule)
    entries = view.column("avi").entries
    assert titles(entries) == ["Title a1", "busy"]  # a1: Dana's, public
    block = entries[1]
    assert block == BusyBlock(at(2, 12), at(2, 13))
    assert not hasattr(block, "title")


def test_private_activities_are_seen_by_participants_only() -> None:
    assert visibility_for("avi")(ACTIVITIES[1])
    assert not visibility_for("dana", all_calendars=True)(ACTIVITIES[1])
    assert visibility_for("dana", all_calendars=True)(ACTIVITIES[2])
    assert not visibility_for("dana")(ACTIVITIES[2])


def test_week_view_starts_on_sunday_by_default_and_spreads_all_day_activities() -> None:
    view = week_view(ACTIVITIES, ["avi"], date(2026, 3, 4), "Asia/Jerusalem")
    assert view.start == date(2026, 3, 1)
    assert view.end == date(2026, 3, 8)
    assert titles(view.day(date(2026, 3, 2)).entries) == ["Title a1", "Title a2"]
    assert titles(view.day(date(2026, 3, 3)).entries) == ["Expo"]
    assert titles(view.day(date(2026, 3, 4)).entries) == ["Expo"]
    assert view.day(date(2026, 3, 5)).entries == ()
    monday = week_view(ACTIVITIES, None, date(2026, 3, 4), "Asia/Jerusalem", first_weekday=0)
    assert monday.start == date(2026, 3, 2)


def test_month_view_expands_recurring_activities_for_the_month() -> None:
    view = month_view(ACTIVITIES, ["dana"], 2026, 3, "Asia/Jerusalem")
    assert len(view.days) == 31
    weekly = [d.day.day for d in view.days if "Title a4" in titles(d.entries)]
    assert weekly == [1, 2, 8, 9, 15, 16, 22, 23, 29, 30]
    with pytest.raises(ValidationError, match="month: 13 is not 1 to 12"):
        month_view(ACTIVITIES, None, 2026, 13, "Asia/Jerusalem")
    with pytest.raises(ValidationError, match="tz: 'Nowhere' is not a known IANA time zone"):
        month_view(ACTIVITIES, None, 2026, 3, "Nowhere")


def test_client_timeline_includes_primary_additional_and_contact_links() -> None:
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
    timeline = client_timeline(ACTIVITIES, LEAD, start, end)
    assert titles(timeline.entries) == ["Title a1", "Title a2"]
    assert titles(client_timeline(ACTIVITIES, "c-7", start, end).entries) == ["Title a1"]
    hidden = client_timeline(ACTIVITIES, LEAD, start, end, visible=visibility_for("dana"))
    assert titles(hidden.entries) == ["Title a1", "busy"]


def test_search_filters_and_pages_with_a_cursor() -> None:
    everything = search(ACTIVITIES, ActivityQuery(), limit=4)
    assert [a.id for a in everything.items] == ["a4", "a3", "a1", "a2"]
    assert everything.next is not None
    rest = search(ACTIVITIES, ActivityQuery(), limit=4, after=everything.next)
    assert [a.id for a in rest.items] == ["a6", "a5"]
    assert rest.next is None
    by_user = search(ACTIVITIES, ActivityQuery(user_ids="avi"))
    assert [a.id for a in by_user.items] == ["a1", "a2", "a5"]
    by_text = search(ACTIVITIES, ActivityQuery(text="EXPO"))
    assert [a.id for a in by_text.items] == ["a5"]
    by_client = search(ACTIVITIES, ActivityQuery(clients=[ACME, "c-7"]))
    assert [a.id for a in by_client.items] == ["a4", "a1"]
    by_type_status = search(ACTIVITIES, ActivityQuery(type_ids="call", status_ids=["done"]))
    assert [a.id for a in by_type_status.items] == ["a3"]
    in_range = search(ACTIVITIES, ActivityQuery(start=at(20, 0), end=at(21, 0)))
    assert [a.id for a in in_range.items] == []
    in_range = search(ACTIVITIES, ActivityQuery(start=at(22, 0), end=at(23, 0)))
    assert [a.id for a in in_range.items] == ["a4"]
    with pytest.raises(ValidationError, match="is not a cursor returned by an earlier page"):
        search(ACTIVITIES, ActivityQuery(), after="nonsense")


def test_search_never_matches_what_the_viewer_may_not_see() -> None:
    rule = visibility_for("noa")
    found = search(ACTIVITIES, ActivityQuery(text="secret"), visible=rule)
    assert [a.id for a in found.items] == ["a3", "a6"]


def test_report_counts_by_type_status_and_user_with_rates() -> None:
    r = report(ACTIVITIES, STATUSES, date(2026, 3, 1), date(2026, 3, 11))
    assert r.count(type_id="meeting", user_id="dana") == 5  # a1 and a4 x4 (1, 2, 8, 9)
    assert r.count(status_id="won") == 1
    assert r.count(user_id="noa") == 2
    assert r.total == 9
    assert (r.completed, r.succeeded, r.cancelled) == (2, 1, 1)
    assert r.completion_rate == pytest.approx(2 / 8)
    assert r.success_rate == pytest.approx(1 / 2)
    per_participant = report(
        ACTIVITIES, STATUSES, date(2026, 3, 1), date(2026, 3, 11), by="participant"
    )
    assert per_participant.count(user_id="avi") == 3
    hidden = report(
        ACTIVITIES, STATUSES, date(2026, 3, 1), date(2026, 3, 11), visible=visibility_for("noa")
    )
    assert {row.user_id for row in hidden.rows} == {"noa"}
    with pytest.raises(ValidationError, match="status 'scheduled': not among the statuses given"):
        report(ACTIVITIES, STATUSES[2:], date(2026, 3, 1), date(2026, 3, 11))
