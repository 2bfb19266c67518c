"""What scheduling and importing did, and the refusal of a clash: pure records."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from leadcore.calendar._availability import Conflict
from leadcore.calendar._model import Activity, Occurrence
from leadcore.errors import ValidationError

__all__ = ["Booking", "CalendarImport", "ScheduleConflict"]


@attrs.frozen
class Booking:
    """What scheduling or changing an activity did.

    ``activity`` holds the changed occurrences: the activity itself, or, for
    a change of an occurrence "and the following ones", the new series that
    starts there; ``previous`` is then the original series, now ending
    before it. ``conflicts`` are the clashes the change introduced, which the
    organisation's :class:`ConflictPolicy` let through.
    """

    activity: Activity
    """The activity as stored now, or the new series a split started."""
    conflicts: tuple[Conflict, ...] = ()
    """The clashes the change introduced, with every participant's calendar."""
    previous: Activity | None = None
    """For a split, the original series, now ending before ``activity``."""


def _describe(c: Conflict, user_names: Mapping[str, str]) -> str:
    other = c.other
    what = f"activity {other.title!r}" if isinstance(other, Occurrence) else "a busy block"
    first = other.starts_at if isinstance(other, Occurrence) else other.start
    last = other.ends_at if isinstance(other, Occurrence) else other.end
    who = user_names.get(c.user_id, c.user_id)
    return (
        f"user {who!r}: the occurrence at {c.start.isoformat()} overlaps {what} "
        f"({first.isoformat()} to {last.isoformat()})"
    )


class ScheduleConflict(ValidationError):
    """Participants are busy, and the organisation rejects conflicts; ``conflicts`` lists each.

    A :class:`~leadcore.errors.ValidationError` (so a ``ValueError``): the
    request was refused as given; move it, or change the participants. Each
    problem names the busy user by name (``user_names`` maps ids to names;
    the id when not given) and the activity it clashes with by title, or "a
    busy block" when the acting user may not see it; the ids are in
    :attr:`conflicts`.
    """

    def __init__(
        self, conflicts: Sequence[Conflict], *, user_names: Mapping[str, str] | None = None
    ) -> None:
        self.conflicts: tuple[Conflict, ...] = tuple(conflicts)
        names = dict(user_names or {})
        super().__init__(
            "the activity clashes with participants' calendars, and the organisation "
            "rejects conflicts (calendar setting 'conflicts')",
            [_describe(c, names) for c in self.conflicts],
        )


@attrs.frozen
class CalendarImport:
    """What an iCalendar import did.

    A file's UID is the file's identity, never an id of ours: an event whose
    UID an earlier import of the organisation kept
    (:attr:`Activity.ical_uid <leadcore.calendar.Activity.ical_uid>`), or
    that this organisation exported itself, updates that activity if the
    user may see it (``updated``, or ``unchanged`` if nothing differs); every
    other event becomes a new activity with a new id (``created``). Events
    that could not be imported are in ``problems``, each naming the event and
    why; ``mapped`` says how the users and zones the file did not give as
    ours were found.
    """

    created: tuple[Activity, ...] = ()
    updated: tuple[Activity, ...] = ()
    unchanged: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    """The clashes the imported activities introduced."""
    mapped: tuple[str, ...] = ()
    """How users and zones were found: ``VEVENT #0 (UID 'x'): responsible_user_id
    'user-2' from ORGANIZER mailto:avi@example.com``."""
