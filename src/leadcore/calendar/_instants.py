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

__all__ = ["elapsed", "is_after", "later", "utc"]

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
