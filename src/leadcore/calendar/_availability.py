"""Conflicts of a proposed activity, busy time, working hours and common free slots.

All times here are instants (aware datetimes); all-day activities take their
whole days in their own zone. Working hours are read in each user's own zone,
so a common slot for users in Tel Aviv and London honours both clocks,
daylight saving included.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import UTC, datetime, time, timedelta
from typing import TypeAlias

import attrs

from leadcore._limits import load_zone
from leadcore.calendar._instants import is_after
from leadcore.calendar._model import Activity, BusyBlock, Occurrence
from leadcore.calendar._recurrence import DEFAULT_LIMIT, expand, expand_all
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import ValidationError

__all__ = [
    "Conflict",
    "Interval",
    "Slot",
    "WorkingHours",
    "busy_intervals",
    "conflicts",
    "free_slots",
]

#: A span of time ``(start, end)`` between two aware datetimes, end exclusive.
Interval: TypeAlias = tuple[datetime, datetime]

_DEFAULT_HORIZON = timedelta(days=366)


@attrs.frozen
class Conflict:
    """A participant of a proposed activity is already busy during one of its occurrences."""

    user_id: str
    """The participant who is busy."""
    #: The proposed occurrence that clashes.
    start: datetime
    end: datetime
    """The end of that occurrence."""
    #: What it clashes with: the occurrence, or a busy block if the viewer may not see it.
    other: Occurrence | BusyBlock


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    ordered = sorted(intervals)
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def conflicts(
    proposed: Activity,
    existing: Iterable[Activity],
    *,
    until: datetime | None = None,
    ignore_status_ids: Set[str] = frozenset(),
    visible: Visibility = None,
    limit: int = DEFAULT_LIMIT,
) -> tuple[Conflict, ...]:
    """Every clash between ``proposed`` and what its participants already have.

    A recurring proposal is checked up to ``until`` (default: a year after
    its start). ``existing`` may include an earlier version of ``proposed``
    itself; it is skipped. Activities whose status is in
    ``ignore_status_ids`` (typically the cancelled ones) never clash.
    """
    first = _first_instant(proposed)
    horizon = until if until is not None else first + _DEFAULT_HORIZON
    if horizon.tzinfo is None:
        raise ValidationError("the conflict check is invalid", ["until: must be timezone-aware"])
    mine = [
        occ
        for occ in expand(proposed, first, horizon, limit=limit).occurrences
        if occ.status_id not in ignore_status_ids
    ]
    if not mine:
        return ()
    participants = set(proposed.participant_ids)
    others = [
        a
        for a in existing
        if a.id != proposed.id
        and a.status_id not in ignore_status_ids
        and participants.intersection(a.participant_ids)
    ]
    lo = min(o.starts_at for o in mine)
    hi = max(o.ends_at for o in mine)
    theirs = [
        occ
        for occ in expand_all(others, lo, hi, limit=limit).occurrences
        if occ.status_id not in ignore_status_ids
    ]
    found: list[Conflict] = []
    # Ordered by start, with the longest duration known, each proposed occurrence
    # only looks at the few existing ones that can reach it.
    theirs.sort(key=lambda o: o.starts_at)
    starts = [o.starts_at for o in theirs]
    longest = max((o.ends_at - o.starts_at for o in theirs), default=timedelta(0))
    for occ in sorted(mine, key=lambda o: o.starts_at):
        start, end = occ.starts_at, occ.ends_at
        for other in theirs[bisect_left(starts, start - longest) : bisect_left(starts, end)]:
            if other.ends_at <= start:
                continue
            shown: Occurrence | BusyBlock = (
                other if can_see(visible, other.activity) else other.busy()
            )
            for user in proposed.participant_ids:
                if user in other.activity.participant_ids:
                    found.append(Conflict(user, start, end, shown))
    return tuple(found)


def _first_instant(activity: Activity) -> datetime:
    start = activity.start
    if isinstance(start, datetime):
        return start
    return datetime.combine(start, time(), tzinfo=activity.zone)


def busy_intervals(
    activities: Iterable[Activity],
    user_ids: Iterable[str],
    start: datetime,
    end: datetime,
    *,
    ignore_status_ids: Set[str] = frozenset(),
    limit: int = DEFAULT_LIMIT,
) -> dict[str, tuple[Interval, ...]]:
    """Each user's busy time in ``[start, end)``: merged, ordered, in UTC."""
    users = list(dict.fromkeys(user_ids))
    wanted = set(users)
    relevant = [
        a
        for a in activities
        if a.status_id not in ignore_status_ids and wanted.intersection(a.participant_ids)
    ]
    spans: dict[str, list[Interval]] = {u: [] for u in users}
    for occ in expand_all(relevant, start, end, limit=limit).occurrences:
        if occ.status_id in ignore_status_ids:
            continue
        span = (occ.starts_at.astimezone(UTC), occ.ends_at.astimezone(UTC))
        for user in occ.activity.participant_ids:
            if user in spans:
                spans[user].append(span)
    return {u: tuple(_merge(spans[u])) for u in users}


