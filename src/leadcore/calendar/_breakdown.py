"""The report generator over activities: occurrences grouped by any fields, with durations.

The unit is an occurrence that starts in the range, as in :func:`report`. Only
activities the viewer may see in detail count: what the viewer may see only as
busy time must not show through a count, a duration or a group key.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._model import Activity, Occurrence, When
from leadcore.calendar._recurrence import DEFAULT_LIMIT, expand_all
from leadcore.calendar._reports import starts_in
from leadcore.calendar._views import ActivityQuery
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import ValidationError

__all__ = ["GroupRow", "GroupedReport", "ReportField", "fields_of", "group_report"]


class ReportField(enum.StrEnum):
    """What a report generator may group occurrences by."""

    TYPE = "type"
    """The activity type id."""
    STATUS = "status"
    """The occurrence's status id (an edited occurrence counts in its own status)."""
    RESPONSIBLE = "responsible"
    """The responsible user id."""
    PARTICIPANT = "participant"
    """Each user taking part (the responsible user and the more users)."""
    CLIENT = "client"
    """Each linked client, as ``kind:id`` text; ``None`` for an activity with no client."""
    DAY = "day"
    """The day it starts on in the viewer's time zone (``2026-03-02``)."""
    WEEK = "week"
    """The Monday of the week it starts in, in the viewer's time zone (``2026-03-02``)."""
    MONTH = "month"
    """The month it starts in, in the viewer's time zone (``2026-03``)."""


@attrs.frozen
class GroupRow:
    """One group: its key (one value per grouping field), count and durations."""

    key: tuple[str | None, ...]
    """The group's values, in the order of the report's ``group_by``."""
    count: int
    """How many occurrences."""
    total_duration: timedelta
    """Their summed duration (an all-day occurrence lasts its whole days)."""

    @property
    def average_duration(self) -> timedelta:
        """The mean duration of the group's occurrences."""
        return self.total_duration / self.count


@attrs.frozen
class GroupedReport:
    """Occurrences starting in ``[start, end)`` grouped by ``group_by``, sorted by key.

    ``count`` and ``total_duration`` count each occurrence once, even when
    it falls in several groups (by participant or client).
    """

    group_by: tuple[ReportField, ...]
    """The grouping fields, in order."""
    start: When
    """The start of the range."""
    end: When
    """The end of the range."""
    rows: tuple[GroupRow, ...]
    """The groups, sorted by key (``None`` first)."""
    count: int
    """Every occurrence counted, once each."""
    total_duration: timedelta
    """The summed duration of every occurrence counted, once each."""
    truncated: bool = False
    """Whether some series had more occurrences than the budget allowed."""

    @property
    def average_duration(self) -> timedelta | None:
        """The mean duration over every occurrence counted; ``None`` for none."""
        return self.total_duration / self.count if self.count else None

    def row(self, *key: str | None) -> GroupRow | None:
        """The group with exactly this key, or ``None``."""
        return next((r for r in self.rows if r.key == key), None)


def fields_of(group_by: Sequence[ReportField | str] | ReportField | str) -> tuple[ReportField, ...]:
    """Parse ``group_by``; a ``ValidationError`` names every unknown or repeated field."""
    values = [group_by] if isinstance(group_by, str) else list(group_by)
    accepted = ", ".join(f.value for f in ReportField)
    problems = []
    fields: list[ReportField] = []
    for i, value in enumerate(values):
        try:
            field = ReportField(value)
        except ValueError:
            problems.append(f"group_by[{i}]: {value!r} is not a field; accepted: {accepted}")
            continue
        if field in fields:
            problems.append(f"group_by[{i}]: {field.value!r} is given twice")
        fields.append(field)
    if not values:
        problems.append(f"group_by: give at least one field; accepted: {accepted}")
    if problems:
        raise ValidationError("the report is invalid", problems)
    return tuple(fields)


def _duration(occ: Occurrence) -> timedelta:
    return occ.ends_at - occ.starts_at


def _period(field: ReportField, zone: ZoneInfo) -> Callable[[Occurrence], str]:
    def local_day(occ: Occurrence) -> date:
        if isinstance(occ.start, datetime):
            return occ.starts_at.astimezone(zone).date()
        return occ.start  # an all-day occurrence is on its own day everywhere

    if field is ReportField.DAY:
        return lambda occ: local_day(occ).isoformat()
    if field is ReportField.WEEK:
        return lambda occ: (local_day(occ) - timedelta(days=local_day(occ).weekday())).isoformat()
    return lambda occ: local_day(occ).isoformat()[:7]


