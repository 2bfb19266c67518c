"""Clocks: the manual clock moves only when told; the system clock is aware UTC."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadcore.clock import Clock, ManualClock, SystemClock

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_manual_clock_stands_still_until_moved() -> None:
    clock = ManualClock(START)
    assert clock.now() == START
    assert clock.now() == START
    clock.advance(timedelta(minutes=10))
    assert clock.now() == START + timedelta(minutes=10)
    clock.advance(timedelta(hours=-1))
    assert clock.now() == START - timedelta(minutes=50)
    clock.set(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)


def test_a_manual_clock_starts_on_a_fixed_day_by_default() -> None:
    assert ManualClock().now() == datetime(2026, 1, 1, tzinfo=UTC)


def test_a_manual_clock_keeps_time_in_utc() -> None:
    israel = timezone(timedelta(hours=2))
    clock = ManualClock(datetime(2026, 3, 1, 11, 0, tzinfo=israel))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC
    clock.set(datetime(2026, 3, 1, 12, 0, tzinfo=israel))
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now().hour == 10


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2026, 1, 1))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match=r"ManualClock\.set"):
        clock.set(datetime(2026, 1, 1))
    assert clock.now() == START


def test_a_manual_clock_is_safe_to_advance_from_many_threads() -> None:
    clock = ManualClock(START)

    def tick() -> None:
        for _ in range(1000):
            clock.advance(timedelta(seconds=1))

    threads = [threading.Thread(target=tick) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.now() == START + timedelta(seconds=8000)


def test_the_system_clock_tells_aware_utc_time() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert now.year >= 2024


def test_both_clocks_are_clocks() -> None:
    assert isinstance(SystemClock(), Clock)
    assert isinstance(ManualClock(), Clock)
    assert repr(SystemClock()) == "SystemClock()"
    assert repr(ManualClock(START)) == "ManualClock('2026-03-01T09:00:00+00:00')"
