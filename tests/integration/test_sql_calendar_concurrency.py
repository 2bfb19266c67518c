"""Calendar use cases racing on one SQL database: nothing lost, nothing written twice.

Threads book activities for the same participants at once (each booking
commits on its own; a lost race on the shared rows is retried), and two
threads edit different occurrences of one series from the same version (the
first commit wins, the other gets ``ConflictError`` and writes nothing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from tests.integration.conftest import BACKENDS

from leadcore import Leadcore
from leadcore.calendar import Occurrence
from leadcore.clock import ManualClock
from leadcore.errors import ConflictError
from leadcore.storage.sql import SqlStorage

ZONE = ZoneInfo("Asia/Jerusalem")
THREADS = 6
BOOKINGS = 4


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=ZONE)


def _race(work: Callable[[int], object], threads: int) -> list[object]:
    """Run ``work(i)`` in ``threads`` threads started together; each one's result or error."""
    start = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # the test looks at every outcome
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    return results


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_bookings_for_the_same_people_are_all_kept(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    core = Leadcore(storage=make_storage(backend), clock=ManualClock(at(1, 6).astimezone(UTC)))
    _, dana = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    s = core.session(dana.id)
    avi = s.users.create("Avi", "salesperson").id

    def book(i: int) -> list[str]:
        me = core.session(dana.id)
        return [
            me.calendar.create(
                f"Meeting {i}.{n}",
                start=at(2 + n, 8 + i),
                end=at(2 + n, 9 + i),
                user_ids=[avi],
                recurrence="FREQ=WEEKLY;COUNT=4" if n == 0 else None,
            ).activity.id
            for n in range(BOOKINGS)
        ]

    results = _race(book, THREADS)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    booked = sorted(a for r in results if isinstance(r, list) for a in r)
    assert len(set(booked)) == THREADS * BOOKINGS
    march = s.calendar.month([avi], 2026, 3)
    shown = {e.activity_id for d in march.days for e in d.entries if isinstance(e, Occurrence)}
    assert sorted(shown) == booked
    weekly = sum(1 for d in march.days for e in d.entries if isinstance(e, Occurrence))
    assert weekly == THREADS * (BOOKINGS - 1) + THREADS * 4
    core.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_edits_of_one_series_from_the_same_version_keep_exactly_one(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    core = Leadcore(storage=make_storage(backend), clock=ManualClock(at(1, 6).astimezone(UTC)))
    _, dana = core.create_organization("Agency", admin_name="Dana", timezone="Asia/Jerusalem")
    s = core.session(dana.id)
    series = s.calendar.create(
        "Standup", start=at(2, 9), end=at(2, 10), recurrence="FREQ=DAILY;COUNT=10"
    ).activity

    def edit(i: int) -> object:
        return (
            core.session(dana.id)
            .calendar.update(
                series.id,
                occurrence=at(3 + i, 9),
                title=f"Edited {i}",
                expected_version=series.version,
            )
            .activity
        )

    results = _race(edit, 2)
    conflicts = [r for r in results if isinstance(r, ConflictError)]
    kept = [r for r in results if not isinstance(r, BaseException)]
    assert (len(kept), len(conflicts)) == (1, 1), results
    stored = s.calendar.get(series.id)
    assert stored == kept[0]
    assert stored.recurrence is not None
    assert len(stored.recurrence.overrides) == 1
    assert stored.version == series.version + 1
    week = s.calendar.week(s.user_id, at(2, 9).date() + timedelta(days=1))
    titles = [e.title for d in week.days for e in d.entries if isinstance(e, Occurrence)]
    assert sum(t.startswith("Edited") for t in titles) == 1
    core.close()
