"""An organisation's calendar settings and the catalogue it starts with: pure records."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import time
from types import MappingProxyType

import attrs

from leadcore._limits import shown
from leadcore.calendar._availability import WorkingHours
from leadcore.calendar._model import ActivityStatus, ActivityType, StatusMeaning
from leadcore.errors import ValidationError

__all__ = [
    "DEFAULT_STATUSES",
    "DEFAULT_TYPES",
    "CalendarSettings",
    "ConflictPolicy",
    "SharedCalendars",
]

#: The activity types an organisation starts with.
DEFAULT_TYPES: tuple[ActivityType, ...] = (
    ActivityType("sales_meeting", "Sales meeting", next_type_id="kickoff"),
    ActivityType("kickoff", "Kickoff meeting"),
    ActivityType("internal_meeting", "Internal meeting"),
    ActivityType("online_presentation", "Online presentation", next_type_id="sales_meeting"),
)

#: The activity statuses an organisation starts with; new activities take the first open one.
DEFAULT_STATUSES: tuple[ActivityStatus, ...] = (
    ActivityStatus("scheduled", "Scheduled", StatusMeaning.OPEN),
    ActivityStatus("postponed", "Postponed", StatusMeaning.OPEN),
    ActivityStatus("done", "Done", StatusMeaning.DONE),
    ActivityStatus("succeeded", "Succeeded", StatusMeaning.SUCCEEDED),
    ActivityStatus("cancelled", "Cancelled", StatusMeaning.CANCELLED),
)


class ConflictPolicy(enum.StrEnum):
    """What scheduling does when a participant is already busy at that time."""

    WARN = "warn"
    """Schedule it, and report the conflicts (:attr:`Booking.conflicts`)."""
    REJECT = "reject"
    """Refuse it with :class:`ScheduleConflict`."""


class SharedCalendars(enum.StrEnum):
    """Whose calendars the ``see_others_calendars`` permission opens to a user."""

    ALL = "all"
    """Every user's in the organisation."""
    TEAM = "team"
    """Those of the users who share a group with the viewer."""


def _policy(value: ConflictPolicy | str) -> ConflictPolicy:
    try:
        return ConflictPolicy(value)
    except ValueError:
        raise ValidationError(
            "calendar settings are invalid", [f"conflicts: {value!r} is not one of warn, reject"]
        ) from None


def _shared(value: SharedCalendars | str) -> SharedCalendars:
    try:
        return SharedCalendars(value)
    except ValueError:
        raise ValidationError(
            "calendar settings are invalid",
            [f"shared_calendars: {value!r} is not one of all, team"],
        ) from None


def _hours_map(value: Mapping[str, WorkingHours]) -> Mapping[str, WorkingHours]:
    # Read-only: stores keep and hand out settings without copying them.
    return MappingProxyType(dict(value))


def _hours(value: Iterable[tuple[int, time, time]]) -> tuple[tuple[int, time, time], ...]:
    return tuple(value)


@attrs.frozen
class CalendarSettings:
    """An organisation's calendar settings (``s.calendar.set_settings``, needs ``manage_calendar``).

    ``working_hours`` maps user ids to their own :class:`~leadcore.calendar.WorkingHours`;
    users without an entry work ``default_hours`` (``(weekday, start, end)``
    spans, 0 = Monday) read in their own time zone (the user's, else the
    organisation's). Empty ``default_hours`` means "any time".
    ``first_weekday`` starts week views (0 = Monday, 6 = Sunday).

    >>> from datetime import time
    >>> settings = CalendarSettings(
    ...     conflicts="reject", default_hours=[(d, time(9), time(17)) for d in (6, 0, 1, 2, 3)]
    ... )
    >>> settings.conflicts, len(settings.default_hours)
    (<ConflictPolicy.REJECT: 'reject'>, 5)
    """

    conflicts: ConflictPolicy = attrs.field(default=ConflictPolicy.WARN, converter=_policy)
    """``warn``: schedule and report clashes; ``reject``: refuse to schedule them."""
    shared_calendars: SharedCalendars = attrs.field(default=SharedCalendars.ALL, converter=_shared)
    """Whose calendars ``see_others_calendars`` opens: ``all``, or the viewer's ``team``."""
    working_hours: Mapping[str, WorkingHours] = attrs.field(
        factory=dict, converter=_hours_map, hash=False
    )
    default_hours: tuple[tuple[int, time, time], ...] = attrs.field(default=(), converter=_hours)
    first_weekday: int = 6

    def problems(self) -> list[str]:
        """Everything wrong with the settings, each with its path (empty when valid)."""
        problems: list[str] = []
        for user, hours in self.working_hours.items():
            if not isinstance(hours, WorkingHours):
                problems.append(f"working_hours[{user!r}]: must be WorkingHours, got {hours!r}")
        if self.default_hours:
            try:
                WorkingHours("UTC", self.default_hours)
            except ValidationError as exc:
                problems.extend(f"default_hours: {p}" for p in exc.problems)
        fw = self.first_weekday
        if not isinstance(fw, int) or isinstance(fw, bool) or not 0 <= fw <= 6:
            problems.append(f"first_weekday: {shown(fw)} is not 0 (Monday) to 6 (Sunday)")
        return problems

    def hours_for(self, user_id: str, tz: str) -> WorkingHours | None:
        """The working hours of ``user_id``, whose own zone is ``tz`` (``None``: any time)."""
        own = self.working_hours.get(user_id)
        if own is not None:
            return own
        if not self.default_hours:
            return None
        return WorkingHours(tz, self.default_hours)
