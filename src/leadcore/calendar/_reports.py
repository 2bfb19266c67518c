"""Summary reports: occurrences by type x status x user, completion and success rates.

Only activities the viewer may see in detail are counted: a count by type
and client of hidden activities would tell what they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Literal

import attrs

from leadcore.calendar._model import Activity, ActivityStatus, Occurrence, StatusMeaning, When
from leadcore.calendar._recurrence import DEFAULT_LIMIT, expand_all
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import ValidationError

__all__ = ["ActivityReport", "ReportRow", "report"]


@attrs.frozen
class ReportRow:
    """How many occurrences of one type, in one status, one user had."""

    type_id: str
    """The activity type."""
    status_id: str
    """The status of the occurrences."""
    user_id: str
    """Whom they count for: the responsible user, or each participant (``by="participant"``)."""
    count: int
    """How many occurrences."""


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@attrs.frozen
class ActivityReport:
    """Counts over a range; rates are ``None`` when there is nothing to divide by.

    ``completion_rate`` is completed (done or succeeded) over all but the
    cancelled; ``success_rate`` is succeeded over completed.
    """

    start: When
    """The start of the range."""
    end: When
    """The end of the range."""
    rows: tuple[ReportRow, ...]
    """The counts by type, status and user."""
    total: int
    """Every occurrence in the range."""
    completed: int
    """Occurrences in a status meaning done or succeeded."""
    succeeded: int
    """Occurrences in a status meaning succeeded."""
    cancelled: int
    """Occurrences in a status meaning cancelled."""
    #: Whether some activity had more occurrences than the budget allowed.
    truncated: bool = False

    @property
    def completion_rate(self) -> float | None:
        """Completed over all that were not cancelled."""
        return _rate(self.completed, self.total - self.cancelled)

    @property
    def success_rate(self) -> float | None:
        """Succeeded over completed."""
        return _rate(self.succeeded, self.completed)

    def count(
        self,
        *,
        type_id: str | None = None,
        status_id: str | None = None,
        user_id: str | None = None,
    ) -> int:
        """The sum of the rows matching every given id."""
        return sum(
            r.count
            for r in self.rows
            if (type_id is None or r.type_id == type_id)
            and (status_id is None or r.status_id == status_id)
            and (user_id is None or r.user_id == user_id)
        )


def starts_in(occ: Occurrence, start: When, end: When) -> bool:
    """Whether ``occ`` starts in ``[start, end)`` (days in the activity's own zone)."""
    if isinstance(start, datetime):
        at = occ.starts_at
        return start <= at < end
    first = occ.start
    day = first.astimezone(occ.activity.zone).date() if isinstance(first, datetime) else first
    assert isinstance(start, date)
    assert isinstance(end, date)
    return start <= day < end


def report(
    activities: Iterable[Activity],
    statuses: Iterable[ActivityStatus],
    start: When,
    end: When,
    *,
    visible: Visibility = None,
    by: Literal["responsible", "participant"] = "responsible",
    limit: int = DEFAULT_LIMIT,
) -> ActivityReport:
    """Count the occurrences that start in ``[start, end)`` by type, status and user.

    Each occurrence counts once for its responsible user, or, with
    ``by="participant"``, once for each user taking part (the totals and
    rates always count each occurrence once). An edited occurrence counts in
    its own status.

    >>> from datetime import date, datetime, timezone
    >>> from leadcore.calendar import Activity, ActivityStatus
    >>> utc = timezone.utc
    >>> done = ActivityStatus("done", "Done", "done")
    >>> call = Activity(
    ...     id="a1", organization_id="o1", type_id="call", status_id="done", title="Call",
    ...     responsible_user_id="dana", tz="UTC",
    ...     start=datetime(2026, 3, 2, 9, tzinfo=utc), end=datetime(2026, 3, 2, 10, tzinfo=utc),
    ... )
    >>> r = report([call], [done], date(2026, 3, 1), date(2026, 4, 1))
    >>> r.count(user_id="dana"), r.completion_rate
    (1, 1.0)
    """
    if by not in ("responsible", "participant"):
        raise ValidationError(
            "the report is invalid", [f"by: {by!r} is not responsible or participant"]
        )
    meanings = {s.id: s.meaning for s in statuses}
    seen = [a for a in activities if can_see(visible, a)]
    expansion = expand_all(seen, start, end, limit=limit, include_cancelled=True)
    occurrences = [o for o in expansion.occurrences if starts_in(o, start, end)]
    unknown = sorted({o.status_id for o in occurrences if o.status_id not in meanings})
    if unknown:
        raise ValidationError(
            "the report cannot be built",
            [f"status {s!r}: not among the statuses given" for s in unknown],
        )
    counts: Counter[tuple[str, str, str]] = Counter()
    by_meaning: Counter[StatusMeaning] = Counter()
    for occ in occurrences:
        if occ.override is not None and occ.override.cancelled:
            meaning = StatusMeaning.CANCELLED
        else:
            meaning = meanings[occ.status_id]
        by_meaning[meaning] += 1
        users = (
            occ.activity.participant_ids
            if by == "participant"
            else (occ.activity.responsible_user_id,)
        )
        for user in users:
            counts[(occ.activity.type_id, occ.status_id, user)] += 1
    rows = tuple(ReportRow(t, s, u, n) for (t, s, u), n in sorted(counts.items()))
    return ActivityReport(
        start=start,
        end=end,
        rows=rows,
        total=len(occurrences),
        completed=by_meaning[StatusMeaning.DONE] + by_meaning[StatusMeaning.SUCCEEDED],
        succeeded=by_meaning[StatusMeaning.SUCCEEDED],
        cancelled=by_meaning[StatusMeaning.CANCELLED],
        truncated=expansion.is_truncated,
    )
