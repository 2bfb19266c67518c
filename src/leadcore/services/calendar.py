"""Use cases of the calendar (``s.calendar``).

Activity types, statuses and calendar settings per organisation; scheduling,
changing, rescheduling and cancelling activities (whole, one occurrence, or
one occurrence and the following ones); views, search, reports, free slots
and iCalendar export and import. Each method runs in one unit of work and
records its events with its changes.

Who sees what: a user sees the details of the activities they take part in;
with ``see_others_calendars`` also the public activities of the users whose
calendars the organisation shares with them (everyone's, or their team's:
the users they share a group with, see :class:`CalendarSettings`). Anything
else comes back as a busy block (times only) in views, timelines and
exports, and not at all in search results and reports. A user changes only
the activities they may see, and schedules only activities they could see.
"""

from __future__ import annotations

import builtins
import calendar as _calendar
import enum
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypeAlias, TypeVar
from zoneinfo import ZoneInfo

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._limits import (
    MAX_YEAR,
    MIN_YEAR,
    date_problem,
    datetime_problem,
    duration_problem,
    load_zone,
    shown,
    whole_problem,
)
from leadcore._text import MAX_DOCUMENT, MAX_SEARCH_TEXT, checks_text, text_limits
from leadcore.calendar._availability import (
    Conflict,
    Slot,
    WorkingHours,
    busy_intervals,
)
from leadcore.calendar._availability import conflicts as find_conflicts
from leadcore.calendar._availability import free_slots as find_free_slots
from leadcore.calendar._ical import IcsImport, export_source, from_ics, to_ics
from leadcore.calendar._ical_import import same_instants
from leadcore.calendar._ical_zones import iana_zone
from leadcore.calendar._instants import later, utc
from leadcore.calendar._model import (
    Activity,
    ActivityStatus,
    ActivityType,
    ClientKind,
    ClientRef,
    Occurrence,
    OccurrenceOverride,
    Privacy,
    Recurrence,
    StatusMeaning,
    When,
    instant,
)
from leadcore.calendar._outcomes import Booking, CalendarImport, ScheduleConflict
from leadcore.calendar._recurrence import expand, split_series
from leadcore.calendar._reports import ActivityReport
from leadcore.calendar._reports import report as build_report
from leadcore.calendar._series import key_of
from leadcore.calendar._settings import (
    DEFAULT_STATUSES,
    DEFAULT_TYPES,
    CalendarSettings,
    ConflictPolicy,
    SharedCalendars,
)
from leadcore.calendar._shifting import shifted
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
from leadcore.calendar._visibility import visibility_for
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.ids import is_valid_id
from leadcore.services._shared import (
    ServiceContext,
    Work,
    Writer,
    retry_on_conflict,
)
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy import Permission, User

__all__ = [
    "DEFAULT_STATUSES",
    "DEFAULT_TYPES",
    "UNSET",
    "Booking",
    "CalendarImport",
    "CalendarService",
    "CalendarSettings",
    "ConflictPolicy",
    "ScheduleConflict",
    "SharedCalendars",
]

# How far ahead a repeating activity is checked for conflicts.
_CONFLICT_HORIZON = timedelta(days=366)
# The default window of a client's timeline, either side of now.
_TIMELINE_REACH = timedelta(days=366)
# Dates given as search or report bounds are days of some zone: widen the stored query.
_DAY_MARGIN = timedelta(days=2)
_ATTEMPTS = 3


class _Unset(enum.Enum):
    """A keyword argument that was not given (distinct from ``None``, which clears)."""

    UNSET = "unset"


#: The default of :meth:`CalendarService.update`'s keywords: "leave as it is".
UNSET = _Unset.UNSET


#: A client given to the calendar: a reference, ``"kind:id"`` text, or a bare id.
ClientInput: TypeAlias = ClientRef | str


@attrs.frozen
class _Catalogue:
    """An organisation's types, statuses and settings, as stored or as defaults."""

    types: tuple[ActivityType, ...]
    statuses: tuple[ActivityStatus, ...]
    settings: CalendarSettings
    stored: bool

    def type(self, type_id: str) -> ActivityType | None:
        return next((t for t in self.types if t.id == type_id), None)

    def status(self, status_id: str) -> ActivityStatus | None:
        return next((s for s in self.statuses if s.id == status_id), None)

    @property
    def cancelled_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.statuses if s.meaning is StatusMeaning.CANCELLED)

    def first(self, meaning: StatusMeaning) -> ActivityStatus | None:
        return next((s for s in self.statuses if s.meaning is meaning), None)


Rule: TypeAlias = Callable[[Activity], bool]


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _utc(value: When, activity: Activity) -> datetime:
    return instant(value, activity.zone).astimezone(UTC)


def _aware_problem(name: str, value: object) -> str | None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        return f"{name}: must be a timezone-aware datetime, got {shown(value)}"
    return datetime_problem(value, name)


def _day_problem(name: str, value: object) -> str | None:
    if not isinstance(value, date):
        return f"{name}: must be a date, got {shown(value)}"
    return date_problem(value, name)


def _zone_of(value: object) -> str | None:
    if isinstance(value, datetime) and isinstance(value.tzinfo, ZoneInfo) and value.tzinfo.key:
        return str(value.tzinfo.key)
    return None


def _recurrence(value: Recurrence | str | None) -> Recurrence | None:
    if value is None or isinstance(value, Recurrence):
        return value
    if isinstance(value, str):
        return Recurrence(value)
    raise ValidationError(
        "the activity is invalid",
        [f"recurrence: must be a Recurrence, RRULE text or None, got {value!r}"],
    )


def _changed(old: Activity, new: Activity) -> list[str]:
    skip = {"version", "organization_id", "id"}
    return [
        f.name
        for f in attrs.fields(Activity)
        if f.init and f.name not in skip and getattr(old, f.name) != getattr(new, f.name)
    ]


def _conflict_key(c: Conflict) -> tuple[object, ...]:
    other = c.other
    if isinstance(other, Occurrence):
        return (c.user_id, c.start, c.end, other.activity_id, key_of(other.original_start))
    return (c.user_id, c.start, c.end, key_of(other.start), key_of(other.end))


