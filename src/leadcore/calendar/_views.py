"""Day, week and month views, a client's timeline, and activity search.

Every builder takes the activities to consider, a window and a visibility
rule (see :mod:`leadcore.calendar._visibility`), and returns immutable values.
An activity the viewer may not see in detail comes back as a
:class:`~leadcore.calendar.BusyBlock` (times only) in views and timelines,
and never at all in search results: a search by client, type or text on
hidden activities would tell what they are about.
"""

from __future__ import annotations

import calendar
import warnings
from collections.abc import Iterable, Sequence, Set
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, TypeAlias

import attrs

from leadcore._limits import load_zone
from leadcore._paging import Cursor, cursor_argument
from leadcore.calendar._emails import Email
from leadcore.calendar._instants import is_after, utc
from leadcore.calendar._model import Activity, BusyBlock, ClientRef, Occurrence, When, instant
from leadcore.calendar._recurrence import DEFAULT_LIMIT, Expansion, expand, expand_all
from leadcore.calendar._terms import ActivityField, ActivityTerm, Terms, holds
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import ValidationError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "ActivityQuery",
    "CalendarDay",
    "DayColumn",
    "DayView",
    "Entry",
    "PeriodView",
    "SearchPage",
    "Timeline",
    "client_timeline",
    "day_view",
    "month_view",
    "search",
    "week_view",
]

#: What a view shows for one occurrence: the occurrence, or only the time it takes.
Entry: TypeAlias = Occurrence | BusyBlock


def _zone(tz: str) -> ZoneInfo:
    zone, problem = load_zone(tz)
    if zone is None:
        raise ValidationError("the view is invalid", [f"tz: {problem}"])
    return zone


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return instant(day, zone)


def _entry(occ: Occurrence, visible: Visibility) -> Entry:
    return occ if can_see(visible, occ.activity) else occ.busy()


