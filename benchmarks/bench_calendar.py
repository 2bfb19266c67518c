"""Calendar benchmarks: a month view of 1,000 weekly series, and common free slots.

The month view goes through the whole service (``s.calendar.month``: a unit
of work on the memory storage, the permission check, the stored window
query, expansion and the view), for 20 users with 50 weekly series each,
every series running since January 2024 with 20 exclusions. The peers are
measured in the same run on the same series:

- a naive dateutil expansion: ``rrulestr`` from each series' start, every
  occurrence up to the window's end walked, exclusions dropped, the wall
  times placed in the zone (what a service built on dateutil alone does);
- ``recurring-ical-events`` (when installed) on leadcore's own ``.ics``
  export of the same series, parsed beforehand.

The occurrences are compared before anything is timed, so no contender is
fast by being wrong. ``free_slots`` asks for the common one-hour slots of 20
users over two weeks, with working hours and a buffer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from _harness import Config, Row, compare, measure
from dateutil import rrule

from leadcore import Leadcore
from leadcore.calendar import (
    DEFAULT_STATUSES,
    Activity,
    CalendarSettings,
    Occurrence,
    Recurrence,
    month_view,
    to_ics,
)
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds

TITLE = "Calendar"

TZ = "Asia/Jerusalem"
ZONE = ZoneInfo(TZ)
USERS = 20
SERIES_START = date(2024, 1, 7)
WINDOW = (datetime(2026, 3, 1, tzinfo=ZONE), datetime(2026, 4, 1, tzinfo=ZONE))
EXCLUSIONS = 20


def _series(org: str, users: list[str], count: int) -> list[Activity]:
    """``count`` weekly series spread over the users, days of the week and hours."""
    found = []
    for i in range(count):
        day = SERIES_START + timedelta(days=i % 7)
        start = datetime.combine(day, time(8 + i % 9, 30 * (i % 2)), tzinfo=ZONE)
        # Exclusions every fifth week from the fourth, and two in March 2026 (weeks 113-114).
        exdates = [start + timedelta(weeks=3 + 5 * k) for k in range(EXCLUSIONS - 2)]
        exdates += [start + timedelta(weeks=113 + k) for k in range(2)]
        found.append(
            Activity(
                id=f"series-{i:05d}",
                organization_id=org,
                type_id="internal_meeting",
                status_id="scheduled",
                title=f"Weekly {i}",
                responsible_user_id=users[i % len(users)],
                start=start,
                end=start + timedelta(minutes=45),
                tz=TZ,
                recurrence=Recurrence("FREQ=WEEKLY", exdates=exdates),
            )
        )
    return found


def _world(count: int) -> tuple[Leadcore, Session, list[str], list[Activity]]:
    core = Leadcore.open(clock=ManualClock(datetime(2026, 3, 1, tzinfo=UTC)), ids=SequentialIds())
    org, admin = core.create_organization("Bench", admin_name="Admin", timezone=TZ)
    s = core.session(admin.id)
    users = [admin.id] + [s.users.create(f"User {i}", "salesperson").id for i in range(USERS - 1)]
    activities = _series(org.id, users, count)
    # Stored directly: the benchmark is about reading them back, not about booking them.
    with core.storage.unit_of_work() as uow:
        for a in activities:
            uow.calendar.add(a)
        uow.commit()
    return core, s, users, activities


def _key(start: datetime, activity_id: str) -> tuple[datetime, str]:
    return start.astimezone(UTC), activity_id


def _service_month(s: Session, users: list[str]) -> list[tuple[datetime, str]]:
    view = s.calendar.month(users, 2026, 3)
    seen = {
        _key(e.start, e.activity_id)  # type: ignore[arg-type]
        for d in view.days
        for e in d.entries
        if isinstance(e, Occurrence)
    }
    return sorted(seen)


def _naive_month(activities: list[Activity]) -> list[tuple[datetime, str]]:
    lo = WINDOW[0].replace(tzinfo=None)
    hi = WINDOW[1].replace(tzinfo=None)
    found = []
    for a in activities:
        assert a.recurrence is not None
        assert a.recurrence.rule is not None
        assert isinstance(a.start, datetime)
        wall = a.start.replace(tzinfo=None)
        rule = rrule.rrulestr(a.recurrence.rule, dtstart=wall)
        excluded = {x.replace(tzinfo=None) for x in a.recurrence.exdates}  # type: ignore[union-attr]
        for occurrence in rule.between(lo - a.duration, hi, inc=False):
            if occurrence in excluded:
                continue
            start = occurrence.replace(tzinfo=ZONE)
            if start + a.duration > WINDOW[0]:
                found.append(_key(start, a.id))
    return sorted(found)


def _rie_month(calendar: Any, rie: Any) -> list[tuple[datetime, str]]:
    return sorted(_key(e["DTSTART"].dt, str(e["UID"])) for e in rie.of(calendar).between(*WINDOW))


def _peer(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def month_rows(config: Config) -> list[Row]:
    """The month view through the service against the peers."""
    count = 100 if config.quick else 1_000
    core, s, users, activities = _world(count)
    ours = _service_month(s, users)
    if _naive_month(activities) != ours:
        raise AssertionError("the naive dateutil expansion disagrees with the month view")
    contenders: dict[str, Callable[[], object]] = {
        "service": lambda: s.calendar.month(users, 2026, 3),
        "pure": lambda: month_view(activities, users, 2026, 3, TZ),
        "dateutil": lambda: _naive_month(activities),
    }
    rie, ical = _peer("recurring_ical_events"), _peer("icalendar")
    if rie is not None and ical is not None:
        text = to_ics(activities, DEFAULT_STATUSES, now=datetime(2026, 3, 1, tzinfo=UTC))
        calendar = ical.Calendar.from_ical(text)
        if _rie_month(calendar, rie) != ours:
            raise AssertionError("recurring-ical-events disagrees with the month view")
        contenders["recurring-ical-events"] = lambda: rie.of(calendar).between(*WINDOW)
    timings = compare(contenders, config)
    size = f"{count:,} weekly series x {EXCLUSIONS} exclusions, {USERS} users"
    extra = {"occurrences": len(ours), "series_since": SERIES_START.isoformat()}
    service = timings["service"].median
    rows = [
        Row(
            f"month view, {size} (s.calendar.month, memory storage)",
            service,
            "s",
            higher_is_better=False,
            peer="dateutil, naive from each start",
            peer_value=timings["dateutil"].median,
            limit=0.1,
            extra=extra,
        ),
        Row(
            f"month view, {size} (pure month_view, no storage)",
            timings["pure"].median,
            "s",
            higher_is_better=False,
            peer="dateutil, naive from each start",
            peer_value=timings["dateutil"].median,
            extra=extra,
        ),
    ]
    if "recurring-ical-events" in timings:
        rows.append(
            Row(
                f"month view, {size} (s.calendar.month)",
                service,
                "s",
                higher_is_better=False,
                peer="recurring-ical-events on the .ics export",
                peer_value=timings["recurring-ical-events"].median,
                extra=extra,
            )
        )
    core.close()
    return rows


def free_slot_rows(config: Config) -> list[Row]:
    """Common free slots of 20 users over two weeks, with working hours and a buffer."""
    count = 100 if config.quick else 1_000
    core, s, users, _ = _world(count)
    s.calendar.set_settings(
        CalendarSettings(default_hours=[(d, time(9), time(17)) for d in (6, 0, 1, 2, 3)])
    )
    window = (datetime(2026, 3, 1, tzinfo=ZONE), datetime(2026, 3, 15, tzinfo=ZONE))

    def slots() -> object:
        return s.calendar.free_slots(
            users, timedelta(hours=1), window, buffer=timedelta(minutes=10)
        )

    found = slots()
    timing = measure(slots, config)
    core.close()
    return [
        Row(
            f"free_slots, {USERS} users x two weeks, {count:,} weekly series, working hours",
            timing.median,
            "s",
            higher_is_better=False,
            extra={"slots": len(found)},  # type: ignore[arg-type]
        )
    ]


def run(config: Config) -> list[Row]:
    """Every calendar benchmark, in table order."""
    return [*month_rows(config), *free_slot_rows(config)]
