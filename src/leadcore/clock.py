"""Clocks: the only place leadcore learns the time.

Pure domain code never reads a clock; it takes ``now`` as an argument. The
services read the injected :class:`Clock` once per use case. Tests use a
:class:`ManualClock` they move by hand::

    >>> from datetime import datetime, timedelta, timezone
    >>> clock = ManualClock(datetime(2026, 1, 1, 9, 0, tzinfo=timezone.utc))
    >>> clock.advance(timedelta(minutes=10))
    >>> clock.now().isoformat()
    '2026-01-01T09:10:00+00:00'
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything that tells the current time as an aware UTC ``datetime``."""

    def now(self) -> datetime:
        """Return the current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """Return ``datetime.now(timezone.utc)``."""
        return datetime.now(UTC)

    def __repr__(self) -> str:
        return "SystemClock()"


def _require_aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


class ManualClock:
    """A clock that only moves when told to; thread-safe.

    ``start`` must be timezone-aware; it is kept in UTC.
    """

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime(2026, 1, 1, tzinfo=UTC)
        self._now = _require_aware(start, "ManualClock start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the time last set."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (may move backwards, as real clocks sometimes do)."""
        aware = _require_aware(when, "ManualClock.set")
        with self._lock:
            self._now = aware

    def advance(self, delta: timedelta) -> None:
        """Move the clock by ``delta`` (negative moves it back)."""
        with self._lock:
            self._now = self._now + delta

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()!r})"
