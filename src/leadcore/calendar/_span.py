"""An activity's span: from when to when its occurrences may take place.

An activity is stored once, however often it repeats. What a window query
needs to answer without expanding anything is the activity's *span*: the
first instant any occurrence can start and the last instant any can end
(``None`` for a series without end). An SQL adapter keeps it in two indexed
columns, next to the participants and the linked clients.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import attrs

from leadcore.calendar._model import Activity
from leadcore.calendar._series import Key, key_of

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["ActivitySpan", "activity_span"]

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
