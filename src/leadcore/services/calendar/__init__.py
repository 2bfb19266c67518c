"""Use cases of the calendar (``s.calendar``).

Activity types, statuses and calendar settings per organisation; scheduling,
changing, rescheduling and cancelling activities (whole, one occurrence, or
one occurrence and the following ones); views, search, reports, free slots
and iCalendar export and import. Each method runs in one unit of work and
records its events with its changes.

Who sees what: a user sees the details of the activities they take part in;
with ``see_others_calendars`` also the public activities of the users whose
calendars the organisation shares with them (everyone's, or their team's:
the users they share a group with, see :class:`CalendarSettings`). Anything
else comes back as a busy block (times only) in views, timelines and
exports, and not at all in search results and reports. A user changes only
the activities they may see, and schedules only activities they could see.
"""

from __future__ import annotations

from leadcore._arguments import checked_arguments
from leadcore._moved import renamed
from leadcore._text import checks_text

# Records of the domain (documented in leadcore.calendar), kept here for the old
# path leadcore.calendar.service, which forwards its names to this module.
from leadcore.calendar._outcomes import Booking as Booking
from leadcore.calendar._outcomes import CalendarImport as CalendarImport
from leadcore.calendar._outcomes import ScheduleConflict as ScheduleConflict
from leadcore.calendar._settings import DEFAULT_STATUSES as DEFAULT_STATUSES
from leadcore.calendar._settings import DEFAULT_TYPES as DEFAULT_TYPES
from leadcore.calendar._settings import CalendarSettings as CalendarSettings
from leadcore.calendar._settings import ConflictPolicy as ConflictPolicy
from leadcore.calendar._settings import SharedCalendars as SharedCalendars
from leadcore.services._old_calls import OldCalls, month_call, search_call, week_call
from leadcore.services.calendar._base import UNSET
from leadcore.services.calendar._catalogue import _TypesAndSettings
from leadcore.services.calendar._emails import EmailPage, EmailsService
from leadcore.services.calendar._ical import _Ical
from leadcore.services.calendar._rescheduling import _Rescheduling
from leadcore.services.calendar._scheduling import _Scheduling
from leadcore.services.calendar._views import _Views

__all__ = ["UNSET", "CalendarService", "EmailPage", "EmailsService"]


@checks_text
@checked_arguments
class CalendarService(_TypesAndSettings, _Scheduling, _Rescheduling, _Views, _Ical):
    """The calendar of the acting user's organisation (``s.calendar``).

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from leadcore import Leadcore
    >>> core = Leadcore.open()
    >>> org, dana = core.create_organization("Agency", admin_name="Dana")
    >>> s = core.session(dana.id)
    >>> tz = ZoneInfo("Asia/Jerusalem")
    >>> booked = s.calendar.create(
    ...     "Kickoff", start=datetime(2026, 3, 2, 10, tzinfo=tz),
    ...     end=datetime(2026, 3, 2, 11, tzinfo=tz), type_id="kickoff",
    ... )
    >>> booked.activity.status_id, booked.activity.tz
    ('scheduled', 'Asia/Jerusalem')
    """

    # The methods come from one part per idea (catalogue, scheduling, rescheduling,
    # views, iCalendar); each part carries the argument and text checks itself.

    # Old names, one release.
    configure = renamed("set_settings")
    schedule = renamed("create")
    set_status = renamed("change_status")
    # Who first, then when (``week(user_ids, day)``), and ``search(limit=)``; the old
    # shapes of these calls are rewritten, with a warning, for one release.
    week = OldCalls(_Views.week, week_call)
    month = OldCalls(_Views.month, month_call)
    search = OldCalls(_Views.search, search_call)
