"""Calendar views, client timelines, search, reports and free slots (``s.calendar``)."""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, overload
from zoneinfo import ZoneInfo

import attrs

from leadcore._arguments import checked_arguments
from leadcore._limits import (
    MAX_YEAR,
    MIN_YEAR,
    duration_problem,
    load_zone,
    shown,
    whole_problem,
)
from leadcore._paging import Cursor
from leadcore._text import MAX_SEARCH_TEXT, checks_text, text_limits
from leadcore.calendar._availability import (
    Slot,
    WorkingHours,
    busy_intervals,
)
from leadcore.calendar._availability import free_slots as find_free_slots
from leadcore.calendar._breakdown import GroupedReport, ReportField, fields_of, group_report
from leadcore.calendar._emails import Email
from leadcore.calendar._instants import utc
from leadcore.calendar._model import (
    Activity,
    ClientRef,
    When,
    instant,
)
from leadcore.calendar._reports import ActivityReport
from leadcore.calendar._reports import report as build_report
from leadcore.calendar._views import (
    ActivityQuery,
    DayView,
    PeriodView,
    SearchPage,
    Timeline,
    client_timeline,
    day_view,
    month_view,
    week_view,
)
from leadcore.calendar._views import search as run_search
from leadcore.errors import ValidationError
from leadcore.services._shared import Writer
from leadcore.services.calendar._base import (
    ClientInput,
    Rule,
    _aware_problem,
    _CalendarBase,
    _Catalogue,
    _day_problem,
)

# The default window of a client's timeline, either side of now.
_TIMELINE_REACH = timedelta(days=366)
# Dates given as search or report bounds are days of some zone: widen the stored query.
_DAY_MARGIN = timedelta(days=2)
# Dates bounding a search of e-mails are read as UTC days.
UTC_ZONE = ZoneInfo("UTC")


def _email_matches(
    email: Email, text: str, clients: Sequence[ClientRef], start: When | None, end: When | None
) -> bool:
    """Whether a logged e-mail meets the search's text, clients and range."""
    needle = text.strip().casefold()
    if needle and not any(
        needle in field.casefold()
        for field in (email.subject, email.excerpt, email.sender, *email.to, *email.cc)
    ):
        return False
    if clients and not any(c in email.clients for c in clients):
        return False
    lo = None if start is None else instant(start, UTC_ZONE)
    hi = None if end is None else instant(end, UTC_ZONE)
    return (lo is None or lo <= email.sent_at) and (hi is None or email.sent_at < hi)


def _range_problems(start: When, end: When) -> None:
    """A ``ValidationError`` when ``start``/``end`` mix a date and a datetime or are reversed."""
    if isinstance(start, datetime) != isinstance(end, datetime):
        raise ValidationError(
            "the report is invalid",
            [
                f"start, end: {start.isoformat()} and {end.isoformat()} mix a date and a "
                "datetime; give both as dates or both as aware datetimes"
            ],
        )
    naive = isinstance(start, datetime) and (start.tzinfo is None or end.tzinfo is None)  # type: ignore[union-attr]
    if not naive and end <= start:  # a naive bound is named by the range check
        raise ValidationError("the report is invalid", ["end: is not after start"])


