"""Repository port of the calendar (re-exported by :mod:`leadcore.storage.protocols`).

An activity is stored once, however often it repeats: a series is one record,
expanded by the service for the window a view asks. What an adapter needs to
answer a window query without expanding anything is the activity's *span*:
the first instant any occurrence can start and the last instant any can end
(``None`` for a series without end). :func:`activity_span` computes it; an
SQL adapter keeps it in two indexed columns, next to the participants and
the linked clients.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

import attrs

from leadcore.calendar._model import Activity, ActivityStatus, ActivityType, ClientRef
from leadcore.calendar._series import Key, key_of

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from leadcore.calendar import CalendarSettings

__all__ = ["ActivitySpan", "CalendarRepository", "activity_span", "duplicate_uid"]

# All-day activities are whole days of their own zone, and views read days in
# the viewer's zone: two days either side cover any pair of zones.
_ALL_DAY_MARGIN = timedelta(days=2)


@attrs.frozen
class ActivitySpan:
    """From when to when an activity's occurrences may take place (UTC instants).

    ``last`` is ``None`` for a series that never ends. The span is a bound,
    not an exact hull: it may be wider than the occurrences (an UNTIL after
    the last one, the margin of all-day activities), never narrower.
    """

    first: datetime
    last: datetime | None

    def overlaps(self, start: datetime | None, end: datetime | None) -> bool:
        """Whether the span may overlap ``[start, end)`` (``None``: open on that side)."""
        if end is not None and not self.first < end:
            return False
        return start is None or self.last is None or self.last > start


def _instant(key: Key, zone: ZoneInfo) -> datetime:
    if isinstance(key, datetime):
        return key.replace(tzinfo=UTC)
    assert isinstance(key, date)
    return datetime.combine(key, time(), tzinfo=zone).astimezone(UTC)


def duplicate_uid(uid: str) -> str:
    """The message of the ``ConflictError`` for a UID another activity holds."""
    return f"an activity with iCalendar UID {uid!r} already exists"


def activity_span(activity: Activity) -> ActivitySpan:
    """The span of ``activity``: single, series, extra dates and moved occurrences included.

    >>> from zoneinfo import ZoneInfo
    >>> from leadcore.calendar import Recurrence
    >>> tz = ZoneInfo("Europe/London")
    >>> a = Activity(
    ...     id="a1", organization_id="o1", type_id="call", status_id="open", title="Call",
    ...     responsible_user_id="u1", tz="Europe/London",
    ...     start=datetime(2026, 3, 2, 9, tzinfo=tz), end=datetime(2026, 3, 2, 10, tzinfo=tz),
    ...     recurrence=Recurrence("FREQ=DAILY;COUNT=3"),
    ... )
    >>> span = activity_span(a)
    >>> span.first.isoformat(), span.last.isoformat()
    ('2026-03-02T09:00:00+00:00', '2026-03-04T10:00:00+00:00')
    """
    s = activity._series
    zone = s.zone
    duration = s.duration
    starts: list[Key] = [s.start_key, *s.rdates]
    ends: list[datetime] = []
    for override in s.overrides.values():
        if override.start is None and override.end is None:
            continue
        moved = key_of(override.start if override.start is not None else override.original_start)
        starts.append(moved)
        if override.end is not None:
            ends.append(_instant(key_of(override.end), zone))
        else:
            ends.append(_instant(moved, zone) + duration)
    first_at = min(_instant(k, zone) for k in starts)
    last_at: datetime | None
    if s.rule is not None and s.last_key() is None:
        last_at = None
    else:
        last_key = s.last_key() if s.rule is not None else None
        candidates = [*starts, *([last_key] if last_key is not None else [])]
        last_at = max([*(_instant(k, zone) + duration for k in candidates), *ends])
    if s.all_day:
        first_at -= _ALL_DAY_MARGIN
        if last_at is not None:
            last_at += _ALL_DAY_MARGIN
    return ActivitySpan(first_at, last_at)


class CalendarRepository(Protocol):
    """Activities, activity types and statuses, and calendar settings of organisations.

    Activities are compared and replaced by ``version`` (compare-and-set), as
    leads are. Types, statuses and settings are ``None`` until the
    organisation first stores them; the service seeds its defaults then.
    """

    def add(self, activity: Activity) -> None:
        """Store a new activity; ``ConflictError`` if its id is taken in its organisation."""
        ...

    def get(self, organization_id: str, activity_id: str) -> Activity | None:
        """The activity, or ``None`` (also for another organisation's activity)."""
        ...

    def update(self, activity: Activity, *, expected_version: int) -> None:
        """Replace an activity if its stored ``version`` is ``expected_version``.

        ``ConflictError`` when the stored version differs, ``NotFound`` when
        the activity is not stored in ``activity.organization_id``.
        """
        ...

    def activities_between(
        self,
        organization_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        user_ids: Collection[str] | None = None,
        clients: Collection[ClientRef] | None = None,
    ) -> Sequence[Activity]:
        """Activities whose span (see :func:`activity_span`) may overlap ``[start, end)``.

        ``None`` leaves that side open. With ``user_ids``, only activities one
        of these users takes part in (responsible or other user); with
        ``clients``, only activities linked to one of these clients (see
        :meth:`Activity.involves_client <leadcore.calendar.Activity.involves_client>`).
        Ordered by the span's first instant, then id. A series whose span
        overlaps the window comes back whole: expanding it is the caller's job.
        """
        ...

    def in_use(
        self, organization_id: str, *, type_id: str | None = None, status_id: str | None = None
    ) -> bool:
        """Whether some activity (or edited occurrence) has this type or this status."""
        ...

    def by_ical_uid(self, organization_id: str, uids: Collection[str]) -> Mapping[str, Activity]:
        """The activities imported from these iCalendar UIDs, by UID (those found only).

        Matches :attr:`Activity.ical_uid <leadcore.calendar.Activity.ical_uid>`
        exactly (case and spaces count), in ``organization_id`` only. A UID is
        held by one activity of an organisation at most: :meth:`add` and
        :meth:`update` raise ``ConflictError`` (:func:`duplicate_uid`) for a
        UID another activity holds, and of two units of work that give one UID
        to two activities, the second to commit is refused with
        ``ConflictError``.
        """
        ...

    def types(self, organization_id: str) -> Sequence[ActivityType] | None:
        """The organisation's activity types in their order, or ``None`` if never stored."""
        ...

    def put_types(self, organization_id: str, types: Sequence[ActivityType]) -> None:
        """Store the organisation's activity types (the whole list, in order)."""
        ...

    def statuses(self, organization_id: str) -> Sequence[ActivityStatus] | None:
        """The organisation's activity statuses in their order, or ``None`` if never stored."""
        ...

    def put_statuses(self, organization_id: str, statuses: Sequence[ActivityStatus]) -> None:
        """Store the organisation's activity statuses (the whole list, in order)."""
        ...

    def settings(self, organization_id: str) -> CalendarSettings | None:
        """The organisation's calendar settings, or ``None`` when it keeps the defaults."""
        ...

    def put_settings(self, organization_id: str, settings: CalendarSettings) -> None:
        """Store the organisation's calendar settings."""
        ...
