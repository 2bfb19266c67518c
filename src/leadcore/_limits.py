"""The bounds leadcore checks on numbers, dates and time zones, in one place.

Every public call that takes a time zone, a date, a datetime, a duration or a
numeric setting checks it here, so that a value outside what leadcore supports
is answered with a problem text (and, by the caller, a
:class:`~leadcore.errors.ValidationError`) before it reaches ``zoneinfo``,
``datetime`` arithmetic or a database column.

The supported calendar range is the years :data:`MIN_YEAR` to :data:`MAX_YEAR`:
far enough inside what ``datetime`` can hold (years 1 to 9999) that every view,
week, month, recurrence window and lease computed around a supported date has
room on both sides.

>>> from datetime import date
>>> date_problem(date(2026, 3, 1), "day") is None
True
>>> print(date_problem(date(9999, 12, 31), "day"))
day: 9999-12-31 is outside the supported range of years 1900 to 9000
>>> print(zone_problem("A" * 300, "tz"))
tz: 'AAAAAAAAAAAAAAAAAAAAAAAA... is not a known IANA time zone (such as 'Europe/London')
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "MAX_DURATION",
    "MAX_YEAR",
    "MIN_YEAR",
    "ZONE_NAME_LENGTH",
    "aware_problem",
    "date_problem",
    "datetime_problem",
    "duration_problem",
    "load_zone",
    "safe_repr",
    "shown",
    "whole_problem",
    "zone_problem",
]

MIN_YEAR = 1900
"""The first supported calendar year (dates and datetimes)."""
MAX_YEAR = 9000
"""The last supported calendar year (dates and datetimes)."""
MAX_DURATION = timedelta(days=36_500)
"""The longest supported duration (about 100 years): task due-ins, windows, lengths."""
ZONE_NAME_LENGTH = 64
"""The longest accepted time zone name (the longest IANA name has 32 characters)."""

_EARLIEST = datetime(MIN_YEAR, 1, 1, tzinfo=UTC)
_LATEST = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC)
# IANA names are made of ASCII letters, digits and "_-+", in "/"-separated parts
# that never start with a dot (so no "..", no hidden file, no absolute path).
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-][A-Za-z0-9_+\-.]*(/[A-Za-z0-9_+\-][A-Za-z0-9_+\-.]*)*")


def safe_repr(value: object) -> str:
    """``repr(value)``, except for an integer too long to write out (the digit limit)."""
    if isinstance(value, int) and value.bit_length() > 128:
        # repr() of a very long integer raises ValueError past 4,300 digits.
        return f"an integer of {value.bit_length()} bits"
    return repr(value)


def shown(value: object) -> str:
    """:func:`safe_repr` of ``value``, cut to about 40 characters."""
    text = safe_repr(value)
    return text if len(text) <= 40 else text[:25] + "..."


def load_zone(name: object) -> tuple[ZoneInfo | None, str | None]:
    """Return the zone named ``name``, or ``None`` and a problem saying why there is none.

    The one gate every time zone argument goes through: a name that is not a
    short IANA-shaped string (at most :data:`ZONE_NAME_LENGTH` characters of
    ASCII letters, digits, ``_-+.`` in ``/``-separated parts; so not empty,
    not a path, no NUL, a ``str``) is refused before the file system is asked.

    >>> load_zone("Europe/London")[0]
    zoneinfo.ZoneInfo(key='Europe/London')
    >>> print(load_zone("../etc")[1])
    '../etc' is not a known IANA time zone (such as 'Europe/London')
    """
    if not isinstance(name, str) or not name:
        return None, f"expected an IANA time zone name such as 'Asia/Jerusalem', got {shown(name)}"
    unknown = f"{shown(name)} is not a known IANA time zone (such as 'Europe/London')"
    if len(name) > ZONE_NAME_LENGTH or _ZONE_NAME.fullmatch(name) is None:
        return None, unknown
    try:
        return ZoneInfo(name), None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: a folder of the zone database ("America") or an unreadable file.
        return None, unknown


def zone_problem(value: object, path: str) -> str | None:
    """A problem naming ``path`` if ``value`` is not a time zone :func:`load_zone` accepts."""
    _zone, problem = load_zone(value)
    return None if problem is None else f"{path}: {problem}"


def _range_text() -> str:
    return f"the supported range of years {MIN_YEAR} to {MAX_YEAR}"


def date_problem(value: object, path: str) -> str | None:
    """A problem naming ``path`` if ``value`` is not a date (or datetime) in the supported years.

    Type problems are left to the caller's own checks: only a ``date`` out of
    range is reported.
    """
    if not isinstance(value, date):
        return None
    if isinstance(value, datetime):
        return datetime_problem(value, path)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return f"{path}: {value.isoformat()} is outside {_range_text()}"
    return None


def datetime_problem(value: object, path: str) -> str | None:
    """A problem naming ``path`` if datetime ``value`` falls outside the supported years.

    A naive datetime is judged by its wall-clock year; an aware one by its
    instant (so that converting it to UTC or to any zone stays in range).
    """
    if not isinstance(value, datetime):
        return date_problem(value, path)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        return f"{path}: {value.isoformat()} is outside {_range_text()}"
    if value.tzinfo is not None:
        try:
            offset = value.utcoffset()
        except (ValueError, OverflowError):  # a tzinfo that cannot place this wall time
            return f"{path}: {value.isoformat()} has no UTC offset in its time zone"
        if offset is not None and not _EARLIEST <= value <= _LATEST:
            return f"{path}: {value.isoformat()} is outside {_range_text()}"
    return None


def aware_problem(value: datetime | None, path: str) -> str | None:
    """A problem naming ``path`` if ``value`` is naive or outside the supported years.

    ``None`` (no bound given) is no problem.
    """
    if value is None:
        return None
    if value.utcoffset() is None:
        return f"{path}: must be timezone-aware, got {value.isoformat()}"
    return datetime_problem(value, path)


def duration_problem(value: object, path: str, *, minimum: timedelta | None = None) -> str | None:
    """A problem naming ``path`` if duration ``value`` is longer than :data:`MAX_DURATION`.

    With ``minimum``, a duration below it is a problem too. Type problems are
    left to the caller.
    """
    if not isinstance(value, timedelta):
        return None
    if abs(value) > MAX_DURATION:
        return (
            f"{path}: {value} is longer than the longest supported duration "
            f"({MAX_DURATION.days} days)"
        )
    if minimum is not None and value < minimum:
        return f"{path}: must be at least {minimum}, got {value}"
    return None


def whole_problem(value: object, path: str, *, minimum: int, maximum: int, unit: str) -> str | None:
    """A problem naming ``path`` unless ``value`` is a whole number from ``minimum`` to ``maximum``.

    >>> print(whole_problem(10**12, "lock_window_minutes", minimum=0, maximum=1440, unit="minutes"))
    lock_window_minutes: must be whole minutes from 0 to 1440, got 1000000000000
    """
    if isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= maximum:
        return None
    return f"{path}: must be whole {unit} from {minimum} to {maximum}, got {shown(value)}"