def _entry_bounds(entry: Entry, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Start and end as UTC instants, so that they compare whatever their ``fold``."""
    if isinstance(entry, Occurrence):
        return entry.starts_at, entry.ends_at
    return utc(instant(entry.start, zone)), utc(instant(entry.end, zone))


def _on_day(entry: Entry, day: date, start: datetime, end: datetime, zone: ZoneInfo) -> bool:
    if entry.all_day:
        first, last = entry.start, entry.end
        assert not isinstance(first, datetime)
        assert not isinstance(last, datetime)
        return first <= day < last
    first_at, last_at = _entry_bounds(entry, zone)
    return first_at < end and last_at > start


@attrs.frozen
class DayColumn:
    """One user's entries in a day view, in start order."""

    user_id: str
    """Whose calendar the column is."""
    entries: tuple[Entry, ...]
    """Occurrences and busy blocks, in start order."""


@attrs.frozen
class DayView:
    """One day, one column per user, side by side."""

    day: date
    """The day shown."""
    tz: str
    """The zone the day is read in."""
    columns: tuple[DayColumn, ...]
    """One column per user asked for, in the order asked."""
    #: Whether some activity had more occurrences than the budget allowed.
    truncated: bool = False

    def column(self, user_id: str) -> DayColumn:
        """The column of ``user_id``."""
        for column in self.columns:
            if column.user_id == user_id:
                return column
        raise KeyError(user_id)


@attrs.frozen
class CalendarDay:
    """The entries of one day of a week or month view, in start order."""

    day: date
    """The day."""
    entries: tuple[Entry, ...]
    """Occurrences and busy blocks, in start order."""


@attrs.frozen
class PeriodView:
    """A run of days (a week or a month) of one or more users' calendars."""

    start: date
    """The first day shown."""
    #: The day after the last day shown.
    end: date
    tz: str
    """The zone the days are read in."""
    days: tuple[CalendarDay, ...]
    """Every day of the period, in order."""
    truncated: bool = False
    """Whether some activity had more occurrences than the budget allowed."""

    def day(self, day: date) -> CalendarDay:
        """The entries of ``day``."""
        index = (day - self.start).days
        if not 0 <= index < len(self.days):
            raise KeyError(day)
        return self.days[index]


def _involving(activities: Iterable[Activity], users: Set[str] | None) -> list[Activity]:
    if users is None:
        return list(activities)
    return [a for a in activities if any(p in users for p in a.participant_ids)]


def _days_of(
    activities: Iterable[Activity], first: date, last: date, zone: ZoneInfo, limit: int
) -> tuple[Expansion, Expansion]:
    """Timed, then all-day occurrences of the days ``[first, last)`` read in ``zone``.

    Timed activities are taken by instants (the viewer's midnights); all-day
    ones by their dates, which are the same for every viewer (floating, as
    RFC 5545 section 3.3.4 has DATE values): an all-day activity on 2 March
    shows on 2 March in every zone, in every view.
    """
    timed: list[Activity] = []
    whole: list[Activity] = []
    for activity in activities:
        (whole if activity.all_day else timed).append(activity)
    return (
        expand_all(timed, _midnight(first, zone), _midnight(last, zone), limit=limit),
        expand_all(whole, first, last, limit=limit),
    )


def _order(entry: Entry, zone: ZoneInfo) -> tuple[bool, datetime]:
    return (not entry.all_day, _entry_bounds(entry, zone)[0])


def day_view(
    activities: Iterable[Activity],
    user_ids: Sequence[str],
    day: date,
    tz: str,
    *,
    visible: Visibility = None,
    limit: int = DEFAULT_LIMIT,
) -> DayView:
    """Several users' calendars side by side for ``day`` in zone ``tz``.

    Each column holds the activities the user takes part in (as responsible
    user or as one of the others); all-day entries come first.
    """
    zone = _zone(tz)
    start, end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
    wanted = set(user_ids)
    timed, whole = _days_of(
        _involving(activities, wanted), day, day + timedelta(days=1), zone, limit
    )
    found = (*whole.occurrences, *timed.occurrences)
    columns = []
    for user in user_ids:
        entries = [
            _entry(occ, visible)
            for occ in found
            if user in occ.activity.participant_ids and _on_day(occ, day, start, end, zone)
        ]
        entries.sort(key=lambda e: _order(e, zone))
        columns.append(DayColumn(user, tuple(entries)))
    return DayView(day, tz, tuple(columns), timed.is_truncated or whole.is_truncated)


def _period(
    activities: Iterable[Activity],
    user_ids: Iterable[str] | None,
    first: date,
    days: int,
    tz: str,
    visible: Visibility,
    limit: int,
) -> PeriodView:
    zone = _zone(tz)
    last = first + timedelta(days=days)
    users = None if user_ids is None else set(user_ids)
    timed_expansion, whole_expansion = _days_of(
        _involving(activities, users), first, last, zone, limit
    )
    # Each expansion is in start order already: filling each day in that order, all-day
    # entries apart, keeps every day sorted without sorting it again.
    whole_days: list[list[Entry]] = [[] for _ in range(days)]
    timed: list[list[Entry]] = [[] for _ in range(days)]
    first_ordinal = first.toordinal()
    tick = timedelta(microseconds=1)
    for occ in (*whole_expansion.occurrences, *timed_expansion.occurrences):
        entry = _entry(occ, visible)
        start, end = occ.start, occ.end
        if isinstance(start, datetime):
            assert isinstance(end, datetime)
            lo = start.astimezone(zone).toordinal() - first_ordinal
            # An end at midnight does not reach into the next day.
            hi = (end.astimezone(zone) - tick).toordinal() - first_ordinal + 1
            target = timed
        else:
            lo, hi = start.toordinal() - first_ordinal, end.toordinal() - first_ordinal
            target = whole_days
        for i in range(max(0, lo), min(days, hi)):
            target[i].append(entry)
    result = tuple(
        CalendarDay(first + timedelta(days=i), (*whole_days[i], *timed[i])) for i in range(days)
    )
    truncated = timed_expansion.is_truncated or whole_expansion.is_truncated
    return PeriodView(first, last, tz, result, truncated)


def week_view(
    activities: Iterable[Activity],
    user_ids: Iterable[str] | None,
    day: date,
    tz: str,
    *,
    first_weekday: int = 6,
    visible: Visibility = None,
    limit: int = DEFAULT_LIMIT,
) -> PeriodView:
    """The week containing ``day``; weeks start on ``first_weekday`` (0 = Monday, 6 = Sunday).

    ``user_ids=None`` shows every given activity; otherwise those the users take part in.
    """
    if not isinstance(first_weekday, int) or not 0 <= first_weekday <= 6:
        raise ValidationError(
            "the view is invalid", [f"first_weekday: {first_weekday!r} is not 0 to 6"]
        )
    first = day - timedelta(days=(day.weekday() - first_weekday) % 7)
    return _period(activities, user_ids, first, 7, tz, visible, limit)


def month_view(
    activities: Iterable[Activity],
    user_ids: Iterable[str] | None,
    year: int,
    month: int,
    tz: str,
    *,
    visible: Visibility = None,
    limit: int = DEFAULT_LIMIT,
) -> PeriodView:
    """Every day of ``month`` of ``year``."""
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValidationError("the view is invalid", [f"month: {month!r} is not 1 to 12"])
    days = calendar.monthrange(year, month)[1]
    return _period(activities, user_ids, date(year, month, 1), days, tz, visible, limit)


@attrs.frozen
class Timeline:
    """A client's activities in a window, in start order, and its e-mails."""

    entries: tuple[Entry, ...]
    """Occurrences and busy blocks, in start order."""
    truncated: bool = False
    """Whether some activity had more occurrences than the budget allowed."""
    emails: tuple[Email, ...] = ()
    """The e-mails linked to the client sent in the window, oldest first."""


def client_timeline(
    activities: Iterable[Activity],
    client: ClientRef | str,
    start: When,
    end: When,
    *,
    visible: Visibility = None,
    limit: int = DEFAULT_LIMIT,
) -> Timeline:
    """Occurrences linked to ``client`` (primary, additional, or as the contact) in the window.

    ``client`` is a :class:`ClientRef` or a bare client id.
    """
    linked = [a for a in activities if a.involves_client(client)]
    expansion = expand_all(linked, start, end, limit=limit)
    return Timeline(
        tuple(_entry(occ, visible) for occ in expansion.occurrences), expansion.is_truncated
    )


# -- search --------------------------------------------------------------------------


def _frozen_strs(value: Iterable[str]) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


def _frozen_clients(value: Iterable[ClientRef | str]) -> frozenset[ClientRef | str]:
    return frozenset([value] if isinstance(value, str | ClientRef) else value)


@attrs.frozen
class ActivityQuery:
    """What to search for; every given criterion must hold (empty means "any").

    ``start``/``end`` keep activities with an occurrence overlapping the range;
    ``text`` matches title, notes and location, ignoring case.
    """

    type_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_strs)
    status_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_strs)
    #: Activities any of these users take part in.
    user_ids: frozenset[str] = attrs.field(default=frozenset(), converter=_frozen_strs)
    #: Activities linked to any of these clients (references or bare ids).
    clients: frozenset[ClientRef | str] = attrs.field(
        default=frozenset(), converter=_frozen_clients
    )
    start: When | None = None
    end: When | None = None
    text: str = ""

    @property
    def terms(self) -> Terms:
        """The criteria as terms that must all hold, the range aside (see :meth:`matches`).

        >>> [(t.field.value, sorted(t.value)) for t in ActivityQuery(type_ids="call").terms]
        [('type_id', ['call'])]
        """
        given = (
            (ActivityField.TYPE_ID, self.type_ids),
            (ActivityField.STATUS_ID, self.status_ids),
            (ActivityField.PARTICIPANT_IDS, self.user_ids),
            (ActivityField.CLIENTS, self.clients),
        )
        out = [ActivityTerm(field, value) for field, value in given if value]
        if self.text.strip():
            out.append(ActivityTerm(ActivityField.TEXT, self.text))
        return tuple(out)

    def matches(self, activity: Activity) -> bool:
        """Whether ``activity`` meets every criterion.

        The :attr:`terms`, and for ``start``/``end`` an occurrence in the
        range (exact, where a window's span test is a bound).
        """
        if not all(holds(term, activity) for term in self.terms):
            return False
        if self.start is not None or self.end is not None:
            lo, hi = _range(self.start, self.end, activity)
            if not expand(activity, lo, hi, limit=1).occurrences:
                return False
        return True


_FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)
_FAR_FUTURE = datetime(9998, 1, 1, tzinfo=UTC)


def _range(start: When | None, end: When | None, activity: Activity) -> tuple[When, When]:
    zone = activity.zone
    lo = _FAR_PAST if start is None else instant(start, zone)
    hi = _FAR_FUTURE if end is None else instant(end, zone)
    return lo, hi


@attrs.frozen
class SearchPage:
    """One page of search results and the cursor of the next page (``None`` at the end)."""

    items: tuple[Activity, ...]
    """The activities of this page."""
    next: Cursor | None = None
    """Pass it as ``after`` for the next page; ``None`` on the last page."""
    emails: tuple[Email, ...] = ()
    """The logged e-mails the search finds, newest first (on the first page only)."""

    @property
    def next_cursor(self) -> Cursor | None:
        """Deprecated alias of :attr:`next` (one release)."""
        warnings.warn(
            "SearchPage.next_cursor is renamed SearchPage.next; "
            "the old name will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.next


def _position(activity: Activity) -> tuple[datetime, str]:
    return instant(activity.start, activity.zone).astimezone(UTC), activity.id


def search(
    activities: Iterable[Activity],
    query: ActivityQuery,
    *,
    visible: Visibility = None,
    limit: int = 50,
    after: Cursor | str | None = None,
    page_size: int | None = None,
) -> SearchPage:
    """Activities the viewer may see that match ``query``, by start then id, one page at a time.

    ``limit`` activities a page (1 to 1000). Pass the previous page's
    :attr:`~SearchPage.next` as ``after`` for the next page; keyset
    pagination keeps pages stable while activities are added.
    ``page_size`` is the deprecated name of ``limit``, and a cursor's token
    string (``str(page.next)``) the deprecated form of ``after`` (one
    release each): read a token with :meth:`Cursor.parse <leadcore.Cursor.parse>`.
    """
    if page_size is not None:
        warnings.warn(
            "search(page_size=...) is renamed search(limit=...); "
            "the old name will be removed in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        limit = page_size
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise ValidationError("the search is invalid", [f"limit: {limit!r} is not 1 to 1000"])
    if query.start is not None and query.end is not None:
        if isinstance(query.start, datetime) != isinstance(query.end, datetime):
            raise ValidationError(
                "the search is invalid",
                [
                    f"start, end: {query.start.isoformat()} and {query.end.isoformat()} "
                    "mix a date and a datetime; give both as dates or both as aware datetimes"
                ],
            )
        if not is_after(query.end, query.start):
            raise ValidationError("the search is invalid", ["end: is not after start"])
    cursor = cursor_argument(after, where="search", problem="the search is invalid")
    floor = None if cursor is None else cursor.position
    hits = sorted(
        (
            (_position(a), a)
            for a in activities
            if can_see(visible, a) and (floor is None or _position(a) > floor)
        ),
        key=lambda pair: pair[0],
    )
    page: list[Activity] = []
    last: tuple[datetime, str] | None = None
    more = False
    for position, activity in hits:
        if not query.matches(activity):
            continue
        if len(page) == limit:
            more = True
            break
        page.append(activity)
        last = position
    return SearchPage(tuple(page), Cursor(*last) if more and last is not None else None)