def _values(field: ReportField, zone: ZoneInfo) -> Callable[[Occurrence], tuple[str | None, ...]]:
    if field is ReportField.TYPE:
        return lambda occ: (occ.activity.type_id,)
    if field is ReportField.STATUS:
        return lambda occ: (occ.status_id,)
    if field is ReportField.RESPONSIBLE:
        return lambda occ: (occ.activity.responsible_user_id,)
    if field is ReportField.PARTICIPANT:
        return lambda occ: tuple(dict.fromkeys(occ.activity.participant_ids))
    if field is ReportField.CLIENT:
        return lambda occ: tuple(dict.fromkeys(str(c) for c in occ.activity.clients)) or (None,)
    period = _period(field, zone)
    return lambda occ: (period(occ),)


def _keys(
    occ: Occurrence, getters: Sequence[Callable[[Occurrence], tuple[str | None, ...]]]
) -> list[tuple[str | None, ...]]:
    keys: list[tuple[str | None, ...]] = [()]
    for get in getters:
        keys = [(*k, v) for k in keys for v in get(occ)]
    return keys


def _order(key: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple((v is not None, v or "") for v in key)


def group_report(
    activities: Iterable[Activity],
    start: When,
    end: When,
    group_by: Sequence[ReportField | str] | ReportField | str,
    *,
    query: ActivityQuery | None = None,
    visible: Visibility = None,
    zone: ZoneInfo | str = "UTC",
    limit: int = DEFAULT_LIMIT,
) -> GroupedReport:
    """Group the occurrences that start in ``[start, end)`` by ``group_by``.

    ``query`` filters as :meth:`s.calendar.search
    <leadcore.services.calendar.CalendarService.search>` does (its
    ``status_ids`` against each occurrence's own status; its ``start`` and
    ``end`` are not used: the range is ``start``/``end``). ``visible`` keeps
    the activities the viewer may see in detail; the others are left out of
    every figure. ``zone`` is the viewer's time zone for day, week and month.

    >>> from datetime import UTC, date, datetime
    >>> from leadcore.calendar import Activity
    >>> def call(ident, user, hour, minutes):
    ...     at = datetime(2026, 3, 2, hour, tzinfo=UTC)
    ...     return Activity(id=ident, organization_id="o1", type_id="call", status_id="open",
    ...                     title="Call", responsible_user_id=user, tz="UTC",
    ...                     start=at, end=at + timedelta(minutes=minutes))
    >>> r = group_report([call("a1", "dana", 9, 30), call("a2", "dana", 11, 60),
    ...                   call("a3", "avi", 9, 15)],
    ...                  date(2026, 3, 1), date(2026, 4, 1), ["responsible"])
    >>> [(row.key, row.count, str(row.average_duration)) for row in r.rows]
    [(('avi',), 1, '0:15:00'), (('dana',), 2, '0:45:00')]
    """
    fields = fields_of(group_by)
    tz = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)
    where = query if query is not None else ActivityQuery()
    statuses = where.status_ids
    activity_filter = attrs.evolve(where, status_ids=frozenset(), start=None, end=None)
    seen = [a for a in activities if can_see(visible, a) and activity_filter.matches(a)]
    expansion = expand_all(seen, start, end, limit=limit, include_cancelled=True)
    occurrences = [
        o
        for o in expansion.occurrences
        if starts_in(o, start, end) and (not statuses or o.status_id in statuses)
    ]
    getters = [_values(f, tz) for f in fields]
    counts: dict[tuple[str | None, ...], int] = {}
    durations: dict[tuple[str | None, ...], timedelta] = {}
    total = timedelta(0)
    for occ in occurrences:
        took = _duration(occ)
        total += took
        for key in dict.fromkeys(_keys(occ, getters)):
            counts[key] = counts.get(key, 0) + 1
            durations[key] = durations.get(key, timedelta(0)) + took
    rows = tuple(GroupRow(key, counts[key], durations[key]) for key in sorted(counts, key=_order))
    return GroupedReport(
        group_by=fields,
        start=start,
        end=end,
        rows=rows,
        count=len(occurrences),
        total_duration=total,
        truncated=expansion.is_truncated,
    )
