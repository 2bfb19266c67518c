"""Strategies for calendars: recurrence rules, activities, and series that cross a DST change."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

if TYPE_CHECKING:
    from leadcore.calendar import Activity, Recurrence

__all__ = [
    "DST_ZONES",
    "TIME_ZONES",
    "activities",
    "dst_changes",
    "recurrence_rules",
    "recurrences",
]

#: Zones :func:`activities` draws from by default: with and without daylight saving time.
TIME_ZONES: tuple[str, ...] = (
    "UTC",
    "Asia/Jerusalem",
    "Europe/Bucharest",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Tokyo",
)
#: Zones with daylight saving time, for ``activities(dst_crossing=True)``.
DST_ZONES: tuple[str, ...] = (
    "Asia/Jerusalem",
    "Europe/Bucharest",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_FIRST_DAY = date(2026, 1, 1)
_LAST_DAY = date(2027, 12, 31)


@functools.cache
def dst_changes(zone: str, year: int) -> tuple[date, ...]:
    """The days of ``year`` on which ``zone`` changes its UTC offset (DST starts or ends).

    >>> dst_changes("Europe/Bucharest", 2026)
    (datetime.date(2026, 3, 29), datetime.date(2026, 10, 25))
    >>> dst_changes("Asia/Tokyo", 2026)
    ()
    """
    tz = ZoneInfo(zone)
    changes = []
    day = date(year, 1, 1)
    # Offsets are compared a day apart at 23:00 local, after any change of the day.
    before = datetime.combine(day - timedelta(days=1), time(23), tz).utcoffset()
    while day.year == year:
        after = datetime.combine(day, time(23), tz).utcoffset()
        if after != before:
            changes.append(day)
        before = after
        day += timedelta(days=1)
    return tuple(changes)


def _count_or_nothing(max_count: int) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), st.integers(1, max_count).map(lambda n: f";COUNT={n}"))


def _interval() -> st.SearchStrategy[str]:
    return st.sampled_from(["", ";INTERVAL=2", ";INTERVAL=3"])


def _days() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_WEEKDAYS), min_size=1, max_size=3, unique=True).map(
        lambda days: ";BYDAY=" + ",".join(days)
    )


def recurrence_rules(*, max_count: int = 60) -> st.SearchStrategy[str]:
    """Draw RFC 5545 ``RRULE`` text that :func:`~leadcore.calendar.parse_rule` accepts.

    Daily, weekly (on some weekdays), monthly (on a day of the month, or a
    numbered weekday such as ``-1FR``) and yearly rules, with an interval and
    a ``COUNT`` of at most ``max_count``, or no end.

    >>> from hypothesis import find
    >>> find(recurrence_rules(), lambda r: "BYDAY" in r)
    'FREQ=WEEKLY;BYDAY=MO'
    """
    if max_count < 1:
        raise InvalidArgument(f"max_count={max_count}: must be 1 or more")
    ends = _count_or_nothing(max_count)
    daily = st.tuples(st.just("FREQ=DAILY"), _interval(), ends)
    weekly = st.tuples(st.just("FREQ=WEEKLY"), _interval(), ends, st.just("") | _days())
    ordinal = st.sampled_from(["1", "2", "3", "4", "-1"])
    monthly_day = st.integers(1, 28).map(lambda d: f";BYMONTHDAY={d}")
    monthly_weekday = st.builds(
        lambda n, day: f";BYDAY={n}{day}", ordinal, st.sampled_from(_WEEKDAYS)
    )
    monthly = st.tuples(
        st.just("FREQ=MONTHLY"), _interval(), ends, st.just("") | monthly_day | monthly_weekday
    )
    yearly = st.tuples(st.just("FREQ=YEARLY"), st.just(""), ends)
    return st.one_of(weekly, daily, monthly, yearly).map("".join)


def recurrences(*, max_count: int = 60) -> st.SearchStrategy[Recurrence]:
    """Draw a :class:`~leadcore.calendar.Recurrence` made of one rule of :func:`recurrence_rules`.

    >>> from hypothesis import find
    >>> find(recurrences(), lambda r: "DAILY" in r.rule).rule
    'FREQ=DAILY'
    """
    from leadcore.calendar import Recurrence

    return st.builds(Recurrence, recurrence_rules(max_count=max_count))


_TITLES = ("Discovery call", "Demo", "Pipeline review", "פגישת היכרות", "Întâlnire", "Follow-up")


@st.composite
def _start_and_recurrence(
    draw: st.DrawFn, zones: Sequence[str], recurring: bool | None, dst_crossing: bool
) -> tuple[str, datetime, Recurrence | None]:
    from leadcore.calendar import Recurrence

    if dst_crossing:
        choices = [(z, d) for z in zones for y in (2026, 2027) for d in dst_changes(z, y)]
        zone, change = draw(st.sampled_from(choices))
        days_before = draw(st.integers(1, 21))
        day = change - timedelta(days=days_before)
        # Any hour: 02:30 and 01:30 meet the skipped and repeated hours of the change day.
        wall = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
        start = datetime.combine(day, wall, ZoneInfo(zone))
        if draw(st.booleans()):
            extra = draw(st.integers(2, 14))  # the last occurrence falls after the change day
            rule = f"FREQ=DAILY;COUNT={days_before + extra}"
        else:
            weeks = days_before // 7 + 1 + draw(st.integers(0, 4))
            rule = f"FREQ=WEEKLY;COUNT={weeks + 1}"
        if draw(st.booleans()):
            # The same span, ended by UNTIL instead of COUNT.
            count = int(rule.rsplit("=", 1)[1])
            step = timedelta(days=1 if "DAILY" in rule else 7)
            last = (start + step * (count - 1)).astimezone(UTC)
            rule = rule.split(";COUNT")[0] + f";UNTIL={last:%Y%m%dT%H%M%SZ}"
        return zone, start, Recurrence(rule)
    zone = draw(st.sampled_from(list(zones)))
    day = draw(st.dates(min_value=_FIRST_DAY, max_value=_LAST_DAY))
    wall = time(draw(st.integers(7, 19)), draw(st.sampled_from([0, 15, 30, 45])))
    start = datetime.combine(day, wall, ZoneInfo(zone))
    repeat = draw(st.booleans()) if recurring is None else recurring
    return zone, start, draw(recurrences()) if repeat else None


@st.composite
def activities(
    draw: st.DrawFn,
    *,
    organization_id: str = "org-1",
    user_ids: Sequence[str] = ("user-1", "user-2", "user-3"),
    zones: Sequence[str] = TIME_ZONES,
    recurring: bool | None = None,
    dst_crossing: bool = False,
) -> Activity:
    """Draw a valid timed activity of ``organization_id`` among ``user_ids``.

    The responsible user and the other users come from ``user_ids``; the
    activity lives in one of ``zones``, starts on a quarter hour between
    2026 and 2027 and lasts 15 minutes to 3 hours. ``recurring`` forces a
    recurrence on (``True``) or off (``False``).

    ``dst_crossing=True`` draws a daily or weekly series in a zone of
    ``zones`` that has daylight saving time (default :data:`DST_ZONES`
    when ``zones`` has none), starting up to three weeks before a change of
    offset and repeating past it, at any hour (including the hours a change
    skips or repeats), ended by ``COUNT`` or ``UNTIL``.

    >>> from hypothesis import find
    >>> a = find(activities(dst_crossing=True), lambda a: True)
    >>> a.tz, a.recurrence.rule
    ('Asia/Jerusalem', 'FREQ=WEEKLY;COUNT=2')
    """
    from leadcore.calendar import Activity, ClientRef

    users = list(dict.fromkeys(user_ids))
    if not users:
        raise InvalidArgument("user_ids: give at least one user id")
    if dst_crossing:
        if recurring is False:
            raise InvalidArgument(
                "dst_crossing=True draws series: it needs recurring to be allowed"
            )
        with_dst = [z for z in zones if dst_changes(z, 2026)]
        zones = with_dst or DST_ZONES
    elif not zones:
        raise InvalidArgument("zones: give at least one time zone")
    zone, start, recurrence = draw(_start_and_recurrence(zones, recurring, dst_crossing))
    responsible = draw(st.sampled_from(users))
    others = [u for u in users if u != responsible]
    more = draw(st.lists(st.sampled_from(others), unique=True, max_size=3)) if others else []
    client = draw(
        st.none() | st.builds(ClientRef, st.just("lead"), st.sampled_from(["lead-1", "lead-2"]))
    )
    minutes = draw(st.integers(1, 12)) * 15
    return Activity(
        id=f"act-{draw(st.integers(1, 10_000))}",
        organization_id=organization_id,
        type_id=draw(st.sampled_from(["meeting", "call", "demo"])),
        status_id="scheduled",
        title=draw(st.sampled_from(_TITLES)),
        responsible_user_id=responsible,
        user_ids=more,
        client=client,
        start=start,
        end=start + timedelta(minutes=minutes),
        tz=zone,
        recurrence=recurrence,
    )
