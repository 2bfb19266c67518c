"""An RFC 5545 recurrence evaluator written straight from section 3.3.10, for tests.

It uses neither dateutil nor recurring-ical-events, and trades speed for
plainness: it walks the rule's periods one by one from DTSTART (every
INTERVAL-th year, month, week from its WKST day, day, hour, minute or
second), and in each period

1. builds the set of candidate days: every day of the period that meets
   every BYxxx day part given (BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY,
   BYDAY, numbered BYDAY counted within the month, or the year when a
   YEARLY rule has no BYMONTH), the parts the rule leaves out taken from
   DTSTART as the RFC says (the month and day of a plain YEARLY rule, the
   day of a plain MONTHLY one, the weekday of a plain WEEKLY one);
2. crosses them with the times (BYHOUR, BYMINUTE, BYSECOND, else those of
   DTSTART; in an HOURLY, MINUTELY or SECONDLY period its own hour, minute
   or second, which BYxxx then only limits);
3. applies BYSETPOS to that whole, sorted set;
4. drops what is before DTSTART and local times that do not exist (a
   daylight-saving gap: "invalid date or nonexistent local time", not
   counted), reads a repeated local time as its first instant, and stops at
   COUNT or after UNTIL.

DTSTART is always an occurrence; COUNT counts what the rule generates (the
RFC leaves a DTSTART the rule does not generate undefined). Timed values are
naive wall times of ``zone``; occurrences come back as aware UTC instants.
All-day values are dates and come back as dates.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "OracleRule",
    "all_day_occurrences",
    "exists",
    "first_instant",
    "generated_walls",
    "occurrences",
    "parse",
    "timed_occurrences",
]

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class OracleRule:
    """A rule's parts, as written (lists in any order, numbers signed)."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: str | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    #: ``(ordinal or 0, weekday 0 = Monday)``
    byday: tuple[tuple[int, int], ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0


def parse(text: str) -> OracleRule:
    """Read ``FREQ=...;...`` (valid input assumed: this is a test oracle)."""
    parts = dict(p.split("=", 1) for p in text.removeprefix("RRULE:").split(";") if p)

    def ints(name: str) -> tuple[int, ...]:
        return tuple(int(v) for v in parts[name].split(",")) if name in parts else ()

    byday = []
    for item in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        byday.append((int(item[:-2]) if item[:-2] else 0, WEEKDAYS.index(item[-2:])))
    return OracleRule(
        freq=parts["FREQ"],
        interval=int(parts.get("INTERVAL", "1")),
        count=int(parts["COUNT"]) if "COUNT" in parts else None,
        until=parts.get("UNTIL"),
        bysecond=ints("BYSECOND"),
        byminute=ints("BYMINUTE"),
        byhour=ints("BYHOUR"),
        byday=tuple(byday),
        bymonthday=ints("BYMONTHDAY"),
        byyearday=ints("BYYEARDAY"),
        byweekno=ints("BYWEEKNO"),
        bymonth=ints("BYMONTH"),
        bysetpos=ints("BYSETPOS"),
        wkst=WEEKDAYS.index(parts.get("WKST", "MO")),
    )


# -- local time ---------------------------------------------------------------------


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether the naive wall time ``wall`` is shown by a clock in ``zone`` at all."""
    there = wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
    return there.replace(tzinfo=None) == wall


def first_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of an existing wall time; the first of two in a repeated hour."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


# -- the days of a period ---------------------------------------------------------------


def _week_one(year: int, wkst: int) -> date:
    """The first day of week 1 of ``year``: the first week with four days in the year."""
    jan1 = date(year, 1, 1)
    back = (jan1.weekday() - wkst) % 7
    return jan1 - timedelta(days=back) if back <= 3 else jan1 + timedelta(days=7 - back)


def _week_number(day: date, wkst: int) -> tuple[int, int]:
    """``(week number, weeks in that year)`` of ``day`` in its own year."""
    start, after = _week_one(day.year, wkst), _week_one(day.year + 1, wkst)
    weeks = (after - start).days // 7
    if day < start:
        return 0, weeks  # in the previous year's last week: never asked for here
    if day >= after:
        return weeks + 1, weeks  # in the next year's first week
    return (day - start).days // 7 + 1, weeks


def _nth_weekday(day: date, within_year: bool) -> tuple[int, int]:
    """``(n, -m)``: ``day`` is the n-th and the m-th-to-last of its weekday in its month/year."""
    if within_year:
        first, last = date(day.year, 1, 1), date(day.year, 12, 31)
    else:
        first = day.replace(day=1)
        last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return (day - first).days // 7 + 1, -((last - day).days // 7 + 1)


def _day_ok(day: date, rule: OracleRule, start: date) -> bool:
    """Whether ``day`` meets every day part of ``rule`` (implicit ones from ``start``)."""
    bymonth, bymonthday, byday = rule.bymonth, rule.bymonthday, rule.byday
    no_day_parts = not (rule.byweekno or rule.byyearday or rule.bymonthday or rule.byday)
    if rule.freq == "YEARLY" and no_day_parts:
        bymonthday = (start.day,)
        if not bymonth:
            bymonth = (start.month,)
    elif (
        rule.freq == "YEARLY"
        and rule.byweekno
        and not (rule.byyearday or rule.bymonthday or rule.byday)
    ):
        byday = ((0, start.weekday()),)
    elif rule.freq == "MONTHLY" and not (rule.bymonthday or rule.byday):
        bymonthday = (start.day,)
    elif rule.freq == "WEEKLY" and not rule.byday:
        byday = ((0, start.weekday()),)
    if bymonth and day.month not in bymonth:
        return False
    if rule.byweekno:
        number, weeks = _week_number(day, rule.wkst)
        if not any(n == number or weeks + 1 + n == number for n in rule.byweekno):
            return False
    if rule.byyearday:
        ordinal = day.timetuple().tm_yday
        length = 366 if calendar.isleap(day.year) else 365
        if not any(n == ordinal or length + 1 + n == ordinal for n in rule.byyearday):
            return False
    if bymonthday:
        length = calendar.monthrange(day.year, day.month)[1]
        if not any(n == day.day or length + 1 + n == day.day for n in bymonthday):
            return False
    if byday:
        within_year = rule.freq == "YEARLY" and not rule.bymonth
        nth, nth_last = _nth_weekday(day, within_year)
        if not any(wd == day.weekday() and (n == 0 or n in (nth, nth_last)) for n, wd in byday):
            return False
    return True


def _period_days(rule: OracleRule, first: datetime) -> Iterator[date]:
    """Every day of the period beginning at ``first``."""
    day = first.date()
    if rule.freq == "YEARLY":
        end = date(day.year + 1, 1, 1)
    elif rule.freq == "MONTHLY":
        end = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    elif rule.freq == "WEEKLY":
        end = day + timedelta(days=7)
    else:
        end = day + _ONE_DAY
    while day < end:
        yield day
        day += _ONE_DAY


def _period_set(rule: OracleRule, first: datetime, start: datetime) -> list[datetime]:
    """The sorted candidates of the period beginning at ``first``, BYSETPOS applied."""
    hours = rule.byhour or (start.hour,)
    minutes = rule.byminute or (start.minute,)
    seconds = rule.bysecond or (start.second,)
    if rule.freq in ("HOURLY", "MINUTELY", "SECONDLY"):
        # The period's own hour (minute, second); BYxxx of that size or coarser only limit it.
        if rule.byhour and first.hour not in rule.byhour:
            return []
        hours = (first.hour,)
        if rule.freq in ("MINUTELY", "SECONDLY"):
            if rule.byminute and first.minute not in rule.byminute:
                return []
            minutes = (first.minute,)
        if rule.freq == "SECONDLY":
            if rule.bysecond and first.second not in rule.bysecond:
                return []
            seconds = (first.second,)
    found = sorted(
        datetime.combine(day, time(h, m, s))
        for day in _period_days(rule, first)
        if _day_ok(day, rule, start.date())
        for h in set(hours)
        for m in set(minutes)
        for s in set(seconds)
    )
    if not rule.bysetpos:
        return found
    picked = set()
    for pos in rule.bysetpos:
        index = pos - 1 if pos > 0 else len(found) + pos
        if 0 <= index < len(found):
            picked.add(found[index])
    return sorted(picked)


def _period_start(rule: OracleRule, start: datetime, k: int) -> datetime:
    """The beginning of the ``k``-th period (every INTERVAL-th) from the one of ``start``."""
    n = k * rule.interval
    if rule.freq == "YEARLY":
        return datetime(start.year + n, 1, 1)
    if rule.freq == "MONTHLY":
        year, month = divmod(start.month - 1 + n, 12)
        return datetime(start.year + year, month + 1, 1)
    day = datetime.combine(start.date(), time())
    if rule.freq == "WEEKLY":
        return day - timedelta(days=(start.weekday() - rule.wkst) % 7) + timedelta(weeks=n)
    if rule.freq == "DAILY":
        return day + timedelta(days=n)
    if rule.freq == "HOURLY":
        return start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=n)
    if rule.freq == "MINUTELY":
        return start.replace(second=0, microsecond=0) + timedelta(minutes=n)
    return start.replace(microsecond=0) + timedelta(seconds=n)


# -- the whole series ---------------------------------------------------------------------


def _until_instant(text: str, zone: ZoneInfo) -> datetime:
    """A timed series' UNTIL as a UTC instant (a date: the end of that local day)."""
    if "T" not in text:
        day = datetime.strptime(text, "%Y%m%d").date() + _ONE_DAY
        return first_instant(datetime.combine(day, time()), zone) - timedelta(seconds=1)
    if text.endswith("Z"):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return first_instant(datetime.strptime(text, "%Y%m%dT%H%M%S"), zone)


def _until_date(text: str) -> date:
    return datetime.strptime(text[:8], "%Y%m%d").date()


def occurrences(
    start: datetime | date,
    rule_text: str | None,
    zone: ZoneInfo,
    horizon: datetime | date,
    *,
    exdates: Iterable[datetime | date] = (),
    rdates: Iterable[datetime | date] = (),
) -> list[datetime] | list[date]:
    """Occurrence starts of a series up to ``horizon`` (included), in order.

    ``start`` is DTSTART: an aware datetime (read in ``zone``) or a date
    (all-day); ``horizon``, ``exdates`` and ``rdates`` are of the same kind.
    Timed occurrences come back as aware UTC instants, all-day ones as dates.
    """
    if isinstance(start, datetime):
        wall_start = start.astimezone(zone).replace(tzinfo=None, fold=0)
        start_at: datetime | None = start.astimezone(UTC)
        assert isinstance(horizon, datetime)
        # Wall time is within a day of the instant in every zone; instants decide below.
        wall_horizon = horizon.astimezone(zone).replace(tzinfo=None) + _ONE_DAY
    else:
        wall_start = datetime.combine(start, time())
        start_at = None
        assert not isinstance(horizon, datetime)
        wall_horizon = datetime.combine(horizon, time())
    all_day = start_at is None
    found: list[datetime] = []
    if rule_text is not None:
        rule = parse(rule_text)
        until_at = None
        until_day = None
        if rule.until is not None:
            if all_day:
                until_day = _until_date(rule.until)
            else:
                until_at = _until_instant(rule.until, zone)
        produced = 0
        k = 0
        done = False
        while not done:
            first = _period_start(rule, wall_start, k)
            if first > wall_horizon:
                break
            k += 1
            for wall in _period_set(rule, first, wall_start):
                if wall < wall_start:
                    continue
                if wall > wall_horizon:
                    done = True
                    break
                if not all_day and not exists(wall, zone):
                    continue  # RFC 5545 3.3.10: ignored, and not counted
                if until_day is not None and wall.date() > until_day:
                    done = True
                    break
                if until_at is not None and first_instant(wall, zone) > until_at:
                    done = True
                    break
                found.append(wall)
                produced += 1
                if rule.count is not None and produced >= rule.count:
                    done = True
                    break
    if start_at is None:
        assert not isinstance(horizon, datetime)
        days = {w.date() for w in found} | {wall_start.date()}
        days |= {d for d in rdates if not isinstance(d, datetime)}
        days -= {d for d in exdates if not isinstance(d, datetime)}
        return sorted(d for d in days if d <= horizon)
    assert isinstance(horizon, datetime)
    # The rule's instance at DTSTART's wall time is DTSTART, whichever run of a
    # repeated hour DTSTART is in.
    instants = {start_at if w == wall_start else first_instant(w, zone) for w in found}
    instants.add(start_at)
    instants |= {x.astimezone(UTC) for x in rdates if isinstance(x, datetime)}
    instants -= {x.astimezone(UTC) for x in exdates if isinstance(x, datetime)}
    return sorted(i for i in instants if i <= horizon)


def generated_walls(start: datetime, rule_text: str, horizon: datetime) -> Iterator[datetime]:
    """Wall times the rule generates from naive ``start`` on, up to ``horizon``.

    Before COUNT and UNTIL, and whether or not they exist in any zone: what a
    series starting at ``start`` would be made of.
    """
    rule = parse(rule_text)
    k = 0
    while (first := _period_start(rule, start, k)) <= horizon:
        k += 1
        for wall in _period_set(rule, first, start):
            if start <= wall <= horizon:
                yield wall


def timed_occurrences(
    start: datetime,
    rule_text: str | None,
    zone: ZoneInfo,
    horizon: datetime,
    *,
    exdates: Iterable[datetime] = (),
    rdates: Iterable[datetime] = (),
) -> list[datetime]:
    """:func:`occurrences` of a timed series: UTC instants."""
    found = occurrences(start, rule_text, zone, horizon, exdates=exdates, rdates=rdates)
    return [at for at in found if isinstance(at, datetime)]


def all_day_occurrences(
    start: date,
    rule_text: str | None,
    horizon: date,
    *,
    exdates: Iterable[date] = (),
    rdates: Iterable[date] = (),
) -> list[date]:
    """:func:`occurrences` of an all-day series: dates."""
    return list(
        occurrences(start, rule_text, ZoneInfo("UTC"), horizon, exdates=exdates, rdates=rdates)
    )
