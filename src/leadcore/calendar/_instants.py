"""Order and elapsed time of aware datetimes, always as instants.

Python compares and subtracts two aware datetimes that share one ``tzinfo``
by their wall clocks, ignoring ``fold``: in the hour repeated when daylight
saving ends, 01:00 of the second run (``fold=1``) is "equal" to 01:00 of
the first one, an hour earlier, and adding a ``timedelta`` moves the wall
clock, not time. Every order, comparison and duration between aware
datetimes in the calendar goes through these functions, which work on UTC.
Dates (all-day values) are compared as they are.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> tz = ZoneInfo("Asia/Jerusalem")
>>> first = datetime(2026, 10, 25, 1, tzinfo=tz)           # 01:00+03, 22:00Z
>>> second = datetime(2026, 10, 25, 1, fold=1, tzinfo=tz)  # 01:00+02, 23:00Z
>>> second > first, is_after(second, first), elapsed(first, second)
(False, True, datetime.timedelta(seconds=3600))
>>> later(first, elapsed(first, second)).isoformat()
'2026-10-25T01:00:00+02:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

__all__ = ["elapsed", "is_after", "later", "skipped_note", "utc"]

_D = TypeVar("_D", bound=date)


def utc(value: datetime) -> datetime:
    """``value`` (aware) as the same instant in UTC."""
    return value.astimezone(UTC)


def _comparable(value: date) -> date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def is_after(later_value: date, earlier_value: date) -> bool:
    """Whether ``later_value`` is strictly after ``earlier_value``, as instants.

    Both are aware datetimes, or both are dates.
    """
    return _comparable(later_value) > _comparable(earlier_value)


def elapsed(start: datetime, end: datetime) -> timedelta:
    """The time that passes from ``start`` to ``end`` (both aware)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def later(value: _D, delta: timedelta) -> _D:
    """``delta`` after ``value``: elapsed time for an aware datetime, in its own zone.

    A date moves by whole days of ``delta``.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        return (value.astimezone(UTC) + delta).astimezone(value.tzinfo)
    return value + timedelta(days=delta.days)


def skipped_note(name: str, value: date) -> str:
    """A note that the wall time of aware ``value`` is skipped by its zone, else ``""``.

    Such a time (02:30 on the night New York's clocks go from 02:00 to 03:00)
    is read as an instant by its offset before the change (RFC 5545 section
    3.3.5 reads it so too), which a reader of the wall time does not expect.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> skipped_note("start", datetime(2026, 3, 8, 2, 30, tzinfo=ZoneInfo("America/New_York")))
    '; start 02:30 does not exist on 2026-03-08 in America/New_York (the clocks skip it): it is the instant 2026-03-08T03:30:00-04:00'
    """  # noqa: E501
    if not isinstance(value, datetime) or value.tzinfo is None:
        return ""
    shown = value.astimezone(UTC).astimezone(value.tzinfo)
    if shown.replace(tzinfo=None) == value.replace(tzinfo=None, fold=0):
        return ""
    return (
        f"; {name} {value:%H:%M} does not exist on {value.date().isoformat()} in {value.tzinfo} "
        f"(the clocks skip it): it is the instant {shown.isoformat()}"
    )