@checks_text
@checked_arguments
class CalendarService:
    """The calendar of the acting user's organisation (``s.calendar``).

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from leadcore import Leadcore
    >>> core = Leadcore.open()
    >>> org, dana = core.create_organization("Agency", admin_name="Dana")
    >>> s = core.session(dana.id)
    >>> tz = ZoneInfo("Asia/Jerusalem")
    >>> booked = s.calendar.schedule(
    ...     "Kickoff", start=datetime(2026, 3, 2, 10, tzinfo=tz),
    ...     end=datetime(2026, 3, 2, 11, tzinfo=tz), type_id="kickoff",
    ... )
    >>> booked.activity.status_id, booked.activity.tz
    ('scheduled', 'Asia/Jerusalem')
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- shared helpers --------------------------------------------------------------

    def _work(self, permission: Permission | None = None, action: str = "") -> Work:
        return Work(self._ctx, permission, action)

    @staticmethod
    def _catalogue(uow: UnitOfWork, org: str) -> _Catalogue:
        types = uow.calendar.types(org)
        statuses = uow.calendar.statuses(org)
        settings = uow.calendar.settings(org) or CalendarSettings()
        stored = types is not None and statuses is not None
        return _Catalogue(
            tuple(types) if types is not None else DEFAULT_TYPES,
            tuple(statuses) if statuses is not None else DEFAULT_STATUSES,
            settings,
            stored,
        )

    @staticmethod
    def _seed(w: Writer, cat: _Catalogue) -> None:
        """Store the defaults on first use, so later changes of the defaults never move them."""
        if cat.stored:
            return
        if w.uow.calendar.types(w.org) is None:
            w.uow.calendar.put_types(w.org, cat.types)
        if w.uow.calendar.statuses(w.org) is None:
            w.uow.calendar.put_statuses(w.org, cat.statuses)

    @staticmethod
    def _rule(w: Writer, settings: CalendarSettings) -> Rule:
        me = w.actor.user.id
        if not w.actor.has(Permission.SEE_OTHERS_CALENDARS):
            return visibility_for(me)
        if settings.shared_calendars is SharedCalendars.ALL:
            return visibility_for(me, all_calendars=True)
        team = frozenset(
            member
            for group in w.uow.groups.list(w.org)
            if me in group.member_ids
            for member in group.member_ids
        )
        return visibility_for(me, calendars=team)

    @staticmethod
    def _home_tz(w: Writer, user: User | None = None) -> str:
        who = user if user is not None else w.actor.user
        if who.timezone:
            return who.timezone
        org = w.uow.organizations.get(w.org)
        return org.timezone if org is not None else "UTC"

    @staticmethod
    def _user(w: Writer, user_id: str) -> User:
        user = w.uow.users.get(w.org, user_id) if isinstance(user_id, str) else None
        if user is None:
            raise NotFound("user", user_id)
        return user

    def _users(self, w: Writer, user_ids: Iterable[str] | str) -> list[str]:
        ids = [user_ids] if isinstance(user_ids, str) else list(dict.fromkeys(user_ids))
        for user_id in ids:
            self._user(w, user_id)
        return ids

    @staticmethod
    def _visible(w: Writer, rule: Rule, activity_id: str) -> Activity:
        activity = w.uow.calendar.get(w.org, activity_id) if isinstance(activity_id, str) else None
        if activity is None or not rule(activity):
            # An activity the user may not see is answered like one that does not exist.
            raise NotFound("activity", activity_id)
        return activity

    @staticmethod
    def _check_version(activity: Activity, expected_version: int | None) -> None:
        if expected_version is not None and activity.version != expected_version:
            raise ConflictError(
                f"activity {activity.id!r} is at version {activity.version}, "
                f"not {expected_version}: it was changed meanwhile"
            )

    def _client(self, w: Writer, value: ClientInput, path: str) -> ClientRef:
        """The reference of an existing client of the organisation."""
        getters: dict[ClientKind, Callable[[str, str], object | None]] = {
            ClientKind.LEAD: w.uow.leads.get,
            ClientKind.CONTACT: w.uow.contacts.get,
            ClientKind.ACCOUNT: w.uow.accounts.get,
        }
        if isinstance(value, ClientRef):
            ref = value
        elif isinstance(value, str) and ":" in value:
            ref = ClientRef.parse(value)
        elif isinstance(value, str) and value:
            for kind, get in getters.items():
                if get(w.org, value) is not None:
                    return ClientRef(kind, value)
            raise NotFound("client", value)
        else:
            raise ValidationError(
                "the client is invalid",
                [f"{path}: must be a ClientRef, 'kind:id' text or a client id, got {value!r}"],
            )
        if getters[ref.kind](w.org, ref.id) is None:
            raise NotFound(ref.kind.value, ref.id)
        return ref

    def _check_refs(self, w: Writer, cat: _Catalogue, new: Activity, old: Activity | None) -> None:
        """Users, clients, contact, type and statuses of ``new`` exist in the organisation."""
        problems: list[str] = []
        if cat.type(new.type_id) is None:
            known = ", ".join(t.id for t in cat.types)
            problems.append(f"type_id: {new.type_id!r} is not an activity type (known: {known})")
        overrides = new.recurrence.overrides if new.recurrence is not None else ()
        statuses = [("status_id", new.status_id)] + [
            (f"recurrence.overrides[{i}].status_id", o.status_id)
            for i, o in enumerate(overrides)
            if o.status_id is not None
        ]
        for path, status_id in statuses:
            if cat.status(status_id) is None:
                known = ", ".join(s.id for s in cat.statuses)
                problems.append(f"{path}: {status_id!r} is not an activity status (known: {known})")
        before = set(old.participant_ids) if old is not None else set()
        for i, user_id in enumerate(new.participant_ids):
            user = self._user(w, user_id)
            path = "responsible_user_id" if i == 0 else f"user_ids[{i - 1}]"
            if not user.active and user_id not in before:
                problems.append(f"{path}: user {user.name!r} ({user_id}) is inactive")
        for i, ref in enumerate(new.clients):
            self._client(w, ref, "client" if ref == new.client else f"more_clients[{i}]")
        if new.contact_id is not None:
            contact = w.uow.contacts.get(w.org, new.contact_id)
            if contact is None:
                raise NotFound("contact", new.contact_id)
            client = new.client
            if (
                client is not None
                and client.kind is ClientKind.ACCOUNT
                and contact.account_id != client.id
            ):
                problems.append(
                    f"contact_id: contact {contact.id!r} is not a contact of account {client.id!r}"
                )
        if problems:
            raise ValidationError(f"activity {new.id!r} is invalid", problems)

    @staticmethod
    def _may_hold(w: Writer, rule: Rule, activity: Activity) -> None:
        if not rule(activity):
            raise Forbidden(
                f"user {w.actor.user.name!r} may only schedule or change activities they take "
                "part in, or public ones in the calendars they may see (the "
                "'see_others_calendars' permission)",
                permission=str(Permission.SEE_OTHERS_CALENDARS),
            )

    def _conflicts(
        self,
        w: Writer,
        cat: _Catalogue,
        rule: Rule,
        proposed: Activity,
        *,
        before: Sequence[Activity] = (),
        others: Sequence[Activity] = (),
        skip_ids: Collection[str] = (),
    ) -> tuple[Conflict, ...]:
        """The clashes of ``proposed`` that none of ``before`` (earlier versions) had.

        ``others`` are activities not stored yet that ``proposed`` may clash
        with; ``skip_ids`` are stored ones it may not (the series it was
        split from).
        """
        ignore = cat.cancelled_ids
        spans: list[tuple[datetime, datetime]] = []
        for a in (proposed, *before):
            first = _utc(a.start, a)
            occurrences = expand(a, first, _horizon(a) + timedelta(microseconds=1)).occurrences
            spans.extend((o.starts_at, o.ends_at) for o in occurrences)
        if not spans:
            return ()
        lo = min(s for s, _ in spans)
        hi = max(e for _, e in spans)
        users = set(proposed.participant_ids)
        for b in before:
            users.update(b.participant_ids)
        stored = w.uow.calendar.activities_between(w.org, lo, hi, user_ids=users)
        existing = [a for a in stored if a.id not in skip_ids] + list(others)

        def clashes(a: Activity) -> tuple[Conflict, ...]:
            return find_conflicts(
                a,
                [x for x in existing if x.id != a.id],
                until=_horizon(a),
                ignore_status_ids=ignore,
                visible=rule,
            )

        found = clashes(proposed)
        if not found or not before:
            return found
        known = {_conflict_key(c) for b in before for c in clashes(b)}
        return tuple(c for c in found if _conflict_key(c) not in known)

    @staticmethod
    def _enforce(cat: _Catalogue, found: tuple[Conflict, ...]) -> None:
        if found and cat.settings.conflicts is ConflictPolicy.REJECT:
            raise ScheduleConflict(found)

    @staticmethod
    def _save(w: Writer, old: Activity, new: Activity) -> Activity:
        new = attrs.evolve(new, version=old.version + 1)
        w.uow.calendar.update(new, expected_version=old.version)
        return new

    def _split(self, activity: Activity, at: When) -> tuple[Activity, Activity]:
        return split_series(activity, at, new_id=self._ctx.ids.new("activity"))

    @staticmethod
    def _occurrence(activity: Activity, occurrence: When) -> When:
        """Check that ``occurrence`` is the original start of one occurrence of ``activity``."""
        where = f"activity {activity.id!r}: cannot change one occurrence"
        if activity.recurrence is None:
            raise ValidationError(
                where, ["occurrence: the activity does not repeat; change it whole instead"]
            )
        if activity.all_day:
            if isinstance(occurrence, datetime) or not isinstance(occurrence, date):
                raise ValidationError(
                    where, [f"occurrence: must be a date for an all-day series, got {occurrence!r}"]
                )
        else:
            problem = _aware_problem("occurrence", occurrence)
            if problem is not None:
                raise ValidationError(where, [problem])
        key = key_of(occurrence)
        series = activity._series
        if key in series.exdates:
            raise ValidationError(where, [f"occurrence: {occurrence} was excluded from the series"])
        if not series.contains(key):
            raise ValidationError(
                where,
                [
                    f"occurrence: {occurrence} is not the original start of an occurrence "
                    "(give the start the series put it at, even if it was moved)"
                ],
            )
        return occurrence

    @staticmethod
    def _is_first(activity: Activity, occurrence: When) -> bool:
        return key_of(occurrence) == key_of(activity.start)

    @staticmethod
    def _edit(activity: Activity, occurrence: When, **changes: object) -> Activity:
        """``activity`` with the override of one occurrence changed by ``changes``."""
        rec = activity.recurrence
        assert rec is not None
        current = rec.override_for(occurrence)
        edited = attrs.evolve(current or OccurrenceOverride(occurrence), **changes)  # type: ignore[arg-type]
        kept = [o for o in rec.overrides if o is not current]
        plain = OccurrenceOverride(edited.original_start)
        overrides = kept if edited == plain else [*kept, edited]
        return attrs.evolve(activity, recurrence=attrs.evolve(rec, overrides=overrides))

    def _time_zone(self, w: Writer, start: object, tz: str | None, responsible: str | None) -> str:
        if tz is not None:
            return tz
        own = _zone_of(start)
        if own is not None:
            return own
        user = w.uow.users.get(w.org, responsible) if responsible else None
        return self._home_tz(w, user)

    # -- types, statuses and settings -------------------------------------------------

    def types(self) -> builtins.list[ActivityType]:
        """The organisation's activity types, in order."""
        with self._work() as w:
            return list(self._catalogue(w.uow, w.org).types)

    def statuses(self) -> builtins.list[ActivityStatus]:
        """The organisation's activity statuses, in order."""
        with self._work() as w:
            return list(self._catalogue(w.uow, w.org).statuses)

    def settings(self) -> CalendarSettings:
        """The organisation's calendar settings."""
        with self._work() as w:
            return self._catalogue(w.uow, w.org).settings

    def save_type(self, activity_type: ActivityType) -> ActivityType:
        """Add an activity type, or replace the one with its id (needs ``manage_calendar``)."""
        if not isinstance(activity_type, ActivityType):
            raise ValidationError(
                "cannot save the activity type",
                [f"activity_type: must be an ActivityType, got {activity_type!r}"],
            )
        with self._work(Permission.MANAGE_CALENDAR, "manage activity types") as w:
            cat = self._catalogue(w.uow, w.org)
            types = _put_by_id(cat.types, activity_type)
            self._check_types(types)
            self._seed(w, cat)
            w.uow.calendar.put_types(w.org, types)
            w.emit(ev.CalendarSettingsChanged, fields=["types"])
            w.uow.commit()
        return activity_type

    def remove_type(self, type_id: str) -> None:
        """Remove an activity type no activity uses (needs ``manage_calendar``)."""
        with self._work(Permission.MANAGE_CALENDAR, "manage activity types") as w:
            cat = self._catalogue(w.uow, w.org)
            if cat.type(type_id) is None:
                raise NotFound("activity type", type_id)
            if w.uow.calendar.in_use(w.org, type_id=type_id):
                raise ValidationError(
                    f"cannot remove activity type {type_id!r}",
                    ["activities have this type; change their type first"],
                )
            types = [t for t in cat.types if t.id != type_id]
            self._check_types(types)
            self._seed(w, cat)
            w.uow.calendar.put_types(w.org, types)
            w.emit(ev.CalendarSettingsChanged, fields=["types"])
            w.uow.commit()

    @staticmethod
    def _check_types(types: Sequence[ActivityType]) -> None:
        ids = {t.id for t in types}
        problems = [
            f"types[{i}].next_type_id: {t.next_type_id!r} is not an activity type"
            for i, t in enumerate(types)
            if t.next_type_id is not None and t.next_type_id not in ids
        ]
        if not types:
            problems.append("types: keep at least one activity type")
        if problems:
            raise ValidationError("the activity types are invalid", problems)

    def save_status(self, status: ActivityStatus) -> ActivityStatus:
        """Add an activity status, or replace the one with its id (needs ``manage_calendar``)."""
        if not isinstance(status, ActivityStatus):
            raise ValidationError(
                "cannot save the activity status",
                [f"status: must be an ActivityStatus, got {status!r}"],
            )
        with self._work(Permission.MANAGE_CALENDAR, "manage activity statuses") as w:
            cat = self._catalogue(w.uow, w.org)
            statuses = _put_by_id(cat.statuses, status)
            self._check_statuses(statuses)
            self._seed(w, cat)
            w.uow.calendar.put_statuses(w.org, statuses)
            w.emit(ev.CalendarSettingsChanged, fields=["statuses"])
            w.uow.commit()
        return status

    def remove_status(self, status_id: str) -> None:
        """Remove an activity status no activity uses (needs ``manage_calendar``)."""
        with self._work(Permission.MANAGE_CALENDAR, "manage activity statuses") as w:
            cat = self._catalogue(w.uow, w.org)
            if cat.status(status_id) is None:
                raise NotFound("activity status", status_id)
            if w.uow.calendar.in_use(w.org, status_id=status_id):
                raise ValidationError(
                    f"cannot remove activity status {status_id!r}",
                    ["activities (or edited occurrences) have this status; change it first"],
                )
            statuses = [s for s in cat.statuses if s.id != status_id]
            self._check_statuses(statuses)
            self._seed(w, cat)
            w.uow.calendar.put_statuses(w.org, statuses)
            w.emit(ev.CalendarSettingsChanged, fields=["statuses"])
            w.uow.commit()

    @staticmethod
    def _check_statuses(statuses: Sequence[ActivityStatus]) -> None:
        if not any(s.meaning is StatusMeaning.OPEN for s in statuses):
            raise ValidationError(
                "the activity statuses are invalid",
                ["statuses: keep at least one open status (new activities take the first one)"],
            )

    def configure(self, settings: CalendarSettings) -> CalendarSettings:
        """Replace the calendar settings (needs ``manage_calendar``)."""
        if not isinstance(settings, CalendarSettings):
            raise ValidationError(
                "invalid calendar settings",
                [f"settings: must be CalendarSettings, got {settings!r}"],
            )
        problems = settings.problems()
        if problems:
            raise ValidationError("invalid calendar settings", problems)
        with self._work(Permission.MANAGE_CALENDAR, "change calendar settings") as w:
            for user_id in settings.working_hours:
                self._user(w, user_id)
            old = self._catalogue(w.uow, w.org).settings
            w.uow.calendar.put_settings(w.org, settings)
            changed = [
                f.name
                for f in attrs.fields(CalendarSettings)
                if getattr(old, f.name) != getattr(settings, f.name)
            ]
            if changed:
                w.emit(ev.CalendarSettingsChanged, fields=changed)
            w.uow.commit()
        return settings

    # -- scheduling ------------------------------------------------------------------

    def schedule(
        self,
        title: str,
        *,
        start: When,
        end: When,
        tz: str | None = None,
        type_id: str | None = None,
        status_id: str | None = None,
        responsible_user_id: str | None = None,
        user_ids: Sequence[str] = (),
        client: ClientInput | None = None,
        contact_id: str | None = None,
        more_clients: Sequence[ClientInput] = (),
        location: str = "",
        notes: str = "",
        privacy: Privacy | str = Privacy.PUBLIC,
        reminders: Sequence[timedelta] = (),
        recurrence: Recurrence | str | None = None,
    ) -> Booking:
        """Put an activity in the calendar.

        ``start``/``end`` are aware datetimes, or dates for an all-day
        activity (``end`` exclusive). ``tz`` (an IANA name) defaults to the
        zone of ``start`` if it is a :class:`~zoneinfo.ZoneInfo`, else the
        responsible user's, else the organisation's. The responsible user
        (default: the acting user) must be an active user of the
        organisation; clients are leads, contacts or accounts of it
        (:class:`~leadcore.calendar.ClientRef`, ``"lead:lead-7"`` or a bare
        id). ``type_id`` defaults to the first type, ``status_id`` to the
        first open status. Participants' conflicts are checked (a repeating
        activity for a year ahead): rejected with :class:`ScheduleConflict`
        or reported in :attr:`Booking.conflicts`, as the organisation's
        settings say.
        """

        def run() -> Booking:
            with self._work() as w:
                booking = self._schedule(
                    w,
                    title=title,
                    start=start,
                    end=end,
                    tz=tz,
                    type_id=type_id,
                    status_id=status_id,
                    responsible_user_id=responsible_user_id,
                    user_ids=user_ids,
                    client=client,
                    contact_id=contact_id,
                    more_clients=more_clients,
                    location=location,
                    notes=notes,
                    privacy=privacy,
                    reminders=reminders,
                    recurrence=recurrence,
                )
                w.uow.commit()
                return booking

        # Two first uses storing the default types at once: run again to see them.
        return retry_on_conflict(run, _ATTEMPTS)

    def _schedule(
        self,
        w: Writer,
        *,
        title: str,
        start: When,
        end: When,
        tz: str | None,
        type_id: str | None,
        status_id: str | None,
        responsible_user_id: str | None,
        user_ids: Sequence[str],
        client: ClientInput | None,
        contact_id: str | None,
        more_clients: Sequence[ClientInput],
        location: str,
        notes: str,
        privacy: Privacy | str,
        reminders: Sequence[timedelta],
        recurrence: Recurrence | str | None,
    ) -> Booking:
        cat = self._catalogue(w.uow, w.org)
        rule = self._rule(w, cat.settings)
        responsible = responsible_user_id or w.actor.user.id
        first_open = cat.first(StatusMeaning.OPEN)
        assert first_open is not None  # the statuses always keep one
        refs = [self._client(w, c, f"more_clients[{i}]") for i, c in enumerate(more_clients)]
        activity = Activity(
            id=self._ctx.ids.new("activity"),
            organization_id=w.org,
            type_id=type_id or cat.types[0].id,
            status_id=status_id or first_open.id,
            title=title.strip() if isinstance(title, str) else title,
            notes=notes,
            responsible_user_id=responsible,
            user_ids=user_ids,
            client=self._client(w, client, "client") if client is not None else None,
            contact_id=contact_id,
            more_clients=refs,
            location=location,
            start=start,
            end=end,
            tz=self._time_zone(w, start, tz, responsible),
            privacy=privacy,
            reminders=reminders,
            recurrence=_recurrence(recurrence),
        )
        self._check_refs(w, cat, activity, None)
        self._may_hold(w, rule, activity)
        found = self._conflicts(w, cat, rule, activity)
        self._enforce(cat, found)
        self._seed(w, cat)
        w.uow.calendar.add(activity)
        self._scheduled(w, activity, len(found), "schedule")
        return Booking(activity, found)

    @staticmethod
    def _scheduled(w: Writer, a: Activity, conflicts: int, source: str) -> None:
        w.emit(
            ev.ActivityScheduled,
            activity_id=a.id,
            type_id=a.type_id,
            status_id=a.status_id,
            responsible_user_id=a.responsible_user_id,
            user_ids=a.user_ids,
            start=_utc(a.start, a),
            end=_utc(a.end, a),
            all_day=a.all_day,
            recurring=a.is_recurring,
            conflicts=conflicts,
            source=source,
        )

    def get(self, activity_id: str) -> Activity:
        """One activity the user may see (``NotFound`` for any other)."""
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            return self._visible(w, self._rule(w, cat.settings), activity_id)

    def update(
        self,
        activity_id: str,
        *,
        title: str | _Unset = UNSET,
        notes: str | _Unset = UNSET,
        location: str | _Unset = UNSET,
        type_id: str | _Unset = UNSET,
        responsible_user_id: str | _Unset = UNSET,
        user_ids: Sequence[str] | _Unset = UNSET,
        client: ClientInput | _Unset | None = UNSET,
        contact_id: str | _Unset | None = UNSET,
        more_clients: Sequence[ClientInput] | _Unset = UNSET,
        privacy: Privacy | str | _Unset = UNSET,
        reminders: Sequence[timedelta] | _Unset = UNSET,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Booking:
        """Change an activity's details; what is not given stays as it is.

        With ``occurrence`` (the original start of one occurrence of a
        series), only that occurrence changes, and only its title, notes and
        location may; with ``following=True`` too, that occurrence and the
        later ones become a new series (:attr:`Booking.activity`) with the
        changes, and the original ends before it (:attr:`Booking.previous`).
        New participants are checked for conflicts.
        """
        changes: dict[str, object] = {
            name: value
            for name, value in (
                ("title", title),
                ("notes", notes),
                ("location", location),
                ("type_id", type_id),
                ("responsible_user_id", responsible_user_id),
                ("user_ids", user_ids),
                ("client", client),
                ("contact_id", contact_id),
                ("more_clients", more_clients),
                ("privacy", privacy),
                ("reminders", reminders),
            )
            if value is not UNSET
        }
        if isinstance(changes.get("title"), str):
            changes["title"] = str(changes["title"]).strip()
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if not isinstance(client, _Unset) and client is not None:
                changes["client"] = self._client(w, client, "client")
            if not isinstance(more_clients, _Unset):
                changes["more_clients"] = [
                    self._client(w, c, f"more_clients[{i}]") for i, c in enumerate(more_clients)
                ]
            if occurrence is not None and not following:
                one_only = {"title", "notes", "location"}
                extra = sorted(set(changes) - one_only)
                if extra:
                    raise ValidationError(
                        f"activity {old.id!r}: cannot change one occurrence",
                        [
                            f"{name}: only title, notes and location change for one "
                            "occurrence; change the series, or pass following=True"
                            for name in extra
                        ],
                    )
                self._occurrence(old, occurrence)
                new = self._edit(old, occurrence, **changes)
                saved = self._save(w, old, new)
                w.emit(
                    ev.ActivityUpdated,
                    activity_id=old.id,
                    fields=sorted(changes),
                    occurrence=_utc(occurrence, old),
                )
                w.uow.commit()
                return Booking(saved)
            head: Activity | None = None
            base = old
            if occurrence is not None:
                self._occurrence(old, occurrence)
                if not self._is_first(old, occurrence):
                    head, base = self._split(old, occurrence)
            new = attrs.evolve(base, **changes)  # type: ignore[arg-type]
            if head is None and not _changed(old, new):
                return Booking(old)  # nothing to change: no new version, no event
            self._check_refs(w, cat, new, base)
            self._may_hold(w, rule, new)
            found: tuple[Conflict, ...] = ()
            if set(new.participant_ids) - set(base.participant_ids):
                found = self._conflicts(
                    w,
                    cat,
                    rule,
                    new,
                    before=[base],
                    others=[head] if head is not None else [],
                    skip_ids=[old.id] if head is not None else [],
                )
                self._enforce(cat, found)
            if head is None:
                saved = self._save(w, old, new)
                w.emit(ev.ActivityUpdated, activity_id=old.id, fields=_changed(old, new))
                w.uow.commit()
                return Booking(saved, found)
            kept = self._save(w, old, head)
            w.uow.calendar.add(new)
            assert occurrence is not None
            w.emit(
                ev.ActivityUpdated,
                activity_id=old.id,
                fields=_changed(base, new),
                occurrence=_utc(occurrence, old),
                following=True,
                new_activity_id=new.id,
            )
            w.uow.commit()
            return Booking(new, found, kept)

    def reschedule(
        self,
        activity_id: str,
        start: When,
        end: When | None = None,
        *,
        tz: str | None = None,
        recurrence: Recurrence | str | _Unset | None = UNSET,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Booking:
        """Move an activity, one occurrence, or one occurrence and the following ones.

        ``end`` defaults to keeping the duration. Moving a whole series moves
        its exclusions, extra dates and edited occurrences along by the same
        wall-clock difference, unless ``recurrence`` gives the new one (or
        ``None``, to stop repeating). With ``occurrence`` (an original
        start), only that occurrence moves; with ``following=True`` too, it
        and the later ones move as a new series. Conflicts the move
        introduces are checked as when scheduling.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if occurrence is not None and not following:
                self._occurrence(old, occurrence)
                if recurrence is not UNSET or tz is not None:
                    raise ValidationError(
                        f"activity {old.id!r}: cannot move one occurrence",
                        ["recurrence, tz: change them for the series, or pass following=True"],
                    )
                # As instants: ``==`` would take 01:30 of the repeated hour's second
                # run for the first one's, and drop the move.
                same = (
                    key_of(start) == key_of(occurrence)
                    if _is_aware(start) and _is_aware(occurrence)
                    else start == occurrence
                )
                new = self._edit(
                    old, occurrence, start=None if same and end is None else start, end=end
                )
                found = self._conflicts(w, cat, rule, new, before=[old])
                self._enforce(cat, found)
                saved = self._save(w, old, new)
                w.emit(
                    ev.ActivityRescheduled,
                    activity_id=old.id,
                    start=_utc(start, old),
                    end=_end_at(old, start, end),
                    occurrence=_utc(occurrence, old),
                    conflicts=len(found),
                )
                w.uow.commit()
                return Booking(saved, found)
            head: Activity | None = None
            base = old
            if occurrence is not None:
                self._occurrence(old, occurrence)
                if not self._is_first(old, occurrence):
                    head, base = self._split(old, occurrence)
            new = self._moved(w, base, start, end, tz, recurrence)
            self._may_hold(w, rule, new)
            found = self._conflicts(
                w,
                cat,
                rule,
                new,
                before=[base],
                others=[head] if head is not None else [],
                skip_ids=[old.id] if head is not None else [],
            )
            self._enforce(cat, found)
            kept: Activity | None = None
            if head is None:
                saved = self._save(w, old, new)
            else:
                kept = self._save(w, old, head)
                w.uow.calendar.add(new)
                saved = new
            w.emit(
                ev.ActivityRescheduled,
                activity_id=old.id,
                start=_utc(saved.start, saved),
                end=_utc(saved.end, saved),
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=head is not None,
                new_activity_id=new.id if head is not None else None,
                conflicts=len(found),
            )
            w.uow.commit()
            return Booking(saved, found, kept)

    def _moved(
        self,
        w: Writer,
        activity: Activity,
        start: When,
        end: When | None,
        tz: str | None,
        recurrence: Recurrence | str | _Unset | None,
    ) -> Activity:
        where = f"activity {activity.id!r}: cannot move it"
        new_tz = tz or _zone_of(start) or activity.tz
        all_day = not isinstance(start, datetime)
        if end is None:
            if all_day != activity.all_day:
                raise ValidationError(
                    where, ["end: give the end when changing between all-day and timed"]
                )
            if isinstance(start, datetime) and isinstance(activity.start, datetime):
                end = later(start, activity.duration)
            elif isinstance(start, date):
                end = start + timedelta(days=activity.duration.days)
        rec: Recurrence | None
        if recurrence is not UNSET:
            rec = _recurrence(recurrence)
        elif activity.recurrence is None:
            rec = None
        else:
            old_rec = activity.recurrence
            zone, problem = load_zone(new_tz)
            if zone is None:
                raise ValidationError(where, [f"tz: {problem}"])
            if all_day != activity.all_day:
                if old_rec.exdates or old_rec.rdates or old_rec.overrides:
                    raise ValidationError(
                        where,
                        [
                            "recurrence: between all-day and timed, exclusions and edits "
                            "cannot move along; give the new recurrence"
                        ],
                    )
                rec = Recurrence(old_rec.rule)
            elif isinstance(start, datetime):
                problem = _aware_problem("start", start)
                if problem is not None:
                    raise ValidationError(where, [problem])
                assert isinstance(activity.start, datetime)
                old_wall = activity.start.replace(tzinfo=None)
                new_wall = start.astimezone(zone).replace(tzinfo=None)
                rec = shifted(old_rec, new_wall - old_wall, activity.zone, zone)
            else:
                assert isinstance(activity.start, date)
                rec = shifted(old_rec, start - activity.start, activity.zone, zone)
        assert end is not None
        return attrs.evolve(activity, start=start, end=end, tz=new_tz, recurrence=rec)

    def set_status(
        self,
        activity_id: str,
        status_id: str,
        *,
        occurrence: When | None = None,
        following: bool = False,
        expected_version: int | None = None,
    ) -> Activity:
        """Move an activity (or one occurrence, or it and the following ones) to a status.

        The event records the follow-up type the activity's type suggests
        when the new status completes it (``done`` or ``succeeded``).
        Returns the activity holding the changed occurrences.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            status = cat.status(status_id)
            if status is None:
                known = ", ".join(s.id for s in cat.statuses)
                raise ValidationError(
                    f"cannot change the status of activity {old.id!r}",
                    [f"status_id: {status_id!r} is not an activity status (known: {known})"],
                )
            head: Activity | None = None
            from_status = old.status_id
            if occurrence is not None and not following:
                self._occurrence(old, occurrence)
                current = old.recurrence.override_for(occurrence) if old.recurrence else None
                if current is not None and current.status_id is not None:
                    from_status = current.status_id
                value = None if status_id == old.status_id else status_id
                # A cancelled occurrence leaves views and availability, as cancel() does.
                dropped = status.meaning is StatusMeaning.CANCELLED
                edited = self._edit(old, occurrence, status_id=value, cancelled=dropped)
                saved = self._save(w, old, edited)
                result = saved
            else:
                base = old
                if occurrence is not None:
                    self._occurrence(old, occurrence)
                    if not self._is_first(old, occurrence):
                        head, base = self._split(old, occurrence)
                new = attrs.evolve(base, status_id=status_id)
                if head is None:
                    result = self._save(w, old, new)
                else:
                    self._save(w, old, head)
                    w.uow.calendar.add(new)
                    result = new
            kind = cat.type(old.type_id)
            suggested = (
                kind.next_type_id if kind is not None and status.meaning.is_completed else None
            )
            w.emit(
                ev.ActivityStatusChanged,
                activity_id=old.id,
                from_status=from_status,
                to_status=status_id,
                meaning=str(status.meaning),
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=head is not None,
                new_activity_id=result.id if head is not None else None,
                next_type_id=suggested,
            )
            w.uow.commit()
            return result

    def cancel(
        self,
        activity_id: str,
        *,
        occurrence: When | None = None,
        following: bool = False,
        status_id: str | None = None,
        expected_version: int | None = None,
    ) -> Activity:
        """Cancel an activity, one occurrence of a series, or it and the following ones.

        A whole activity takes a cancelled status (``status_id``, default the
        first status meaning cancelled) and stays in the calendar's records:
        views and availability leave it out, reports count it. One
        occurrence is marked cancelled; "this and the following" ends the
        series before the occurrence.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            old = self._visible(w, rule, activity_id)
            self._check_version(old, expected_version)
            if occurrence is not None:
                self._occurrence(old, occurrence)
            whole = occurrence is None or (following and self._is_first(old, occurrence))
            chosen: str | None = None
            if whole:
                status = cat.status(status_id) if status_id else cat.first(StatusMeaning.CANCELLED)
                if status is None or status.meaning is not StatusMeaning.CANCELLED:
                    cancelled = ", ".join(sorted(cat.cancelled_ids)) or "none"
                    raise ValidationError(
                        f"cannot cancel activity {old.id!r}",
                        [
                            f"status_id: {status_id!r} is not a cancelled status "
                            f"(cancelled statuses: {cancelled}; add one with save_status)"
                        ],
                    )
                chosen = status.id
                saved = self._save(w, old, attrs.evolve(old, status_id=status.id))
            elif following:
                assert occurrence is not None
                head, _ = split_series(old, occurrence, new_id=f"{old.id}-cancelled")
                saved = self._save(w, old, head)
            else:
                assert occurrence is not None
                saved = self._save(w, old, self._edit(old, occurrence, cancelled=True))
            w.emit(
                ev.ActivityCancelled,
                activity_id=old.id,
                occurrence=_utc(occurrence, old) if occurrence is not None else None,
                following=following and occurrence is not None,
                status_id=chosen,
            )
            w.uow.commit()
            return saved

    # -- views -------------------------------------------------------------------------

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
        day: date,
        *,
        user_ids: Sequence[str] | str | None = None,
        tz: str | None = None,
        first_weekday: int | None = None,
    ) -> PeriodView:
        """The week containing ``day`` of ``user_ids`` (default: the acting user).

        Weeks start on ``first_weekday`` (default: the organisation's setting).
        """
        problem = _day_problem("day", day)
        if problem is not None:
            raise ValidationError("the view is invalid", [problem])
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, w.actor.user.id if user_ids is None else user_ids)
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
        year: int,
        month: int,
        *,
        user_ids: Sequence[str] | str | None = None,
        tz: str | None = None,
    ) -> PeriodView:
        """Every day of ``month`` of ``year`` of ``user_ids`` (default: the acting user)."""
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
            users = self._users(w, w.actor.user.id if user_ids is None else user_ids)
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
            return client_timeline(activities, ref, lo, hi, visible=self._rule(w, cat.settings))

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
        page_size: int = 50,
        after: str | None = None,
    ) -> SearchPage:
        """Activities the user may see matching every criterion given, by start, a page at a time.

        ``start``/``end`` keep activities with an occurrence in the range;
        ``text`` matches title, notes and location. Pass the page's
        ``next_cursor`` as ``after`` for the next page.
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
            return run_search(
                activities,
                query,
                visible=self._rule(w, cat.settings),
                page_size=page_size,
                after=after,
            )

    def report(
        self,
        start: When,
        end: When,
        *,
        user_ids: Iterable[str] | None = None,
        by: Literal["responsible", "participant"] = "responsible",
    ) -> ActivityReport:
        """Occurrences starting in ``[start, end)`` by type x status x user, with rates.

        Only activities the user may see in detail count; ``user_ids``
        limits it to activities those users take part in.
        """
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            users = self._users(w, user_ids) if user_ids is not None else None
            lo, hi = self._bounds(start, end)
            activities = w.uow.calendar.activities_between(w.org, lo, hi, user_ids=users)
            return build_report(
                activities,
                cat.statuses,
                start,
                end,
                visible=self._rule(w, cat.settings),
                by=by,
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

    # -- iCalendar -----------------------------------------------------------------------

    @staticmethod
    def _source(w: Writer) -> str | None:
        org = w.uow.organizations.get(w.org)
        return None if org is None else export_source(org.id, org.created_at)

    @staticmethod
    def _addresses(w: Writer) -> dict[str, str]:
        return {u.id: f"mailto:{u.email}" for u in w.uow.users.list(w.org) if u.email}

    def export_ics(
        self,
        *,
        user_id: str | None = None,
        client: ClientInput | None = None,
        activity_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        name: str | None = None,
    ) -> str:
        """A calendar as iCalendar text (needs the ``ical`` extra).

        Give one of ``user_id`` (a user's calendar; the default is the acting
        user's), ``client`` (a client's timeline) or ``activity_id`` (one
        activity). ``start``/``end`` keep the activities that may take place
        in that range. Activities the user may not see are exported as busy
        time only.
        """
        chosen = [
            n
            for n, v in (("user_id", user_id), ("client", client), ("activity_id", activity_id))
            if v is not None
        ]
        if len(chosen) > 1:
            raise ValidationError(
                "the export is invalid",
                [f"{', '.join(chosen)}: give one of user_id, client or activity_id"],
            )
        problems = [
            p
            for p in (
                _aware_problem("start", start) if start is not None else None,
                _aware_problem("end", end) if end is not None else None,
            )
            if p
        ]
        if problems:
            raise ValidationError("the export is invalid", problems)
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            activities: Sequence[Activity]
            if activity_id is not None:
                activities = [self._visible(w, rule, activity_id)]
            elif client is not None:
                ref = self._client(w, client, "client")
                activities = w.uow.calendar.activities_between(w.org, start, end, clients=[ref])
            else:
                who = self._user(w, user_id or w.actor.user.id)
                activities = w.uow.calendar.activities_between(w.org, start, end, user_ids=[who.id])
            return to_ics(
                activities,
                cat.statuses,
                now=w.now,
                visible=rule,
                addresses=self._addresses(w),
                name=name,
                source=self._source(w),
            )

    @text_limits(text=MAX_DOCUMENT)
    def import_ics(
        self,
        text: str | bytes,
        *,
        type_id: str | None = None,
        responsible_user_id: str | None = None,
        default_tz: str | None = None,
    ) -> CalendarImport:
        """Import the events of an iCalendar file (needs the ``ical`` extra).

        ``text`` is UTF-8 (bytes may start with a byte-order mark). Events
        this organisation exported keep their type, status, users and
        clients; others take ``type_id`` (default: the first type), a status
        from their STATUS, as responsible user the one whose e-mail address
        is their ORGANIZER's (else an ATTENDEE's, else
        ``responsible_user_id``, default: the acting user), and
        ``default_tz`` for floating times (default: the acting user's zone).
        A UID imported before updates the activity it made (see
        :class:`CalendarImport`). Each event is checked as :meth:`schedule`
        checks an activity, conflicts included; one that fails is reported
        and the others are still imported. A file that is not UTF-8 or not
        iCalendar raises :class:`~leadcore.errors.ValidationError` and
        imports nothing. Two imports of one file at once make its activities
        once: the later one runs again and finds them.
        """

        def run() -> CalendarImport:
            return self._import(text, type_id, responsible_user_id, default_tz)

        return retry_on_conflict(run, _ATTEMPTS)

    def _import(
        self,
        text: str | bytes,
        type_id: str | None,
        responsible_user_id: str | None,
        default_tz: str | None,
    ) -> CalendarImport:
        with self._work() as w:
            cat = self._catalogue(w.uow, w.org)
            rule = self._rule(w, cat.settings)
            if type_id is not None and cat.type(type_id) is None:
                raise ValidationError(
                    "the import is invalid", [f"type_id: {type_id!r} is not an activity type"]
                )
            if responsible_user_id is not None:
                self._user(w, responsible_user_id)
            if default_tz is not None and iana_zone(default_tz) is None:
                raise ValidationError(
                    "the import is invalid",
                    [
                        f"default_tz: {default_tz!r} is not an IANA time zone "
                        "(such as 'Europe/London')"
                    ],
                )
            parsed = from_ics(
                text,
                organization_id=w.org,
                type_id=type_id or cat.types[0].id,
                statuses=cat.statuses,
                responsible_user_id=responsible_user_id or w.actor.user.id,
                addresses=self._addresses(w),
                user_ids=[u.id for u in w.uow.users.list(w.org)],
                type_ids=[t.id for t in cat.types],
                default_tz=default_tz or self._home_tz(w),
                source=self._source(w),
            )
            problems = [str(p) for p in parsed.problems]
            created: list[Activity] = []
            updated: list[Activity] = []
            unchanged: list[str] = []
            clashes: list[Conflict] = []
            added: list[Activity] = []
            known = w.uow.calendar.by_ical_uid(w.org, [a.id for a in parsed.activities])
            for incoming in parsed.activities:
                try:
                    target = known.get(incoming.id) or self._exported_here(w, incoming, parsed)
                    outcome = self._import_one(w, cat, rule, incoming, target, added)
                except (ValidationError, NotFound, Forbidden) as exc:
                    problems.append(f"UID {incoming.id!r}: {exc}")
                    continue
                kind, activity, found = outcome
                clashes.extend(found)
                if kind == "created":
                    created.append(activity)
                    added.append(activity)
                elif kind == "updated":
                    updated.append(activity)
                else:
                    unchanged.append(activity.id)
            if created or updated:
                self._seed(w, cat)
            w.uow.commit()
        return CalendarImport(
            tuple(created),
            tuple(updated),
            tuple(unchanged),
            tuple(problems),
            tuple(clashes),
            tuple(str(m) for m in parsed.mapped),
        )

    @staticmethod
    def _exported_here(w: Writer, incoming: Activity, parsed: IcsImport) -> Activity | None:
        """The activity of ours an event of this organisation's own export was written from."""
        if incoming.id not in parsed.exported_here or not is_valid_id(incoming.id):
            return None
        found = w.uow.calendar.get(w.org, incoming.id)
        # Only an activity made here exports its id as UID; one imported (this one
        # included) exports its file's UID, which ``by_ical_uid`` finds.
        return found if found is not None and found.ical_uid is None else None

    def _import_one(
        self,
        w: Writer,
        cat: _Catalogue,
        rule: Rule,
        incoming: Activity,
        existing: Activity | None,
        added: Sequence[Activity],
    ) -> tuple[str, Activity, tuple[Conflict, ...]]:
        if existing is not None and not rule(existing):
            raise Forbidden(
                "this event was imported before as an activity you may not see; not imported"
            )
        if existing is not None:
            same = attrs.evolve(incoming, id=existing.id, version=existing.version)
            same = attrs.evolve(same, ical_uid=existing.ical_uid)
            if same == existing and same_instants(same, existing):
                return "unchanged", existing, ()
            self._check_refs(w, cat, same, existing)
            self._may_hold(w, rule, same)
            found = self._conflicts(w, cat, rule, same, before=[existing], others=added)
            self._enforce(cat, found)
            saved = self._save(w, existing, same)
            w.emit(ev.ActivityUpdated, activity_id=saved.id, fields=_changed(existing, saved))
            return "updated", saved, found
        # Ids are the organisation's own: a file's UID never becomes one.
        fresh = attrs.evolve(incoming, id=self._ctx.ids.new("activity"), version=1)
        self._check_refs(w, cat, fresh, None)
        self._may_hold(w, rule, fresh)
        found = self._conflicts(w, cat, rule, fresh, others=added)
        self._enforce(cat, found)
        w.uow.calendar.add(fresh)
        self._scheduled(w, fresh, len(found), "import")
        return "created", fresh, found


def _horizon(activity: Activity) -> datetime:
    """Up to when the occurrences of ``activity`` are checked for conflicts."""
    if activity.is_recurring:
        return _utc(activity.start, activity) + _CONFLICT_HORIZON
    return _utc(activity.end, activity)


def _end_at(activity: Activity, start: When, end: When | None) -> datetime:
    """The end, as an instant, of an occurrence of ``activity`` moved to ``start``."""
    if end is not None:
        return _utc(end, activity)
    if isinstance(start, datetime):
        return _utc(start, activity) + activity.duration
    return _utc(start + timedelta(days=activity.duration.days), activity)


_I = TypeVar("_I", ActivityType, ActivityStatus)


def _put_by_id(items: Sequence[_I], item: _I) -> list[_I]:
    """``items`` with ``item`` replacing the one of the same id in place, or appended."""
    out = list(items)
    for i, existing in enumerate(out):
        if existing.id == item.id:
            out[i] = item
            return out
    out.append(item)
    return out