def _hours_problems(tz: object, hours: object) -> list[str]:
    problems = []
    zone, problem = load_zone(tz)
    if zone is None:
        problems.append(f"tz: {problem}")
    if not isinstance(hours, tuple):
        return [*problems, "hours: must be a tuple of (weekday, start, end)"]
    for i, item in enumerate(hours):
        if not (isinstance(item, tuple) and len(item) == 3):
            problems.append(f"hours[{i}]: must be (weekday, start, end), got {item!r}")
            continue
        weekday, first, last = item
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            problems.append(f"hours[{i}]: weekday {weekday!r} is not 0 (Monday) to 6 (Sunday)")
        if not isinstance(first, time) or not isinstance(last, time):
            problems.append(f"hours[{i}]: start and end must be times, got {first!r}, {last!r}")
        elif first.tzinfo is not None or last.tzinfo is not None:
            problems.append(f"hours[{i}]: times are read in tz; give them without tzinfo")
        elif last != time(0) and not last > first:
            problems.append(
                f"hours[{i}]: end {last} is not after start {first} (time(0) means midnight)"
            )
    return problems


def _hours(value: Iterable[tuple[int, time, time]]) -> tuple[tuple[int, time, time], ...]:
    return tuple(value)


@attrs.frozen
class WorkingHours:
    """When a user works, as wall-clock spans per weekday in the user's own zone.

    ``hours`` holds ``(weekday, start, end)`` with 0 = Monday; an ``end`` of
    ``time(0)`` means midnight at the end of the day.

    >>> WorkingHours.weekly("Asia/Jerusalem", days=(6, 0, 1, 2, 3)).hours[0]
    (6, datetime.time(9, 0), datetime.time(17, 0))
    """

    tz: str
    """The IANA zone the hours are read in."""
    hours: tuple[tuple[int, time, time], ...] = attrs.field(converter=_hours)

    def __attrs_post_init__(self) -> None:
        problems = _hours_problems(self.tz, self.hours)
        if problems:
            raise ValidationError("working hours are invalid", problems)

    @classmethod
    def weekly(
        cls,
        tz: str,
        *,
        start: time = time(9),
        end: time = time(17),
        days: Iterable[int] = (0, 1, 2, 3, 4),
    ) -> WorkingHours:
        """The same hours on each of ``days`` (default Monday to Friday)."""
        return cls(tz, tuple((d, start, end) for d in days))

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """The working spans overlapping ``[start, end)``, clipped to it, in UTC."""
        zone, _ = load_zone(self.tz)
        assert zone is not None
        day = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        spans: list[Interval] = []
        lo, hi = start.astimezone(UTC), end.astimezone(UTC)
        while day <= last:
            for weekday, first, final in self.hours:
                if weekday != day.weekday():
                    continue
                a = datetime.combine(day, first, tzinfo=zone).astimezone(UTC)
                b_day = day + timedelta(days=1) if final == time(0) else day
                b = datetime.combine(b_day, final, tzinfo=zone).astimezone(UTC)
                a, b = max(a, lo), min(b, hi)
                if a < b:
                    spans.append((a, b))
            day += timedelta(days=1)
        return _merge(spans)