@checks_text
@checked_arguments
class _Views(_CalendarBase):
    """Day, week and month views, timelines, search, reports and free slots."""

    def _view_zone(self, w: Writer, tz: str | None) -> tuple[str, ZoneInfo]:
        name = tz or self._home_tz(w)
        zone, problem = load_zone(name)
        if zone is None:
            raise ValidationError("the view is invalid", [f"tz: {problem}"])
        return name, zone

    @staticmethod
    def _shown(
        w: Writer, cat: _Catalogue, start: datetime, end: datetime, users: Collection[str]
    ) -> list[Activity]:
        """The activities a calendar view shows: all but the cancelled ones.

        Cancelled occurrences are left out of views too; search and reports still find both.
        """
        cancelled = cat.cancelled_ids
        return [
            a
            for a in w.uow.calendar.activities_between(w.org, start, end, user_ids=users)
            if a.status_id not in cancelled
        ]

    def day(self, user_ids: Sequence[str] | str, day: date, *, tz: str | None = None) -> DayView:
        """Several users' calendars side by side for ``day``, one column per user.

        ``tz`` defaults to the acting user's zone (else the organisation's).
        What the acting user may not see comes back as busy blocks.
        """
        problem = _day_problem("day", day)
        if problem is not None:
            raise ValidationError("the view is invalid", [problem])
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids)
            name, zone = self._view_zone(w, tz)
            lo = datetime.combine(day, time(), tzinfo=zone)
            hi = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
            activities = self._shown(w, cat, lo, hi, users)
            return day_view(activities, users, day, name, visible=self._rule(w, cat.settings))

    def week(
        self,
        user_ids: Sequence[str] | str,
        day: date,
        *,
        tz: str | None = None,
        first_weekday: int | None = None,
    ) -> PeriodView:
        """The week containing ``day`` in the calendars of ``user_ids``.

        Weeks start on ``first_weekday`` (default: the organisation's setting).
        The old order ``week(day, user_ids=...)`` (users defaulting to the
        acting user) still works for one release, with a ``DeprecationWarning``.
        """
        problem = _day_problem("day", day)
        if problem is not None:
            raise ValidationError("the view is invalid", [problem])
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids)
            name, zone = self._view_zone(w, tz)
            weekday = cat.settings.first_weekday if first_weekday is None else first_weekday
            if not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValidationError(
                    "the view is invalid", [f"first_weekday: {shown(weekday)} is not 0 to 6"]
                )
            first = day - timedelta(days=(day.weekday() - weekday) % 7)
            lo = datetime.combine(first, time(), tzinfo=zone)
            hi = datetime.combine(first + timedelta(days=7), time(), tzinfo=zone)
            return week_view(
                self._shown(w, cat, lo, hi, users),
                users,
                day,
                name,
                first_weekday=weekday,
                visible=self._rule(w, cat.settings),
            )

    def month(
        self,
        user_ids: Sequence[str] | str,
        year: int,
        month: int,
        *,
        tz: str | None = None,
    ) -> PeriodView:
        """Every day of ``month`` of ``year`` in the calendars of ``user_ids``.

        The old order ``month(year, month, user_ids=...)`` (users defaulting
        to the acting user) still works for one release, with a
        ``DeprecationWarning``.
        """
        problems = [
            p
            for p in (
                whole_problem(year, "year", minimum=MIN_YEAR, maximum=MAX_YEAR, unit="years"),
                whole_problem(month, "month", minimum=1, maximum=12, unit="months"),
            )
            if p
        ]
        if problems:
            raise ValidationError("the view is invalid", problems)
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids)
            name, zone = self._view_zone(w, tz)
            days = _calendar.monthrange(year, month)[1]
            first = date(year, month, 1)
            lo = datetime.combine(first, time(), tzinfo=zone)
            hi = datetime.combine(first + timedelta(days=days), time(), tzinfo=zone)
            return month_view(
                self._shown(w, cat, lo, hi, users),
                users,
                year,
                month,
                name,
                visible=self._rule(w, cat.settings),
            )

    def client_timeline(
        self,
        client: ClientInput,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Timeline:
        """The occurrences linked to a client (primary, additional, or its contact) in a window.

        The window defaults to a year either side of now. ``client`` is a
        lead, contact or account of the organisation (``NotFound`` otherwise).
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            ref = self._client(w, client, "client")
            lo = start if start is not None else w.now - _TIMELINE_REACH
            hi = end if end is not None else w.now + _TIMELINE_REACH
            problems = [p for p in (_aware_problem("start", lo), _aware_problem("end", hi)) if p]
            if problems:
                raise ValidationError("the timeline is invalid", problems)
            cancelled = cat.cancelled_ids
            activities = [
                a
                for a in w.uow.calendar.activities_between(w.org, lo, hi, clients=[ref])
                if a.status_id not in cancelled
            ]
            rule = self._rule(w, cat.settings)
            timeline = client_timeline(activities, ref, lo, hi, visible=rule)
            emails = [
                e
                for e in w.uow.emails.list(w.org, client=ref)
                if lo <= e.sent_at < hi and self._email_seen(w, rule, e)
            ]
            return attrs.evolve(timeline, emails=tuple(reversed(emails)))

    @staticmethod
    def _bounds(start: When | None, end: When | None) -> tuple[datetime | None, datetime | None]:
        """Instants for the stored query; dates widened, as their zone is not known yet."""

        def at(value: When | None, sign: int) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, datetime):
                if value.tzinfo is None or value.utcoffset() is None:
                    raise ValidationError(
                        "the range is invalid", [f"{value.isoformat()}: give an aware datetime"]
                    )
                return value
            return datetime.combine(value, time(), tzinfo=UTC) + sign * _DAY_MARGIN

        problems = [
            p
            for name, value in (("start", start), ("end", end))
            if value is not None and (p := _day_problem(name, value)) is not None
        ]
        if problems:
            raise ValidationError("the range is invalid", problems)
        return at(start, -1), at(end, 1)

    @text_limits(text=MAX_SEARCH_TEXT)
    def search(
        self,
        *,
        text: str = "",
        type_ids: Iterable[str] = (),
        status_ids: Iterable[str] = (),
        user_ids: Iterable[str] = (),
        clients: Iterable[ClientInput] = (),
        start: When | None = None,
        end: When | None = None,
        limit: int = 50,
        after: Cursor | str | None = None,
    ) -> SearchPage:
        """Activities the user may see matching every criterion given, by start, a page at a time.

        ``start``/``end`` keep activities with an occurrence in the range;
        ``text`` matches title, notes and location. A page holds up to
        ``limit`` activities (1 to 1000); pass its :attr:`~leadcore.calendar.SearchPage.next`
        as ``after`` for the next page. ``page_size=`` is the old name of
        ``limit=``, and a cursor's token string (``str(page.next)``) the old
        form of ``after=`` (one release each, with a ``DeprecationWarning``;
        read a token with :meth:`Cursor.parse <leadcore.Cursor.parse>`).
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids) if user_ids else []
            refs = [self._client(w, c, f"clients[{i}]") for i, c in enumerate(clients)]
            lo, hi = self._bounds(start, end)
            activities = w.uow.calendar.activities_between(
                w.org, lo, hi, user_ids=users or None, clients=refs or None
            )
            query = ActivityQuery(
                type_ids=list(type_ids),
                status_ids=list(status_ids),
                user_ids=users,
                clients=refs,
                start=start,
                end=end,
                text=text,
            )
            rule = self._rule(w, cat.settings)
            page = run_search(activities, query, visible=rule, limit=limit, after=after)
            if after is not None or type_ids or status_ids or users:
                return page  # e-mails have no type, status or participants
            emails = [
                e
                for e in w.uow.emails.list(w.org)
                if _email_matches(e, text, refs, start, end) and self._email_seen(w, rule, e)
            ]
            return attrs.evolve(page, emails=tuple(emails))

    @staticmethod
    def _email_seen(w: Writer, rule: Rule, email: Email) -> bool:
        """Unlinked e-mails are the organisation's; linked ones follow one of their activities."""
        if not email.activity_ids:
            return True
        for activity_id in email.activity_ids:
            activity = w.uow.calendar.get(w.org, activity_id)
            if activity is not None and rule(activity):
                return True
        return False

    @overload
    def report(
        self,
        start: When,
        end: When,
        *,
        user_ids: Iterable[str] | None = None,
        by: Literal["responsible", "participant"] = "responsible",
    ) -> ActivityReport: ...

    @overload
    def report(
        self,
        start: When,
        end: When,
        *,
        group_by: Sequence[ReportField | str] | ReportField | str,
        user_ids: Iterable[str] | None = None,
        text: str = "",
        type_ids: Iterable[str] = (),
        status_ids: Iterable[str] = (),
        clients: Iterable[ClientInput] = (),
    ) -> GroupedReport: ...

    @text_limits(text=MAX_SEARCH_TEXT)
    def report(
        self,
        start: When,
        end: When,
        *,
        user_ids: Iterable[str] | None = None,
        by: Literal["responsible", "participant"] = "responsible",
        group_by: Sequence[ReportField | str] | ReportField | str | None = None,
        text: str = "",
        type_ids: Iterable[str] = (),
        status_ids: Iterable[str] = (),
        clients: Iterable[ClientInput] = (),
    ) -> ActivityReport | GroupedReport:
        """Occurrences starting in ``[start, end)``: fixed counts, or grouped by any fields.

        Without ``group_by``: counts by type x status x user, with rates
        (:class:`~leadcore.calendar.ActivityReport`); ``user_ids`` limits it
        to activities those users take part in.

        With ``group_by`` (one or more of ``type``, ``status``,
        ``responsible``, ``participant``, ``client``, ``day``, ``week``,
        ``month``; see :class:`~leadcore.calendar.ReportField`): a
        :class:`~leadcore.calendar.GroupedReport` with the count, total and
        average duration of each group. Days, weeks and months are those of
        the acting user's time zone. ``text``, ``type_ids``, ``status_ids``,
        ``user_ids`` and ``clients`` filter as in :meth:`search` (the status
        being each occurrence's own).

        Only activities the user may see in detail count, in either form:
        what the user may see only as busy time adds nothing to any figure.
        """
        if group_by is None:
            given = [
                name
                for name, value in (
                    ("text", text),
                    ("type_ids", type_ids),
                    ("status_ids", status_ids),
                    ("clients", clients),
                )
                if value
            ]
            if given:
                raise ValidationError(
                    "the report is invalid",
                    [f"{name}: filters a grouped report only; give group_by" for name in given],
                )
        else:
            fields = fields_of(group_by)
            if by != "responsible":
                raise ValidationError(
                    "the report is invalid",
                    ["by: use group_by=['participant'] in a grouped report"],
                )
            _range_problems(start, end)
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids) if user_ids is not None else None
            lo, hi = self._bounds(start, end)
            if group_by is None:
                activities = w.uow.calendar.activities_between(w.org, lo, hi, user_ids=users)
                return build_report(
                    activities,
                    cat.statuses,
                    start,
                    end,
                    visible=self._rule(w, cat.settings),
                    by=by,
                )
            refs = [self._client(w, c, f"clients[{i}]") for i, c in enumerate(clients)]
            activities = w.uow.calendar.activities_between(
                w.org, lo, hi, user_ids=users or None, clients=refs or None
            )
            query = ActivityQuery(
                type_ids=list(type_ids),
                status_ids=list(status_ids),
                user_ids=users or (),
                clients=refs,
                text=text,
            )
            return group_report(
                activities,
                start,
                end,
                fields,
                query=query,
                visible=self._rule(w, cat.settings),
                zone=self._home_tz(w),
            )

    def free_slots(
        self,
        user_ids: Sequence[str] | str,
        duration: timedelta,
        window: tuple[datetime, datetime],
        *,
        buffer: timedelta = timedelta(0),
        step: timedelta = timedelta(minutes=15),
        limit: int | None = None,
        working_hours: bool = True,
    ) -> tuple[Slot, ...]:
        """Slots of ``duration`` in ``window`` when every user is free.

        Each user's working hours (their own, else the organisation's default
        hours in their own zone) limit the slots unless ``working_hours`` is
        false; ``buffer`` keeps slots that far from every busy time. Only
        times are used: free/busy is not a detail.
        """
        if not (isinstance(window, tuple) and len(window) == 2):
            raise ValidationError(
                "the free-slot search is invalid",
                [f"window: must be a (start, end) pair of aware datetimes, got {window!r}"],
            )
        start, end = window
        problems = [p for p in (_aware_problem("start", start), _aware_problem("end", end)) if p]
        if not isinstance(buffer, timedelta) or buffer < timedelta(0):
            problems.append(f"buffer: must be a timedelta of zero or more, got {shown(buffer)}")
        problems.extend(
            p
            for name, value in (("duration", duration), ("buffer", buffer), ("step", step))
            if (p := duration_problem(value, name)) is not None
        )
        if problems:
            raise ValidationError("the free-slot search is invalid", problems)
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = [self._user(w, u) for u in self._users(w, user_ids)]
            ids = [u.id for u in users]
            lo, hi = utc(start) - buffer, utc(end) + buffer
            busy: Mapping[str, Iterable[tuple[datetime, datetime]]] = dict.fromkeys(ids, ())
            if hi > lo:  # otherwise free_slots below names every problem of the input
                activities = self._shown(w, cat, lo, hi, ids)
                busy = busy_intervals(activities, ids, lo, hi, ignore_status_ids=cat.cancelled_ids)
            hours: dict[str, WorkingHours] = {}
            if working_hours:
                for user in users:
                    own = cat.settings.hours_for(user.id, self._home_tz(w, user))
                    if own is not None:
                        hours[user.id] = own
            return find_free_slots(
                busy,
                duration,
                start,
                end,
                working_hours=hours,
                buffer=buffer,
                step=step,
                limit=limit,
            )
