"""leadcore's recurrence and views agree with an RFC 5545 evaluator written for the tests.

The oracle (``tests/oracles/rfc5545.py``, itself checked on every example of
RFC 5545 section 3.8.5.3) uses neither dateutil nor recurring-ical-events.
Rules are drawn at random (every FREQ down to MINUTELY, INTERVAL, BYDAY with
and without ordinals, BYMONTHDAY with negatives, BYMONTH, BYYEARDAY,
BYWEEKNO, BYHOUR, BYSETPOS, WKST, COUNT or UNTIL) in zones with daylight
saving, including Lord Howe's half-hour change; starts, ends and BYHOUR land
in skipped and repeated hours; windows start and end anywhere, cutting
occurrences. Nothing is filtered out of the comparison: the oracle follows
the RFC, and so must leadcore.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.oracles import rfc5545

from leadcore.calendar import (
    Activity,
    OccurrenceOverride,
    Recurrence,
    day_view,
    expand,
    month_view,
    week_view,
)
from leadcore.errors import ValidationError

ZONES = ("Asia/Jerusalem", "America/New_York", "Europe/London", "Australia/Lord_Howe", "UTC")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
SUB_DAILY = ("HOURLY", "MINUTELY")
DATE_LINE = ("Pacific/Kiritimati", "Pacific/Honolulu")


def _signed(low: int, high: int) -> st.SearchStrategy[int]:
    return st.one_of(st.integers(low, high), st.integers(-high, -low))


def _joined(values: list[int] | set[int]) -> str:
    return ",".join(str(v) for v in sorted(values))


@st.composite
def rules(draw: st.DrawFn, all_day: bool) -> str:
    """A rule body (no COUNT/UNTIL) leadcore accepts and RFC 5545 defines."""
    freqs = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY"] + ([] if all_day else list(SUB_DAILY))
    freq = draw(st.sampled_from(freqs))
    parts = [f"FREQ={freq}"]
    if freq == "MINUTELY":
        parts.append(f"INTERVAL={draw(st.sampled_from([15, 20, 45, 90]))}")
    elif freq == "HOURLY":
        parts.append(f"INTERVAL={draw(st.integers(1, 7))}")
    elif draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(2, 3))}")
    by = False
    weekdays = st.sets(st.sampled_from(DAYS), min_size=1, max_size=4)
    if freq in ("MONTHLY", "YEARLY") and draw(st.integers(0, 2)) == 0:
        numbered = draw(
            st.sets(
                st.tuples(_signed(1, 5 if freq == "MONTHLY" else 3), st.sampled_from(DAYS)),
                min_size=1,
                max_size=2,
            )
        )
        parts.append("BYDAY=" + ",".join(f"{n}{d}" for n, d in sorted(numbered)))
        by = True
    elif draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(sorted(draw(weekdays), key=DAYS.index)))
        by = True
    if freq != "WEEKLY" and draw(st.integers(0, 2)) == 0:
        values = draw(st.sets(_signed(1, 31), min_size=1, max_size=4))
        parts.append(f"BYMONTHDAY={_joined(values)}")
        by = True
    if freq != "MONTHLY" and draw(st.integers(0, 2)) == 0:
        parts.append(f"BYMONTH={_joined(draw(st.sets(st.integers(1, 12), min_size=1)))}")
        by = True
    if freq == "YEARLY" and not by and draw(st.integers(0, 3)) == 0:
        parts.append(f"BYYEARDAY={_joined(draw(st.sets(_signed(1, 366), min_size=1)))}")
        by = True
    if freq == "YEARLY" and draw(st.integers(0, 4)) == 0:
        # Weeks well inside the year, with plain weekdays: the RFC leaves the rest open.
        parts = [p for p in parts if not p.startswith("BYDAY=")]
        parts.append("BYDAY=" + ",".join(sorted(draw(weekdays), key=DAYS.index)))
        parts.append(f"BYWEEKNO={_joined(draw(st.sets(_signed(2, 50), min_size=1)))}")
        by = True
    if not all_day and freq not in SUB_DAILY and draw(st.integers(0, 3)) == 0:
        # Hours 0 to 3 take in every daylight-saving gap and repeated hour of these zones.
        parts.append(f"BYHOUR={_joined(draw(st.sets(st.integers(0, 4), min_size=1)))}")
        if draw(st.booleans()):
            parts.append(f"BYMINUTE={_joined(draw(st.sets(st.sampled_from([0, 30, 45]))))}")
        by = True
    if by and draw(st.integers(0, 2)) == 0:
        parts.append(f"BYSETPOS={_joined(draw(st.sets(_signed(1, 4), min_size=1, max_size=2)))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    return ";".join(p for p in parts if p != "BYMINUTE=")


@dataclass(frozen=True)
class Case:
    """A series, what the oracle says of it, and a window to look through."""

    activity: Activity
    rule: str
    exdates: tuple[datetime | date, ...]
    lo: datetime | date
    hi: datetime | date

    @property
    def zone(self) -> ZoneInfo:
        return self.activity.zone

    def oracle(self, horizon: datetime | date) -> list[datetime] | list[date]:
        """Occurrence starts up to ``horizon``."""
        a = self.activity
        return rfc5545.occurrences(a.start, self.rule, self.zone, horizon, exdates=self.exdates)

    def expected(self) -> list[tuple[datetime | date, datetime | date]]:
        """(start, end) of the occurrences overlapping the window, by start."""
        duration = self.activity.duration
        found = []
        for start in self.oracle(self.hi):
            end = start + duration
            if start < self.hi and end > self.lo:
                found.append((start, end))
        return found


def _mine(activity: Activity, lo: datetime | date, hi: datetime | date) -> list[tuple[object, ...]]:
    found = expand(activity, lo, hi, limit=100_000).occurrences
    if activity.all_day:
        return [(o.start, o.end) for o in found]
    return [(o.starts_at, o.ends_at) for o in found]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    all_day = draw(st.integers(0, 7)) == 0
    # All-day series also from either side of the date line, a whole day apart.
    tz = draw(st.sampled_from((*ZONES, *DATE_LINE) if all_day else ZONES))
    zone = ZoneInfo(tz)
    body = draw(rules(all_day))
    sub_daily = body.split(";")[0][5:] in SUB_DAILY
    seed_day = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    seed_time = (
        time(0)
        if all_day
        else time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    )
    seed = datetime.combine(seed_day, seed_time)
    reach = timedelta(days=3 if sub_daily else 366 * 4)
    # The series starts at its first occurrence, as RFC 5545 asks of DTSTART.
    first_wall = next(rfc5545.generated_walls(seed, body, seed + reach), None)
    assume(first_wall is not None)
    assert first_wall is not None
    start: datetime | date
    if all_day:
        start = first_wall.date()
        end: datetime | date = start + timedelta(days=draw(st.integers(1, 3)))
    else:
        assume(rfc5545.exists(first_wall, zone))
        start = first_wall.replace(tzinfo=zone, fold=draw(st.integers(0, 1)))
        end = (
            start.astimezone(UTC)
            + timedelta(minutes=draw(st.sampled_from([1, 30, 45, 60, 90, 180])))
        ).astimezone(zone)
    ending = draw(st.sampled_from(["none", "count", "until"]))
    rule = body
    if ending == "count":
        rule += f";COUNT={draw(st.integers(1, 30))}"
    elif ending == "until":
        until = first_wall + draw(st.timedeltas(timedelta(0), reach))
        if all_day:
            rule += f";UNTIL={until:%Y%m%d}"
        elif draw(st.booleans()):
            rule += f";UNTIL={until.replace(tzinfo=zone).astimezone(UTC):%Y%m%dT%H%M%SZ}"
        else:
            assume(rfc5545.exists(until, zone))
            rule += f";UNTIL={until:%Y%m%dT%H%M%S}"  # a local UNTIL, read in the zone
    span = timedelta(days=2 if sub_daily else 500)
    if all_day:
        assert isinstance(start, date)
        lo: datetime | date = start + timedelta(days=draw(st.integers(-3, span.days)))
        hi: datetime | date = lo + timedelta(days=draw(st.integers(1, 70)))
        horizon: datetime | date = hi
    else:
        assert isinstance(start, datetime)
        lo = start.astimezone(UTC) + timedelta(minutes=draw(st.integers(-180, span.days * 24 * 60)))
        hi = lo + timedelta(minutes=draw(st.integers(1, (3 if sub_daily else 70) * 24 * 60)))
        horizon = start.astimezone(UTC) + reach
    plain = rfc5545.occurrences(start, rule, zone, horizon)
    exdates: tuple[datetime | date, ...] = ()
    if plain:
        exdates = tuple(draw(st.lists(st.sampled_from(plain[:40]), max_size=3, unique=True)))
    activity = Activity(
        id="a1",
        organization_id="org",
        type_id="meeting",
        status_id="open",
        title="Series",
        responsible_user_id="u1",
        tz=tz,
        start=start,
        end=end,
        recurrence=Recurrence(rule, exdates=exdates),
    )
    return Case(activity, rule, exdates, lo, hi)


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@SETTINGS
@given(cases())
def test_the_occurrences_of_any_window_are_those_of_rfc5545(case: Case) -> None:
    assert _mine(case.activity, case.lo, case.hi) == case.expected(), case.rule


VIEWERS = (*DATE_LINE, *ZONES)


@SETTINGS
@given(
    cases(),
    st.sampled_from(VIEWERS),
    st.sampled_from(["day", "week", "month"]),
    st.integers(0, 6),
)
def test_day_week_and_month_views_show_the_occurrences_of_rfc5545(
    case: Case, viewer: str, kind: str, first_weekday: int
) -> None:
    activity = case.activity
    zone = ZoneInfo(viewer)
    focus = (
        case.lo
        if isinstance(case.lo, date) and not isinstance(case.lo, datetime)
        else case.lo.astimezone(zone).date()
    )
    if kind == "day":
        days = {focus: day_view([activity], ["u1"], focus, viewer).columns[0].entries}
    else:
        view = (
            week_view([activity], None, focus, viewer, first_weekday=first_weekday)
            if kind == "week"
            else month_view([activity], None, focus.year, focus.month, viewer)
        )
        days = {d.day: d.entries for d in view.days}
    first, last = min(days), max(days) + timedelta(days=1)
    if activity.all_day:
        # All-day dates are the same dates for every viewer (floating, RFC 5545 3.3.4).
        starts = case.oracle(last)
        duration = activity.duration
        for day, entries in days.items():
            wanted = [s for s in starts if s <= day < s + duration]
            assert [e.start for e in entries] == wanted, (day, case.rule)
        return
    horizon = datetime.combine(last, time(), tzinfo=zone)
    starts = case.oracle(horizon)
    for day, entries in days.items():
        lo = datetime.combine(day, time(), tzinfo=zone)
        hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
        wanted = [s for s in starts if s < hi and s + activity.duration > lo]
        shown = [e.starts_at for e in entries]  # type: ignore[union-attr]
        assert shown == wanted, (day, case.rule)
    assert first <= focus < last


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(cases(), st.data())
def test_an_edit_is_accepted_exactly_for_the_occurrences_of_rfc5545(
    case: Case, data: st.DataObject
) -> None:
    activity = case.activity
    start = activity.start
    near = timedelta(days=1) if activity.all_day else timedelta(hours=1)
    horizon = case.hi
    starts = case.oracle(horizon)[:50]
    assume(starts)
    real = data.draw(st.sampled_from(starts))
    candidate = real + data.draw(st.sampled_from([timedelta(0), near, -near, 7 * near]))
    if isinstance(candidate, datetime):
        candidate = candidate.astimezone(activity.zone)
    everything = set(case.oracle(candidate + timedelta(days=1)))
    is_occurrence = candidate in everything or candidate in case.exdates
    edit = OccurrenceOverride(candidate, title="Edited")
    recurrence = Recurrence(case.rule, exdates=case.exdates, overrides=[edit])
    if candidate in case.exdates:
        return  # excluded and edited at once is refused for its own reason
    if is_occurrence:
        edited = attrs.evolve(activity, recurrence=recurrence)
        found = expand(edited, candidate, candidate + near, limit=100_000).occurrences
        assert [o.title for o in found if o.original_start == candidate] == ["Edited"]
    else:
        with pytest.raises(ValidationError, match="not an occurrence of the series"):
            attrs.evolve(activity, recurrence=recurrence)
    assert start == activity.start
