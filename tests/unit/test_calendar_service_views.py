"""Calendar views, timelines, search, reports and free slots through the facade.

What a viewer may not see comes back as a busy block in views and
timelines, and not at all in search results and reports.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest

from leadcore import Leadcore
from leadcore.calendar import BusyBlock, CalendarSettings, ClientRef, Occurrence, WorkingHours
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import NotFound, ValidationError
from leadcore.ids import SequentialIds

TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=ZONE)


@attrs.define
class World:
    core: Leadcore
    s: Session
    maya: Session
    avi: Session
    lead_id: str
    account_id: str
    contact_id: str


@pytest.fixture
def w() -> World:
    core = Leadcore.open(
        clock=ManualClock(datetime(2026, 3, 1, 6, tzinfo=UTC)), ids=SequentialIds()
    )
    _, dana = core.create_organization("Agency", admin_name="Dana", timezone=TZ)
    s = core.session(dana.id)
    maya = core.session(s.users.create("Maya", "sales_manager").id)
    avi = core.session(s.users.create("Avi", "salesperson").id)
    lead = s.leads.create("Yossi Cohen")
    conversion = s.leads.convert(s.leads.create("Acme buyer").id, account_name="Acme")
    return World(core, s, maya, avi, lead.id, conversion.account_id, conversion.contact_id)


def titles(entries: tuple[Occurrence | BusyBlock, ...]) -> list[str]:
    return [e.title if isinstance(e, Occurrence) else "busy" for e in entries]


def book(s: Session, title: str, start: date, end: date, **kw: object) -> str:
    return s.calendar.create(title, start=start, end=end, **kw).activity.id  # type: ignore[arg-type]


# -- day, week and month ----------------------------------------------------------------------


def test_the_day_view_puts_users_side_by_side_with_busy_blocks_for_what_is_hidden(
    w: World,
) -> None:
    book(w.s, "Dana alone", at(2, 9), at(2, 10))
    book(w.s, "Dana with Avi", at(2, 11), at(2, 12), user_ids=[w.avi.user_id])
    book(w.avi, "Avi alone", at(2, 13), at(2, 14))
    book(w.s, "Offsite", date(2026, 3, 2), date(2026, 3, 3))
    users = [w.s.user_id, w.avi.user_id]
    as_dana = w.s.calendar.day(users, date(2026, 3, 2))
    assert [titles(c.entries) for c in as_dana.columns] == [
        ["Offsite", "Dana alone", "Dana with Avi"],
        ["Dana with Avi", "Avi alone"],
    ]
    as_avi = w.avi.calendar.day(users, date(2026, 3, 2))
    assert [titles(c.entries) for c in as_avi.columns] == [
        ["busy", "busy", "Dana with Avi"],
        ["Dana with Avi", "Avi alone"],
    ]
    busy = as_avi.column(w.s.user_id).entries[1]
    assert busy == BusyBlock(at(2, 9), at(2, 10))


def test_the_day_view_reads_the_day_in_the_zone_asked(w: World) -> None:
    book(w.s, "Late", at(2, 23), at(2, 23, 30))
    assert titles(w.s.calendar.day(w.s.user_id, date(2026, 3, 2)).columns[0].entries) == ["Late"]
    london = w.s.calendar.day(w.s.user_id, date(2026, 3, 2), tz="Europe/London")
    assert london.columns[0].entries[0].start == at(2, 23)
    assert (
        w.s.calendar.day(w.s.user_id, date(2026, 3, 3), tz="Europe/London").columns[0].entries == ()
    )


def test_the_week_starts_on_the_organisations_first_weekday(w: World) -> None:
    view = w.s.calendar.week(w.s.user_id, date(2026, 3, 4))
    assert (view.start, view.end) == (date(2026, 3, 1), date(2026, 3, 8))  # Sunday to Sunday
    w.s.calendar.set_settings(CalendarSettings(first_weekday=0))
    assert w.s.calendar.week(w.s.user_id, date(2026, 3, 4)).start == date(2026, 3, 2)
    assert w.s.calendar.week(w.s.user_id, date(2026, 3, 4), first_weekday=5).start == date(
        2026, 2, 28
    )
    with pytest.raises(ValidationError, match="first_weekday"):
        w.s.calendar.week(w.s.user_id, date(2026, 3, 4), first_weekday=9)


def test_the_month_view_of_several_users_expands_series_for_the_month_only(w: World) -> None:
    book(w.s, "Weekly", at(1, 9), at(1, 10), recurrence="FREQ=WEEKLY;BYDAY=SU,WE")
    book(w.avi, "Avi's", at(17, 9), at(17, 10))
    march = w.maya.calendar.month([w.s.user_id, w.avi.user_id], 2026, 3)
    assert len(march.days) == 31
    assert sum(len(d.entries) for d in march.days) == 10
    assert titles(march.day(date(2026, 3, 17)).entries) == ["Avi's"]
    mine = w.s.calendar.month(w.s.user_id, 2026, 3)
    assert sum(len(d.entries) for d in mine.days) == 9
    with pytest.raises(ValidationError, match="month"):
        w.s.calendar.month(w.s.user_id, 2026, 13)


def test_views_refuse_unknown_users_and_zones(w: World) -> None:
    with pytest.raises(NotFound, match="user 'user-99'"):
        w.s.calendar.day(["user-99"], date(2026, 3, 2))
    with pytest.raises(ValidationError, match="tz: 'Mars/Olympus' is not a known"):
        w.s.calendar.week(w.s.user_id, date(2026, 3, 2), tz="Mars/Olympus")


# -- client timeline --------------------------------------------------------------------------


def test_a_client_timeline_shows_every_activity_linked_to_the_client(w: World) -> None:
    book(w.s, "Primary", at(2, 9), at(2, 10), client=w.lead_id)
    book(w.s, "Additional", at(3, 9), at(3, 10), more_clients=[w.lead_id])
    book(w.s, "Other client", at(4, 9), at(4, 10), client=w.account_id)
    book(w.s, "With contact", at(5, 9), at(5, 10), client=w.account_id, contact_id=w.contact_id)
    book(w.avi, "Avi's private", at(6, 9), at(6, 10), client=w.lead_id, privacy="private")
    timeline = w.s.calendar.client_timeline(w.lead_id)
    assert titles(timeline.entries) == ["Primary", "Additional", "busy"]
    assert titles(w.s.calendar.client_timeline(ClientRef("contact", w.contact_id)).entries) == [
        "With contact"
    ]
    assert titles(w.s.calendar.client_timeline(f"account:{w.account_id}").entries) == [
        "Other client",
        "With contact",
    ]
    window = w.s.calendar.client_timeline(w.lead_id, start=at(3, 0), end=at(4, 0))
    assert titles(window.entries) == ["Additional"]
    with pytest.raises(NotFound, match="client 'nobody'"):
        w.s.calendar.client_timeline("nobody")


# -- search ---------------------------------------------------------------------------------


def test_search_combines_criteria_and_pages_through_results(w: World) -> None:
    for i in range(5):
        book(w.s, f"Call {i}", at(2 + i, 9), at(2 + i, 10), client=w.lead_id, type_id="kickoff")
    book(w.s, "Pipeline review", at(2, 12), at(2, 13), notes="Discuss the CALL list")
    book(w.avi, "Avi's call", at(2, 14), at(2, 15))
    first = w.s.calendar.search(text="call", limit=3)
    assert [a.title for a in first.items] == ["Call 0", "Pipeline review", "Avi's call"]
    second = w.s.calendar.search(text="call", limit=3, after=first.next)
    assert [a.title for a in second.items] == ["Call 1", "Call 2", "Call 3"]
    assert w.s.calendar.search(type_ids=["kickoff"], start=at(4, 0), end=at(5, 0)).items[
        0
    ].title == ("Call 2")
    assert len(w.s.calendar.search(clients=[w.lead_id]).items) == 5
    assert [a.title for a in w.s.calendar.search(user_ids=[w.avi.user_id]).items] == ["Avi's call"]
    assert [a.title for a in w.avi.calendar.search(text="call").items] == ["Avi's call"]
    with pytest.raises(ValidationError, match="cursor"):
        w.s.calendar.search(after="not-a-cursor")


def test_search_finds_cancelled_activities_that_views_leave_out(w: World) -> None:
    cancelled = book(w.s, "Called off", at(2, 9), at(2, 10))
    w.s.calendar.cancel(cancelled)
    assert w.s.calendar.day(w.s.user_id, date(2026, 3, 2)).columns[0].entries == ()
    assert [a.id for a in w.s.calendar.search(status_ids=["cancelled"]).items] == [cancelled]


# -- reports --------------------------------------------------------------------------------


def test_the_report_counts_occurrences_by_type_status_and_user(w: World) -> None:
    series = book(w.s, "Weekly", at(1, 9), at(1, 10), recurrence="FREQ=WEEKLY;COUNT=4")
    w.s.calendar.change_status(series, "done", occurrence=at(1, 9))
    w.s.calendar.change_status(series, "succeeded", occurrence=at(8, 9))
    w.s.calendar.cancel(series, occurrence=at(15, 9))
    book(w.avi, "Avi's", at(2, 9), at(2, 10), type_id="kickoff")
    report = w.s.calendar.report(date(2026, 3, 1), date(2026, 4, 1))
    assert report.total == 5
    assert report.count(status_id="done") == 1
    assert report.count(user_id=w.avi.user_id) == 1
    assert (report.completed, report.succeeded, report.cancelled) == (2, 1, 1)
    assert report.completion_rate == pytest.approx(0.5)
    avis = w.avi.calendar.report(date(2026, 3, 1), date(2026, 4, 1))
    assert (avis.total, avis.count(type_id="kickoff")) == (1, 1)
    only = w.s.calendar.report(at(1, 0), at(31, 0), user_ids=[w.avi.user_id])
    assert only.total == 1


def test_a_grouped_report_gives_count_total_and_average_duration_per_group(w: World) -> None:
    series = book(w.s, "Weekly", at(1, 9), at(1, 10), recurrence="FREQ=WEEKLY;COUNT=4")
    w.s.calendar.change_status(series, "done", occurrence=at(8, 9))
    book(w.s, "Short", at(2, 9), at(2, 9, 30), client=w.lead_id)
    book(w.avi, "Avi's", at(2, 11), at(2, 13), type_id="kickoff")
    report = w.s.calendar.report(date(2026, 3, 1), date(2026, 4, 1), group_by=["type", "status"])
    assert [(r.key, r.count) for r in report.rows] == [
        (("kickoff", "scheduled"), 1),
        (("sales_meeting", "done"), 1),
        (("sales_meeting", "scheduled"), 4),
    ]
    assert report.count == 6
    assert report.total_duration == timedelta(hours=6, minutes=30)
    assert report.average_duration == timedelta(minutes=65)
    scheduled = report.row("sales_meeting", "scheduled")
    assert scheduled is not None
    assert scheduled.average_duration == timedelta(minutes=52, seconds=30)
    # Status filters against each occurrence's own status; clients as in search.
    done = w.s.calendar.report(
        date(2026, 3, 1), date(2026, 4, 1), group_by="responsible", status_ids=["done"]
    )
    assert [(r.key, r.count) for r in done.rows] == [((w.s.user_id,), 1)]
    by_client = w.s.calendar.report(date(2026, 3, 1), date(2026, 4, 1), group_by="client")
    assert [(r.key, r.count) for r in by_client.rows] == [((None,), 5), ((f"lead:{w.lead_id}",), 1)]
    text = w.s.calendar.report(date(2026, 3, 1), date(2026, 4, 1), group_by="type", text="avi")
    assert [(r.key, r.count) for r in text.rows] == [(("kickoff",), 1)]


def test_periods_are_the_viewer_s_days_weeks_and_months(w: World) -> None:
    # 23:30 UTC on the last day of March is already April 1st in Jerusalem.
    late = datetime(2026, 3, 31, 21, 30, tzinfo=UTC)
    book(w.s, "Late call", late, late + timedelta(minutes=20))
    book(w.s, "Morning", at(4, 9), at(4, 10))
    rows = {
        field: [
            r.key[0]
            for r in w.s.calendar.report(date(2026, 3, 1), date(2026, 4, 30), group_by=field).rows
        ]
        for field in ("day", "week", "month")
    }
    assert rows == {
        "day": ["2026-03-04", "2026-04-01"],
        "week": ["2026-03-02", "2026-03-30"],
        "month": ["2026-03", "2026-04"],
    }


def test_a_grouped_report_leaves_out_what_the_user_may_only_see_as_busy(w: World) -> None:
    book(w.avi, "Private", at(2, 9), at(2, 10), privacy="private")
    book(w.avi, "Public", at(3, 9), at(3, 11))
    month = (date(2026, 3, 1), date(2026, 4, 1))
    as_dana = w.s.calendar.report(*month, group_by="participant")
    assert [(r.key, r.count, r.total_duration) for r in as_dana.rows] == [
        ((w.avi.user_id,), 1, timedelta(hours=2))
    ]
    as_avi = w.avi.calendar.report(*month, group_by="participant")
    assert as_avi.count == 2
    assert w.maya.calendar.report(*month, group_by="type").count == 1


def test_a_bad_grouped_report_names_every_problem(w: World) -> None:
    month = (date(2026, 3, 1), date(2026, 4, 1))
    with pytest.raises(ValidationError) as caught:
        w.s.calendar.report(*month, group_by=["colour", "type", "type"])
    assert list(caught.value.problems) == [
        "group_by[0]: 'colour' is not a field; accepted: "
        "type, status, responsible, participant, client, day, week, month",
        "group_by[2]: 'type' is given twice",
    ]
    with pytest.raises(ValidationError, match="give group_by"):
        w.s.calendar.report(*month, text="x")  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match=r"group_by=\['participant'\]"):
        w.s.calendar.report(*month, group_by="type", by="participant")  # type: ignore[call-overload]
    with pytest.raises(ValidationError, match="mix a date and a datetime"):
        w.s.calendar.report(date(2026, 3, 1), at(2, 9), group_by="type")
    with pytest.raises(ValidationError, match="not after start"):
        w.s.calendar.report(date(2026, 3, 2), date(2026, 3, 1), group_by="type")
    with pytest.raises(ValidationError, match="at least one field"):
        w.s.calendar.report(*month, group_by=[])
    with pytest.raises(NotFound):
        w.s.calendar.report(*month, group_by="type", user_ids=["user-404"])


# -- free slots -----------------------------------------------------------------------------


def test_free_slots_are_common_to_every_user_and_keep_the_buffer(w: World) -> None:
    book(w.s, "Dana busy", at(2, 10), at(2, 11))
    book(w.avi, "Avi busy", at(2, 12), at(2, 13))
    slots = w.s.calendar.free_slots(
        [w.s.user_id, w.avi.user_id],
        timedelta(hours=1),
        (at(2, 9), at(2, 15)),
        step=timedelta(minutes=30),
        buffer=timedelta(minutes=15),
    )
    # Busy 10-11 and 12-13, 15 minutes either side kept free: only from 13:15 on is an hour free.
    starts = [s.start.astimezone(ZONE).strftime("%H:%M") for s in slots]
    assert starts == ["13:30", "14:00"]
    assert [
        s.start.astimezone(ZONE).strftime("%H:%M")
        for s in w.s.calendar.free_slots(
            [w.s.user_id, w.avi.user_id],
            timedelta(minutes=30),
            (at(2, 9), at(2, 12)),
            step=timedelta(minutes=30),
        )
    ] == ["09:00", "09:30", "11:00", "11:30"]


def test_free_slots_honour_each_users_working_hours_in_their_own_zone(w: World) -> None:
    lou = w.s.users.create("Lou", "salesperson", timezone="Europe/London")
    w.s.calendar.set_settings(
        CalendarSettings(
            default_hours=[(d, time(9), time(17)) for d in range(7)],
            working_hours={w.avi.user_id: WorkingHours.weekly(TZ, start=time(8), end=time(12))},
        )
    )
    day = (datetime(2026, 3, 2, 0, tzinfo=ZONE), datetime(2026, 3, 3, 0, tzinfo=ZONE))
    together = w.s.calendar.free_slots(
        [w.s.user_id, lou.id], timedelta(hours=1), day, step=timedelta(hours=1)
    )
    # Dana works 9-17 in Jerusalem, Lou 9-17 in London (11-19 in Jerusalem).
    assert [s.start.strftime("%H") for s in together] == ["11", "12", "13", "14", "15", "16"]
    with_avi = w.s.calendar.free_slots(
        [w.s.user_id, lou.id, w.avi.user_id], timedelta(hours=1), day, step=timedelta(hours=1)
    )
    assert [s.start.strftime("%H") for s in with_avi] == ["11"]
    anytime = w.s.calendar.free_slots(
        [w.avi.user_id], timedelta(hours=1), day, step=timedelta(hours=6), working_hours=False
    )
    assert len(anytime) == 4


def test_free_slots_ignore_cancelled_activities_and_refuse_bad_input(w: World) -> None:
    busy = book(w.s, "Called off", at(2, 9), at(2, 17))
    w.s.calendar.cancel(busy)
    assert len(w.s.calendar.free_slots(w.s.user_id, timedelta(hours=8), (at(2, 9), at(2, 17)))) == 1
    with pytest.raises(ValidationError) as err:
        w.s.calendar.free_slots(w.s.user_id, timedelta(0), (at(2, 17), at(2, 9)))
    assert len(err.value.problems) == 2
    with pytest.raises(ValidationError, match="window"):
        w.s.calendar.free_slots(w.s.user_id, timedelta(hours=1), at(2, 9))  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        w.s.calendar.free_slots(["user-99"], timedelta(hours=1), (at(2, 9), at(2, 17)))