@attrs.frozen
class Slot:
    """A free span common to every user asked about."""

    start: datetime
    """When the free span starts."""
    end: datetime
    """When it ends."""


def _subtract(base: list[Interval], holes: Sequence[Interval]) -> list[Interval]:
    result: list[Interval] = []
    holes = _merge(holes)
    for start, end in base:
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                result.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def _intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    result: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            result.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return result


def free_slots(
    busy: Mapping[str, Iterable[Interval]],
    duration: timedelta,
    start: datetime,
    end: datetime,
    *,
    working_hours: Mapping[str, WorkingHours] | None = None,
    buffer: timedelta = timedelta(0),
    step: timedelta = timedelta(minutes=15),
    limit: int | None = None,
) -> tuple[Slot, ...]:
    """Slots of ``duration`` in ``[start, end)`` when every user is free.

    ``busy`` maps each user to their busy intervals (see
    :func:`busy_intervals`); ``working_hours`` limits users to their hours
    (a user without an entry is available at any time). Every slot keeps
    ``buffer`` away from each busy interval, starts ``start + k * step`` for
    some whole ``k``, and lies wholly inside everyone's working hours. Slots
    come back in order, at most ``limit`` of them, in ``start``'s zone.

    >>> from datetime import datetime, timedelta, timezone
    >>> utc = timezone.utc
    >>> day = datetime(2026, 3, 2, 9, tzinfo=utc)
    >>> slots = free_slots(
    ...     {"dana": [(day, day + timedelta(hours=1))], "avi": []},
    ...     timedelta(minutes=30), day, day + timedelta(hours=2), step=timedelta(minutes=30),
    ... )
    >>> [s.start.strftime("%H:%M") for s in slots]
    ['10:00', '10:30']
    """
    problems = []
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{name}: must be a timezone-aware datetime, got {value!r}")
    if not problems and not is_after(end, start):
        problems.append(f"end: {end} is not after start {start}")
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        problems.append(f"duration: must be a positive timedelta, got {duration!r}")
    if not isinstance(step, timedelta) or step <= timedelta(0):
        problems.append(f"step: must be a positive timedelta, got {step!r}")
    if not isinstance(buffer, timedelta) or buffer < timedelta(0):
        problems.append(f"buffer: must be a timedelta of zero or more, got {buffer!r}")
    for user, intervals in busy.items():
        for i, (a, b) in enumerate(intervals):
            if a.tzinfo is None or b.tzinfo is None:
                problems.append(f"busy[{user!r}][{i}]: times must be timezone-aware")
    if limit is not None and limit < 0:
        problems.append(f"limit: {limit} is negative")
    if problems:
        raise ValidationError("the free-slot search is invalid", problems)

    hours = working_hours or {}
    free: list[Interval] = [(start.astimezone(UTC), end.astimezone(UTC))]
    for user in dict.fromkeys([*busy, *hours]):
        allowed = hours[user].intervals(start, end) if user in hours else list(free)
        blocked = [
            (a.astimezone(UTC) - buffer, b.astimezone(UTC) + buffer) for a, b in busy.get(user, ())
        ]
        free = _intersect(free, _subtract(allowed, blocked))
        if not free:
            return ()
    slots: list[Slot] = []
    origin = start.astimezone(UTC)
    out_zone = start.tzinfo
    for a, b in free:
        k = -((origin - a) // step)  # the first multiple of ``step`` at or after ``a``
        cursor = origin + step * k
        while cursor + duration <= b:
            slots.append(
                Slot(cursor.astimezone(out_zone), (cursor + duration).astimezone(out_zone))
            )
            if limit is not None and len(slots) >= limit:
                return tuple(slots)
            cursor += step
    return tuple(slots)
