"""An all-day activity is on its dates for every viewer, in every view.

All-day dates float (RFC 5545 section 3.3.4 has DATE values without a zone):
a holiday on 2 March in Kiritimati (UTC+14) is on 2 March for a viewer in
Honolulu (UTC-10) too, although the two zones' 2 March share no instant.
The day, week and month views, search and reports by date all agree on it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from leadcore import Leadcore
from leadcore.calendar import (
    Activity,
    ActivityQuery,
    ActivityStatus,
    day_view,
    month_view,
    report,
    search,
    week_view,
)
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds

FAR_EAST, FAR_WEST = "Pacific/Kiritimati", "Pacific/Honolulu"
ZONES = (FAR_EAST, FAR_WEST, "Asia/Jerusalem", "America/New_York", "Australia/Lord_Howe", "UTC")


def _holiday(day: date, tz: str = FAR_EAST, days: int = 1) -> Activity:
    return Activity(
        id=f"h-{day.isoformat()}",
        organization_id="org",
        type_id="holiday",
        status_id="open",
        title=f"Holiday {day.isoformat()}",
        responsible_user_id="u1",
        tz=tz,
        start=day,
        end=day + timedelta(days=days),
    )


def _days_shown(activity: Activity, viewer: str) -> dict[str, set[date]]:
    """The days of March 2026 each view shows ``activity`` on, for a viewer in ``viewer``."""
    march = [date(2026, 3, 1) + timedelta(days=i) for i in range(31)]
    shown: dict[str, set[date]] = {"day": set(), "week": set(), "month": set()}
    for day in march:
        if day_view([activity], ["u1"], day, viewer).columns[0].entries:
            shown["day"].add(day)
        for first_weekday in range(7):
            week = week_view([activity], None, day, viewer, first_weekday=first_weekday)
            shown["week"] |= {d.day for d in week.days if d.entries and d.day.month == 3}
    month = month_view([activity], None, 2026, 3, viewer)
    shown["month"] = {d.day for d in month.days if d.entries}
    return shown


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("viewer", ZONES)
@pytest.mark.parametrize(("day", "days"), [(date(2026, 3, 2), 1), (date(2026, 3, 1), 1)])
def test_every_view_shows_an_all_day_activity_on_its_dates(
    tz: str, viewer: str, day: date, days: int
) -> None:
    holiday = _holiday(day, tz, days)
    expected = {day + timedelta(days=i) for i in range(days)}
    assert _days_shown(holiday, viewer) == {"day": expected, "week": expected, "month": expected}


def test_the_day_view_across_the_date_line_shows_the_holiday_of_that_date() -> None:
    holiday = _holiday(date(2026, 3, 2))
    view = day_view([holiday], ["u1"], date(2026, 3, 2), FAR_WEST)
    assert [e.start for e in view.columns[0].entries] == [date(2026, 3, 2)]
    assert day_view([holiday], ["u1"], date(2026, 3, 1), FAR_WEST).columns[0].entries == ()


def test_a_search_and_a_report_by_date_find_the_holiday_on_its_date() -> None:
    holiday = _holiday(date(2026, 3, 2))
    on_the_day = ActivityQuery(start=date(2026, 3, 2), end=date(2026, 3, 3))
    assert search([holiday], on_the_day).items == (holiday,)
    the_day_before = ActivityQuery(start=date(2026, 3, 1), end=date(2026, 3, 2))
    assert search([holiday], the_day_before).items == ()
    statuses = [ActivityStatus("open", "Open", "open")]
    assert report([holiday], statuses, date(2026, 3, 2), date(2026, 3, 3)).total == 1
    assert report([holiday], statuses, date(2026, 3, 1), date(2026, 3, 2)).total == 0


def test_the_service_views_agree_for_a_viewer_across_the_date_line() -> None:
    core = Leadcore.open(clock=ManualClock(datetime(2026, 2, 1, tzinfo=UTC)), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", timezone=FAR_EAST)
    s = core.session(admin.id)
    booked = s.calendar.create(
        "Holiday", start=date(2026, 3, 2), end=date(2026, 3, 3), tz=FAR_EAST
    ).activity
    me = admin.id
    day = s.calendar.day([me], date(2026, 3, 2), tz=FAR_WEST)
    assert [e.start for e in day.columns[0].entries] == [date(2026, 3, 2)]
    month = s.calendar.month(s.user_id, 2026, 3, tz=FAR_WEST)
    assert [d.day for d in month.days if d.entries] == [date(2026, 3, 2)]
    week = s.calendar.week(s.user_id, date(2026, 3, 2), tz=FAR_WEST, first_weekday=0)
    assert [d.day for d in week.days if d.entries] == [date(2026, 3, 2)]
    assert booked.all_day
