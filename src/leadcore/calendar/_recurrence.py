"""Expanding activities into occurrences for a window, and splitting a series.

Only the window asked for is computed: a series stored once is never turned
into rows. Every expansion has a budget (``limit`` occurrences per activity)
so that no rule, however dense (``FREQ=SECONDLY`` over years), can hang a
view; what was cut is flagged, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._instants import is_after
from leadcore.calendar._model import Activity, Occurrence, OccurrenceOverride, Recurrence, When
from leadcore.calendar._rule import parse_rule
from leadcore.calendar._series import Key, Series, day_offset, key_of, local
from leadcore.errors import ValidationError

__all__ = [
    "DEFAULT_LIMIT",
    "Expansion",
    "expand",
    "expand_all",
    "split_series",
]

#: Occurrences one activity may contribute to one expansion.
DEFAULT_LIMIT = 5_000


@attrs.frozen
class Expansion:
    """Occurrences of a window, in start order, and the activities cut by the budget."""

    occurrences: tuple[Occurrence, ...]
    """The occurrences in the window, in start order."""
    truncated: frozenset[str] = frozenset()
    """Ids of the activities that had more occurrences than the budget allowed."""

    @property
    def is_truncated(self) -> bool:
        """Whether any activity had more occurrences than the budget allowed."""
        return bool(self.truncated)


def _series(activity: Activity) -> Series:
    return activity._series


def _midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    wall = datetime.combine(day, time())
    off = zone.utcoffset(wall)
    assert off is not None
    return wall - off


def _window_problems(start: object, end: object) -> list[str]:
    problems = []
    kinds = []
    for name, value in (("start", start), ("end", end)):
        if isinstance(value, datetime):
            if value.tzinfo is None or value.utcoffset() is None:
                problems.append(f"window {name}: {value.isoformat()} is naive; give an aware time")
            kinds.append("datetime")
        elif isinstance(value, date):
            kinds.append("date")
        else:
            problems.append(f"window {name}: must be a datetime or a date, got {value!r}")
    if len(kinds) == 2 and kinds[0] != kinds[1]:
        problems.append("window: start and end must both be datetimes or both be dates")
    elif not problems and not is_after(end, start):  # type: ignore[arg-type]
        problems.append(f"window: end {end} is not after start {start}")
    return problems


def _check_window(start: When, end: When) -> None:
    problems = _window_problems(start, end)
    if problems:
        raise ValidationError("the window is invalid", problems)


def _occurrence(
    activity: Activity, s: Series, key: Key, o: OccurrenceOverride | None
) -> tuple[Key, Key, When, When, When]:
    """Keys of start and end, then original start, start and end as values."""
    zone = s.zone
    start: When
    end: When
    if s.all_day:
        assert not isinstance(key, datetime)
        original: When = key
        start = o.start if o is not None and o.start is not None else key
        end = o.end if o is not None and o.end is not None else start + s.duration
        return start, end, original, start, end
    assert isinstance(key, datetime)
    original = activity.start if key == s.start_key else local(key, zone)
    if o is None or (o.start is None and o.end is None):
        plain_end = key + s.duration
        return key, plain_end, original, original, local(plain_end, zone)
    start = o.start if o.start is not None else original
    start_key = key_of(start)
    if o.end is not None:
        end = o.end
        return start_key, key_of(end), original, start, end
    assert isinstance(start_key, datetime)
    end_utc = start_key + s.duration
    return start_key, end_utc, original, start, local(end_utc, zone)


@attrs.frozen
class _Window:
    """A window in the terms of one zone: keys for timed and for all-day activities."""

    is_dates: bool
    timed_lo: datetime
    timed_hi: datetime
    day_lo: date
    day_hi: date

    @classmethod
    def of(cls, start: When, end: When, zone: ZoneInfo) -> _Window:
        if isinstance(start, datetime):
            assert isinstance(end, datetime)
            lo, hi = key_of(start), key_of(end)
            assert isinstance(lo, datetime)
            assert isinstance(hi, datetime)
            # Days a whole day either side; all-day occurrences are then compared as instants.
            day_lo = start.astimezone(zone).date() - _DAY
            day_hi = end.astimezone(zone).date() + _DAY
            return cls(False, lo, hi, day_lo, day_hi)
        assert not isinstance(end, datetime)
        return cls(True, _midnight_utc(start, zone), _midnight_utc(end, zone), start, end)


_DAY = timedelta(days=1)


def _expand_into(
    activity: Activity,
    window: _Window,
    limit: int,
    include_cancelled: bool,
    out: list[tuple[datetime, str, Occurrence]],
) -> bool:
    """Append ``(sort instant, activity id, occurrence)`` for the window; tell if cut."""
    s = _series(activity)
    zone = s.zone
    all_day = s.all_day
    exact_days = all_day and not window.is_dates
    lo: Key
    hi: Key
    if all_day:
        lo, hi = window.day_lo, window.day_hi
    else:
        lo, hi = window.timed_lo, window.timed_hi
    span_lo: Key = lo - s.duration
    ident = activity.id

    def place(key: Key, o: OccurrenceOverride | None) -> None:
        start_key, end_key, original, first, last = _occurrence(activity, s, key, o)
        if all_day:
            assert not isinstance(start_key, datetime)
            assert not isinstance(end_key, datetime)
            sort_at = _midnight_utc(start_key, zone)
            if exact_days:
                if not (
                    sort_at < window.timed_hi and _midnight_utc(end_key, zone) > window.timed_lo
                ):
                    return
            elif not (start_key < hi and end_key > lo):
                return
        else:
            assert isinstance(start_key, datetime)
            if not (start_key < hi and end_key > lo):
                return
            sort_at = start_key
        out.append((sort_at, ident, Occurrence(activity, original, first, last, o)))

    keys, truncated = s.keys(span_lo, hi, limit)
    overrides = s.overrides
    if not overrides and not all_day:
        # The common case, kept lean: a view expands thousands of these.
        duration = s.duration
        start_key = s.start_key
        offsets: dict[int, timedelta | None] = {}
        for key in keys:
            assert isinstance(key, datetime)
            end_key = key + duration
            if end_key <= lo:
                continue
            first = activity.start if key == start_key else _local(key, s, offsets)
            last = _local(end_key, s, offsets)
            out.append((key, ident, Occurrence(activity, first, first, last, None)))
        return truncated
    for key in keys:
        o = overrides.get(key)
        if o is not None and o.cancelled and not include_cancelled:
            continue
        place(key, o)
    # An edit may move an occurrence into the window from anywhere in the series.
    for key, o in overrides.items():
        if span_lo <= key < hi or (o.start is None and o.end is None):
            continue
        if o.cancelled and not include_cancelled:
            continue
        place(key, o)
    return truncated


def _local(utc: datetime, s: Series, offsets: dict[int, timedelta | None]) -> datetime:
    """:func:`local`, with a per-call cache of day offsets and without ``replace``.

    Adding to an aware datetime is wall-clock arithmetic, and several times
    cheaper than ``datetime.replace``; it is right whenever the day's offset
    is fixed, which the cache tells.
    """
    ordinal = utc.toordinal()
    try:
        off = offsets[ordinal]
    except KeyError:
        off = offsets[ordinal] = day_offset(s.zone, ordinal)
    if off is not None:
        wall = utc + off
        ordinal = wall.toordinal()
        try:
            off2 = offsets[ordinal]
        except KeyError:
            off2 = offsets[ordinal] = day_offset(s.zone, ordinal)
        if off2 == off:
            return s.aware_start + (wall - s.wall_start)
    return local(utc, s.zone)


def _sort_key(item: tuple[datetime, str, Occurrence]) -> tuple[datetime, str]:
    return item[0], item[1]


def expand(
    activity: Activity,
    start: When,
    end: When,
    *,
    limit: int = DEFAULT_LIMIT,
    include_cancelled: bool = False,
) -> Expansion:
    """The occurrences of ``activity`` that overlap ``[start, end)``, in start order.

    The window is two aware datetimes, or two dates (read as midnights in the
    activity's zone for a timed activity; compared as days for an all-day
    one). An occurrence overlaps when it starts before ``end`` and ends after
    ``start``. Cancelled single occurrences are left out unless
    ``include_cancelled``. At most ``limit`` occurrences come back; the
    :class:`Expansion` says whether the activity was cut.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from leadcore.calendar import Activity, Recurrence
    >>> tz = ZoneInfo("Europe/London")
    >>> standup = Activity(
    ...     id="a1", organization_id="o1", type_id="meeting", status_id="open",
    ...     title="Stand-up", responsible_user_id="u1", tz="Europe/London",
    ...     start=datetime(2026, 3, 27, 9, tzinfo=tz), end=datetime(2026, 3, 27, 9, 15, tzinfo=tz),
    ...     recurrence=Recurrence("FREQ=DAILY"),
    ... )
    >>> window = expand(standup, datetime(2026, 3, 28, tzinfo=tz), datetime(2026, 3, 31, tzinfo=tz))
    >>> [o.start.strftime("%d %H:%M %Z") for o in window.occurrences]
    ['28 09:00 GMT', '29 09:00 BST', '30 09:00 BST']
    """
    return expand_all([activity], start, end, limit=limit, include_cancelled=include_cancelled)


def expand_all(
    activities: Iterable[Activity],
    start: When,
    end: When,
    *,
    limit: int = DEFAULT_LIMIT,
    include_cancelled: bool = False,
) -> Expansion:
    """Every occurrence of ``activities`` overlapping the window, by start then activity id.

    The budget ``limit`` applies to each activity on its own.
    """
    _check_window(start, end)
    if not isinstance(limit, int) or limit < 0:
        raise ValidationError("the expansion budget is invalid", [f"limit: {limit!r} is negative"])
    windows: dict[str | None, _Window] = {}
    found: list[tuple[datetime, str, Occurrence]] = []
    truncated: set[str] = set()
    for activity in activities:
        zone = _series(activity).zone
        window = windows.get(zone.key)
        if window is None:
            window = windows[zone.key] = _Window.of(start, end, zone)
        if _expand_into(activity, window, limit, include_cancelled, found):
            truncated.add(activity.id)
    found.sort(key=_sort_key)
    return Expansion(tuple(item[2] for item in found), frozenset(truncated))


def split_series(activity: Activity, at: When, *, new_id: str) -> tuple[Activity, Activity]:
    """Split a series before the occurrence that originally starts at ``at``.

    Returns ``(head, tail)``: ``head`` is the series up to (not including)
    ``at``, ending by UNTIL; ``tail`` is a new series ``new_id`` starting at
    ``at`` with what is left of the rule (COUNT reduced by what ``head``
    keeps), and the exclusions, extra dates and edits from ``at`` on. A "this
    and following" edit applies its changes to ``tail``.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from leadcore.calendar import Activity, Recurrence
    >>> tz = ZoneInfo("Asia/Jerusalem")
    >>> weekly = Activity(
    ...     id="a1", organization_id="o1", type_id="meeting", status_id="open",
    ...     title="Review", responsible_user_id="u1", tz="Asia/Jerusalem",
    ...     start=datetime(2026, 1, 4, 10, tzinfo=tz), end=datetime(2026, 1, 4, 11, tzinfo=tz),
    ...     recurrence=Recurrence("FREQ=WEEKLY;COUNT=10"),
    ... )
    >>> head, tail = split_series(weekly, datetime(2026, 2, 1, 10, tzinfo=tz), new_id="a2")
    >>> head.recurrence.rule, tail.recurrence.rule, tail.start.date().isoformat()
    ('FREQ=WEEKLY;UNTIL=20260201T075959Z', 'FREQ=WEEKLY;COUNT=6', '2026-02-01')
    """
    rec = activity.recurrence
    where = f"split of activity {activity.id!r}"
    if rec is None or rec.rule is None:
        raise ValidationError(where, ["the activity has no recurrence rule to split"])
    s = _series(activity)
    problems = []
    if not isinstance(new_id, str) or not new_id.strip() or new_id == activity.id:
        problems.append(f"new_id: must be a new, non-empty id, got {new_id!r}")
    at_problem = None
    if s.all_day and (isinstance(at, datetime) or not isinstance(at, date)):
        at_problem = f"at: must be a date for an all-day series, got {at!r}"
    elif not s.all_day and (
        not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None
    ):
        at_problem = f"at: must be an aware datetime, got {at!r}"
    if at_problem is not None:
        raise ValidationError(where, [*problems, at_problem])
    key = key_of(at)
    step = timedelta(days=1) if s.all_day else timedelta(microseconds=1)
    if key == s.start_key:
        problems.append("at: is the first occurrence; change the whole series instead")
    elif not any(k == key for k in s.rule_keys(key, key + step)):
        problems.append(f"at: {at} is not an occurrence generated by the rule")
    if problems:
        raise ValidationError(where, problems)

    rule, _ = parse_rule(rec.rule)
    assert rule is not None
    zone = s.zone
    if s.all_day:
        until: datetime | date = key - timedelta(days=1)
    else:
        assert isinstance(key, datetime)
        until = (key - timedelta(seconds=1)).replace(tzinfo=UTC)
    head_rule = attrs.evolve(rule, count=None, until=until)
    tail_rule = rule
    if rule.count is not None:
        before = sum(1 for _ in s.rule_keys(s.start_key, key))
        tail_rule = attrs.evolve(rule, count=rule.count - before)

    def before_at(value: When) -> bool:
        return key_of(value) < key

    head = attrs.evolve(
        activity,
        recurrence=Recurrence(
            head_rule.text(),
            exdates=[x for x in rec.exdates if before_at(x)],
            rdates=[x for x in rec.rdates if before_at(x)],
            overrides=[o for o in rec.overrides if before_at(o.original_start)],
        ),
    )
    if s.all_day:
        new_start: When = key
        new_end: When = key + s.duration
    else:
        assert isinstance(key, datetime)
        new_start = key.replace(tzinfo=UTC).astimezone(zone)
        new_end = (key + s.duration).replace(tzinfo=UTC).astimezone(zone)
    tail = attrs.evolve(
        activity,
        id=new_id,
        start=new_start,
        end=new_end,
        version=1,
        recurrence=Recurrence(
            tail_rule.text(),
            exdates=[x for x in rec.exdates if not before_at(x)],
            rdates=[x for x in rec.rdates if not before_at(x)],
            overrides=[o for o in rec.overrides if not before_at(o.original_start)],
        ),
    )
    return head, tail
