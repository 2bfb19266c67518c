"""A recurring series compiled once: the rule in local wall time, keys, and fast iteration.

Occurrences are generated as naive *wall times* of the activity's zone (what
a person reads on the clock there), then turned into instants. Wall times
inside a daylight-saving gap do not exist and are skipped, and are not
counted towards COUNT (RFC 5545 section 3.3.10); ambiguous wall times take
their first instant (``fold=0``, RFC 5545 section 3.3.5).

Instants are handled internally as *keys*: naive UTC datetimes for timed
series (cheap to hash and compare) and dates for all-day series.

Expanding a window never iterates from the start of a long series: the rule
is restarted a whole number of periods before the window (its implicit parts,
such as the weekday of a weekly rule, made explicit first so the restart
cannot change them), and the common shapes (daily, weekly by weekday) are
computed arithmetically without dateutil at all.

Every run of dateutil starts at the *beginning of a period* (the first day of
a year or month, the WKST day of a week, midnight, the top of an hour), never
mid-period: dateutil builds its first weekly period from its start on, so
``BYSETPOS`` would pick among part of a week only. Starting at the period's
beginning gives every period the whole set RFC 5545 section 3.3.10 applies
``BYSETPOS`` to, and instances before the series' start are dropped after
that choice. So what comes out never depends on where a window falls.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Literal, TypeAlias
from zoneinfo import ZoneInfo

from dateutil import rrule as du

from leadcore._limits import load_zone
from leadcore.calendar._rule import Rule

if TYPE_CHECKING:
    from leadcore.calendar._model import OccurrenceOverride

__all__ = [
    "MAX_COUNT",
    "Key",
    "Series",
    "key_of",
    "load_zone",
    "wall_to_utc",
]

#: A point in a series: a naive UTC datetime (timed) or a date (all-day).
Key: TypeAlias = datetime | date

#: The largest COUNT accepted: resolving a COUNT walks every occurrence once.
MAX_COUNT = 100_000

_DU_FREQ: dict[str, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    "YEARLY": du.YEARLY,
    "MONTHLY": du.MONTHLY,
    "WEEKLY": du.WEEKLY,
    "DAILY": du.DAILY,
    "HOURLY": du.HOURLY,
    "MINUTELY": du.MINUTELY,
    "SECONDLY": du.SECONDLY,
}
_UNIT = {
    "WEEKLY": timedelta(weeks=1),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
    "SECONDLY": timedelta(seconds=1),
}
_ONE_DAY = timedelta(days=1)
_WALL_MARGIN = timedelta(hours=16)
_TICK = timedelta(microseconds=1)
# Windows up to this long take the one-loop path for weekly rules; the budget
# (below which a truncated answer is wanted) keeps longer ones on the lazy path.
_FAST_SPAN = timedelta(days=400)
_FAST_BATCH = 400
_EARLIEST = datetime(1, 1, 3)
_LATEST = datetime(9998, 12, 31)
# The Gregorian calendar repeats itself every 400 years (146,097 days, exactly
# 20,871 weeks), so a rule moved by a multiple of 400 years behaves the same.
_CYCLE_YEARS = 400
_PROBE_LAST_START_YEAR = 9999 - _CYCLE_YEARS


def wall_to_utc(wall: datetime, zone: tzinfo) -> datetime | None:
    """The naive UTC instant of naive ``wall`` in ``zone``; ``None`` in a DST gap.

    An ambiguous wall time (the repeated hour in autumn) gives its first instant.
    """
    off = zone.utcoffset(wall)
    assert off is not None
    other = zone.utcoffset(wall.replace(fold=1))
    if other is not None and other != off and off < other:
        return None
    return wall - off


# Offsets of whole days on which a zone does not change its offset, so that
# most conversions are one dictionary lookup instead of two zone queries.
_DAY_OFFSETS: dict[tuple[str, int], timedelta | None] = {}
_DAY_OFFSETS_MAX = 200_000
_NOON = timedelta(hours=12)


def day_offset(zone: ZoneInfo, ordinal: int) -> timedelta | None:
    """The UTC offset of ``zone`` all day long on day ``ordinal``; ``None`` if it changes."""
    cache_key = (zone.key, ordinal)
    try:
        return _DAY_OFFSETS[cache_key]
    except KeyError:
        pass
    value: timedelta | None = None
    if 1 < ordinal < _LATEST.toordinal():
        midnight = datetime.fromordinal(ordinal)
        probes = (midnight, midnight.replace(fold=1), midnight + _NOON, midnight + _ONE_DAY)
        offsets = {zone.utcoffset(p) for p in probes}
        offsets.add(zone.utcoffset(probes[-1].replace(fold=1)))
        if len(offsets) == 1:
            value = offsets.pop()
    if len(_DAY_OFFSETS) >= _DAY_OFFSETS_MAX:
        _DAY_OFFSETS.clear()
    _DAY_OFFSETS[cache_key] = value
    return value


def fast_wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime | None:
    """:func:`wall_to_utc`, from the day cache when the day has one offset."""
    off = day_offset(zone, wall.toordinal())
    if off is not None:
        return wall - off
    return wall_to_utc(wall, zone)


def local(utc: datetime, zone: ZoneInfo) -> datetime:
    """The naive UTC instant ``utc`` as an aware datetime in ``zone``."""
    off = day_offset(zone, utc.toordinal())
    if off is not None:
        wall = utc + off
        if day_offset(zone, wall.toordinal()) == off:
            return wall.replace(tzinfo=zone)
    return utc.replace(tzinfo=UTC).astimezone(zone)


def key_of(value: datetime | date) -> Key:
    """The key of an aware datetime (naive UTC) or of a date (itself)."""
    if isinstance(value, datetime):
        off = value.utcoffset()
        assert off is not None
        # ``combine`` of the naive parts is about twice as fast as ``replace``.
        return datetime.combine(value.date(), value.time()) - off
    return value


def _months(d: datetime) -> int:
    return d.year * 12 + d.month - 1


class Series:
    """One activity's occurrence pattern, compiled: rule, extra and excluded starts.

    Build with :meth:`compile`; expansion asks :meth:`keys` for the occurrence
    keys that start in a range.
    """

    __slots__ = (
        "_count_last",
        "_du",
        "_fast",
        "_jumps",
        "all_day",
        "aware_start",
        "count",
        "duration",
        "exdates",
        "overrides",
        "rdates",
        "rule",
        "start_key",
        "until_key",
        "wall_start",
        "zone",
    )

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        all_day: bool,
        wall_start: datetime,
        start_key: Key,
        duration: timedelta,
        rule: Rule | None,
        until_key: Key | None,
        exdates: frozenset[Key],
        rdates: tuple[Key, ...],
    ) -> None:
        self.zone = zone
        self.all_day = all_day
        self.wall_start = wall_start
        self.aware_start = wall_start.replace(tzinfo=zone)
        self.start_key = start_key
        self.duration = duration
        self.rule = rule
        self.until_key = until_key
        self.count = rule.count if rule is not None else None
        self.exdates = exdates
        self.rdates = rdates
        #: Single-occurrence edits by original key; set once the activity is validated.
        self.overrides: dict[Key, OccurrenceOverride] = {}
        self._count_last: Key | None = None
        self._jumps: dict[int, du.rrule] = {}
        self._fast: tuple[str, int, int, frozenset[int]] | None = None
        self._du: du.rrule | None = None
        if rule is not None:
            self._fast = _fast_shape(rule, wall_start)
            if self._fast is None:
                try:
                    self._du = self._make_rrule(self._period_start(0))
                except ValueError:
                    # dateutil proves some hour/minute/second combinations empty
                    # (FREQ=HOURLY;INTERVAL=2;BYHOUR=1 from an even hour).
                    self._du = None

    # -- construction helpers -------------------------------------------------

    def _make_rrule(self, dtstart: datetime) -> du.rrule:
        rule = self.rule
        assert rule is not None
        ws = self.wall_start
        bymonth = rule.bymonth
        bymonthday = rule.bymonthday
        byweekday = tuple(du.weekday(d.weekday, d.n) for d in rule.byday)
        if not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday):
            # The parts a rule takes from its start, made explicit so that a
            # rule restarted later in the series keeps them.
            if rule.freq == "YEARLY":
                bymonth = bymonth or (ws.month,)
                bymonthday = (ws.day,)
            elif rule.freq == "MONTHLY":
                bymonthday = (ws.day,)
            elif rule.freq == "WEEKLY":
                byweekday = (du.weekday(ws.weekday()),)
        fine = ("HOURLY", "MINUTELY", "SECONDLY")
        byhour = rule.byhour or (() if rule.freq in fine else (ws.hour,))
        byminute = rule.byminute or (() if rule.freq in fine[1:] else (ws.minute,))
        bysecond = rule.bysecond or (() if rule.freq == "SECONDLY" else (ws.second,))
        return du.rrule(
            _DU_FREQ[rule.freq],
            dtstart=dtstart,
            interval=rule.interval,
            wkst=rule.wkst,
            bysetpos=rule.bysetpos or None,
            bymonth=bymonth or None,
            bymonthday=bymonthday or None,
            byyearday=rule.byyearday or None,
            byweekno=rule.byweekno or None,
            byweekday=byweekday or None,
            byhour=byhour or None,
            byminute=byminute or None,
            bysecond=bysecond or None,
        )

    def _period_start(self, k: int) -> datetime:
        """The beginning of the ``k``-th active period of the rule (0: the start's).

        Periods are whole years, months, weeks (from the WKST day), days,
        hours, minutes or seconds of wall time; a rule with ``INTERVAL=n``
        is active in every ``n``-th one, counted from the start's.
        """
        rule = self.rule
        assert rule is not None
        ws = self.wall_start
        steps = k * rule.interval
        if rule.freq == "YEARLY":
            return datetime(ws.year + steps, 1, 1)
        if rule.freq == "MONTHLY":
            year, month0 = divmod(_months(ws) + steps, 12)
            return datetime(year, month0 + 1, 1)
        if rule.freq == "WEEKLY":
            day = datetime(ws.year, ws.month, ws.day)
            back = (ws.weekday() - rule.wkst) % 7 * _ONE_DAY
            # In the first days of year 1 the week began before the calendar did.
            first = day - back if day - datetime.min >= back else datetime.min
        elif rule.freq == "DAILY":
            first = datetime(ws.year, ws.month, ws.day)
        elif rule.freq == "HOURLY":
            first = ws.replace(minute=0, second=0, microsecond=0)
        elif rule.freq == "MINUTELY":
            first = ws.replace(second=0, microsecond=0)
        else:
            first = ws.replace(microsecond=0)
        return first + _UNIT[rule.freq] * steps

    # -- checks used by validation --------------------------------------------

    def rule_problems(self) -> list[str]:
        """Why the rule can never produce an occurrence, or ends before it starts."""
        rule = self.rule
        if rule is None:
            return []
        problems: list[str] = []
        if rule.count is not None and rule.count > MAX_COUNT:
            problems.append(f"COUNT={rule.count} is above the limit of {MAX_COUNT:,}")
        first = self._first_wall()
        if first is None:
            return [
                *problems,
                f"{rule.text()} can never produce an occurrence "
                f"(none within {_CYCLE_YEARS} years of the start)",
            ]
        # A start the rule does not produce is still an occurrence (RFC 5545 3.8.5.3),
        # as in the RFC's own "Friday the 13th" example; COUNT counts the rule's only.
        if self.until_key is not None and self.until_key < self.start_key:
            problems.append("UNTIL is before the start: the series would have no occurrence")
        return problems

    def _first_wall(self) -> datetime | None:
        if self._fast is not None:
            # Within one cycle of ``interval`` weeks every weekday has come round.
            horizon = self.wall_start + timedelta(weeks=7 * self._fast[1] + 1)
            return next(self._fast_walls(self.wall_start, horizon), None)
        rule = self.rule
        assert rule is not None
        if self._du is None:
            return None
        ws = self.wall_start
        shift = max(0, (_PROBE_LAST_START_YEAR - ws.year) // _CYCLE_YEARS) * _CYCLE_YEARS
        if rule.has_day_filter and not any(d.n for d in rule.byday):
            # Days alone: one iteration a year, so an impossible day (30 February)
            # is found at once instead of after a day-by-day scan.
            probe_days = du.rrule(
                du.YEARLY,
                dtstart=datetime(ws.year + shift, 1, 1),
                bymonth=rule.bymonth or None,
                bymonthday=rule.bymonthday or None,
                byyearday=rule.byyearday or None,
                byweekno=rule.byweekno or None,
                byweekday=tuple(d.weekday for d in rule.byday) or None,
                wkst=rule.wkst,
            )
            if next(iter(probe_days), None) is None:
                return None
        try:
            first = self._period_start(0)
            probe = self._du.replace(dtstart=first.replace(year=first.year + shift))
            if next(probe.xafter(ws.replace(year=ws.year + shift), inc=True), None) is None:
                return None
        except ValueError:
            # dateutil proves some impossible hour/minute/second combinations itself.
            return None
        return ws

    # -- iteration --------------------------------------------------------------

    def _fast_walls(self, lo: datetime, hi: datetime) -> Iterator[datetime]:
        # Day arithmetic on ordinals; datetimes are built only for what is yielded.
        assert self._fast is not None
        kind, interval, wkst, days = self._fast
        ws = self.wall_start
        start_ord = ws.toordinal()
        clock = ws - datetime.fromordinal(start_ord)
        first = max(lo.toordinal(), start_ord)
        last = hi.toordinal()
        fromordinal = datetime.fromordinal
        if kind == "DAILY":
            d = first + (-(first - start_ord)) % interval
            while d <= last:
                if not days or (d % 7 + 6) % 7 in days:
                    wall = fromordinal(d) + clock
                    if lo <= wall <= hi:
                        yield wall
                d += interval
            return
        # WEEKLY: weeks begin on WKST; only every ``interval``-th week is active.
        week0 = start_ord - (ws.weekday() - wkst) % 7
        offsets = sorted((wd - wkst) % 7 for wd in days)
        week_index = (first - week0) // 7
        week = week0 + (week_index - week_index % interval) * 7
        step = interval * 7
        while week <= last:
            for off in offsets:
                d = week + off
                if d < start_ord:
                    continue
                if d > last:
                    return
                wall = fromordinal(d) + clock
                if lo <= wall <= hi:
                    yield wall
            week += step

    def _restarted(self, lo: datetime) -> du.rrule:
        """The rule restarted a whole number of periods before wall time ``lo``."""
        rule = self.rule
        assert rule is not None
        assert self._du is not None
        ws = self.wall_start
        n = rule.interval
        if rule.freq == "YEARLY":
            k = (lo.year - 1 - ws.year) // n
        elif rule.freq == "MONTHLY":
            k = (_months(lo) - _months(ws)) // n
        else:
            k = (lo - self._period_start(0)) // (_UNIT[rule.freq] * n)
        if k <= 0:
            return self._du
        cached = self._jumps.get(k)
        if cached is not None:
            return cached
        restarted = self._make_rrule(self._period_start(k))
        if len(self._jumps) > 8:
            self._jumps.clear()
        self._jumps[k] = restarted
        return restarted

    def walls(self, lo: datetime, hi: datetime) -> Iterator[datetime]:
        """Rule-generated wall times in ``[lo, hi]``, in order (gaps not yet removed)."""
        if self.rule is None:
            return iter(())
        if self._fast is not None:
            return self._fast_walls(lo, hi)
        return self._between(self._restarted(lo), lo, hi)

    @staticmethod
    def _between(rule: du.rrule, lo: datetime, hi: datetime) -> Iterator[datetime]:
        for wall in rule.xafter(lo, inc=True):
            if wall > hi:
                return
            yield wall

    def _key(self, wall: datetime) -> Key | None:
        if self.all_day:
            return wall.date()
        if wall == self.wall_start:
            return self.start_key
        return fast_wall_to_utc(wall, self.zone)

    def _wall_bounds(self, lo: Key, hi: Key) -> tuple[datetime, datetime]:
        if self.all_day:
            assert not isinstance(lo, datetime)
            assert not isinstance(hi, datetime)
            return datetime.combine(lo, datetime.min.time()), datetime.combine(
                hi, datetime.min.time()
            )
        assert isinstance(lo, datetime)
        assert isinstance(hi, datetime)
        lo = max(lo, _EARLIEST)
        hi = min(hi, _LATEST)
        # Wall time is within 16 hours of UTC in every zone, ever; keys filter exactly.
        return lo - _WALL_MARGIN, hi + _WALL_MARGIN

    def last_key(self) -> Key | None:
        """The last key the rule allows (UNTIL, or the COUNT-th occurrence), if any."""
        if self.count is None:
            return self.until_key
        if self._count_last is None:
            produced = 0
            last: Key | None = None
            walls = self.walls(self.wall_start, _LATEST)
            for wall in walls:
                key = self._key(wall)
                if key is None:
                    continue
                last = key
                produced += 1
                if produced >= self.count:
                    break
            self._count_last = last if last is not None else self.start_key
        return self._count_last

    def rule_keys(self, lo: Key, hi: Key) -> Iterator[Key]:
        """Keys the rule generates in ``[lo, hi)``, in order, gaps skipped."""
        if self.rule is None:
            return
        end = self.last_key()
        if end is not None and end < lo:
            return
        if end is not None and end < hi:
            # Past the end nothing more can come: stop at it, not at the window's end.
            hi = end + (_ONE_DAY if self.all_day else _TICK)
        lo_wall, hi_wall = self._wall_bounds(lo, hi)
        if lo_wall < self.wall_start:
            lo_wall = self.wall_start
        if self.all_day:
            for wall in self.walls(lo_wall, hi_wall):
                day = wall.date()
                if day >= hi:
                    return
                if day >= lo:
                    yield day
            return
        zone = self.zone
        start_wall = self.wall_start
        offsets: dict[int, timedelta | None] = {}
        for wall in self.walls(lo_wall, hi_wall):
            ordinal = wall.toordinal()
            try:
                off = offsets[ordinal]
            except KeyError:
                off = offsets[ordinal] = day_offset(zone, ordinal)
            if wall == start_wall:
                key: Key | None = self.start_key
            elif off is not None:
                key = wall - off
            else:
                key = wall_to_utc(wall, zone)
                if key is None:
                    continue
            assert key is not None
            if key >= hi:
                return
            if key >= lo:
                yield key

    def _fast_weekly_keys(self, lo: Key, hi: Key) -> list[Key] | None:
        """Keys of a plain timed weekly rule in ``[lo, hi)``, in one tight loop.

        ``None`` when the rule is not of that shape, or the window is long
        enough that the general path (which stops at the budget) is better.
        """
        fast = self._fast
        if fast is None or fast[0] != "WEEKLY" or self.all_day:
            return None
        assert isinstance(lo, datetime)
        assert isinstance(hi, datetime)
        end = self.last_key()
        if end is not None:
            assert isinstance(end, datetime)
            if end < lo:
                return []
            if end < hi:
                hi = end + _TICK
        if hi - lo > _FAST_SPAN:
            return None
        _, interval, wkst, days = fast
        ws = self.wall_start
        start_ord = ws.toordinal()
        clock = ws - datetime.fromordinal(start_ord)
        first = max((lo - _WALL_MARGIN).toordinal(), start_ord)
        last = (hi + _WALL_MARGIN).toordinal()
        week0 = start_ord - (ws.weekday() - wkst) % 7
        offsets = sorted((wd - wkst) % 7 for wd in days)
        week_index = (first - week0) // 7
        week = week0 + (week_index - week_index % interval) * 7
        step = interval * 7
        zone = self.zone
        start_key = self.start_key
        found: list[Key] = []
        fromordinal = datetime.fromordinal
        while week <= last:
            for off in offsets:
                d = week + off
                if d < start_ord or d > last:
                    continue
                wall = fromordinal(d) + clock
                if d == start_ord and wall == ws:
                    key: datetime | None = start_key  # type: ignore[assignment]
                else:
                    offset = day_offset(zone, d)
                    key = wall - offset if offset is not None else wall_to_utc(wall, zone)
                if key is not None and lo <= key < hi:
                    found.append(key)
            week += step
        return found

    def keys(self, lo: Key, hi: Key, limit: int | None = None) -> tuple[list[Key], bool]:
        """Occurrence keys (rule and extra dates, less exclusions) starting in ``[lo, hi)``.

        At most ``limit`` keys come back; the flag tells whether more were left out.
        """
        found: list[Key] = []
        truncated = False
        fast = self._fast_weekly_keys(lo, hi) if limit is None or limit >= _FAST_BATCH else None
        for k in fast if fast is not None else self.rule_keys(lo, hi):
            if k in self.exdates:
                continue
            if limit is not None and len(found) >= limit:
                truncated = True
                break
            found.append(k)
        cutoff = found[-1] if truncated and found else None
        extra = [k for k in self.rdates if lo <= k < hi and k not in self.exdates]
        start = self.start_key
        if lo <= start < hi and start not in self.exdates:
            # The start is always an occurrence, also of a series of extra dates only.
            extra.append(start)
        if cutoff is not None:
            extra = [k for k in extra if k <= cutoff]
        if extra:
            found = sorted(set(found).union(extra))
            if limit is not None and len(found) > limit:
                found, truncated = found[:limit], True
        return found, truncated

    def contains(self, key: Key) -> bool:
        """Whether ``key`` is an occurrence (excluded ones included)."""
        step = timedelta(days=1) if self.all_day else timedelta(microseconds=1)
        if key == self.start_key or key in self.rdates:
            return True
        return any(k == key for k in self.rule_keys(key, key + step))


def _fast_shape(rule: Rule, ws: datetime) -> tuple[str, int, int, frozenset[int]] | None:
    """``(freq, interval, wkst, weekdays)`` for rules computed without dateutil."""
    if rule.freq not in ("DAILY", "WEEKLY"):
        return None
    if (
        rule.bysecond
        or rule.byminute
        or rule.byhour
        or rule.bymonthday
        or rule.byyearday
        or rule.byweekno
        or rule.bymonth
        or rule.bysetpos
        or any(d.n is not None for d in rule.byday)
    ):
        return None
    days = frozenset(d.weekday for d in rule.byday)
    if rule.freq == "WEEKLY" and not days:
        days = frozenset({ws.weekday()})
    return rule.freq, rule.interval, rule.wkst, days


def sorted_keys(values: Sequence[Key]) -> tuple[Key, ...]:
    """Sorted, without duplicates."""
    return tuple(sorted(set(values)))
