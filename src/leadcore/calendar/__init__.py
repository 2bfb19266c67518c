"""Activities and calendars: the pure domain, with no storage and no clock.

Activities have a type, a status (whose meaning reports and iCalendar use),
one responsible user plus more users, a primary client and contact plus more
clients, and an optional RFC 5545 recurrence that is stored once and
expanded only for the window asked. Views (a day of several users side by
side, a week, a month, a client's timeline, a search) show what the viewer
may not see as busy blocks; availability finds conflicts and common free
slots; reports count by type, status and user; iCalendar export and import
need the ``ical`` extra.

>>> from datetime import date, datetime
>>> from zoneinfo import ZoneInfo
>>> from leadcore.calendar import Activity, Recurrence, day_view, visibility_for
>>> tz = ZoneInfo("Asia/Jerusalem")
>>> weekly = Activity(
...     id="a1", organization_id="org", type_id="meeting", status_id="scheduled",
...     title="Pipeline review", responsible_user_id="dana", user_ids=["avi"],
...     start=datetime(2026, 3, 1, 10, tzinfo=tz), end=datetime(2026, 3, 1, 11, tzinfo=tz),
...     tz="Asia/Jerusalem", recurrence=Recurrence("FREQ=WEEKLY;BYDAY=SU", exdates=[
...         datetime(2026, 3, 8, 10, tzinfo=tz)]),
... )
>>> view = day_view([weekly], ["dana", "noa"], date(2026, 3, 15), "Asia/Jerusalem")
>>> [(c.user_id, [e.title for e in c.entries]) for c in view.columns]
[('dana', ['Pipeline review']), ('noa', [])]
>>> hidden = day_view([weekly], ["avi"], date(2026, 3, 15), "Asia/Jerusalem",
...                   visible=visibility_for("noa"))
>>> hidden.columns[0].entries[0]
BusyBlock(start=datetime.datetime(2026, 3, 15, 10, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Jerusalem')), end=datetime.datetime(2026, 3, 15, 11, 0, tzinfo=zoneinfo.ZoneInfo(key='Asia/Jerusalem')))
"""  # noqa: E501

from __future__ import annotations

from leadcore._paging import Cursor
from leadcore.calendar._availability import (
    Conflict,
    Interval,
    Slot,
    WorkingHours,
    busy_intervals,
    conflicts,
    free_slots,
)
from leadcore.calendar._breakdown import GroupedReport, GroupRow, ReportField, group_report
from leadcore.calendar._emails import Email, EmailDirection
from leadcore.calendar._ical import (
    IcalUnavailable,
    IcsImport,
    IcsMapping,
    IcsProblem,
    from_ics,
    to_ics,
)
from leadcore.calendar._model import (
    Activity,
    ActivityStatus,
    ActivityType,
    BusyBlock,
    ClientKind,
    ClientRef,
    Occurrence,
    OccurrenceOverride,
    Privacy,
    Recurrence,
    StatusMeaning,
    When,
)
from leadcore.calendar._outcomes import Booking, CalendarImport, ScheduleConflict
from leadcore.calendar._recurrence import (
    DEFAULT_LIMIT,
    Expansion,
    expand,
    expand_all,
    split_series,
)
from leadcore.calendar._reports import ActivityReport, ReportRow, report
from leadcore.calendar._rule import parse_rule
from leadcore.calendar._serde import register as _register_serde
from leadcore.calendar._series import MAX_COUNT
from leadcore.calendar._settings import (
    DEFAULT_STATUSES,
    DEFAULT_TYPES,
    CalendarSettings,
    ConflictPolicy,
    SharedCalendars,
)
from leadcore.calendar._span import ActivitySpan, activity_span
from leadcore.calendar._terms import ActivityField, ActivityTerm, ActivityWindow
from leadcore.calendar._views import (
    ActivityQuery,
    CalendarDay,
    DayColumn,
    DayView,
    Entry,
    PeriodView,
    SearchPage,
    Timeline,
    client_timeline,
    day_view,
    month_view,
    search,
    week_view,
)
from leadcore.calendar._visibility import Visibility, can_see, visibility_for

_register_serde()

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_STATUSES",
    "DEFAULT_TYPES",
    "MAX_COUNT",
    "Activity",
    "ActivityField",
    "ActivityQuery",
    "ActivityReport",
    "ActivitySpan",
    "ActivityStatus",
    "ActivityTerm",
    "ActivityType",
    "ActivityWindow",
    "Booking",
    "BusyBlock",
    "CalendarDay",
    "CalendarImport",
    "CalendarSettings",
    "ClientKind",
    "ClientRef",
    "Conflict",
    "ConflictPolicy",
    "Cursor",
    "DayColumn",
    "DayView",
    "Email",
    "EmailDirection",
    "Entry",
    "Expansion",
    "GroupRow",
    "GroupedReport",
    "IcalUnavailable",
    "IcsImport",
    "IcsMapping",
    "IcsProblem",
    "Interval",
    "Occurrence",
    "OccurrenceOverride",
    "PeriodView",
    "Privacy",
    "Recurrence",
    "ReportField",
    "ReportRow",
    "ScheduleConflict",
    "SearchPage",
    "SharedCalendars",
    "Slot",
    "StatusMeaning",
    "Timeline",
    "Visibility",
    "When",
    "WorkingHours",
    "activity_span",
    "busy_intervals",
    "can_see",
    "client_timeline",
    "conflicts",
    "day_view",
    "expand",
    "expand_all",
    "free_slots",
    "from_ics",
    "group_report",
    "month_view",
    "parse_rule",
    "report",
    "search",
    "split_series",
    "to_ics",
    "visibility_for",
    "week_view",
]
