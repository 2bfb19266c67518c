"""What the parts of the calendar use cases share: look-ups, checks and small helpers."""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

import attrs

from leadcore import events as ev
from leadcore._limits import (
    date_problem,
    datetime_problem,
    shown,
)
from leadcore.calendar._availability import Conflict
from leadcore.calendar._availability import conflicts as find_conflicts
from leadcore.calendar._model import (
    Activity,
    ActivityStatus,
    ActivityType,
    ClientKind,
    ClientRef,
    Occurrence,
    OccurrenceOverride,
    Recurrence,
    StatusMeaning,
    When,
    instant,
)
from leadcore.calendar._outcomes import ScheduleConflict
from leadcore.calendar._recurrence import expand, split_series
from leadcore.calendar._series import key_of
from leadcore.calendar._settings import (
    DEFAULT_STATUSES,
    DEFAULT_TYPES,
    CalendarSettings,
    ConflictPolicy,
    SharedCalendars,
)
from leadcore.calendar._visibility import visibility_for
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.services._shared import (
    ServiceContext,
    Work,
    Writer,
)
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy import Permission, User

# How far ahead a repeating activity is checked for conflicts.
_CONFLICT_HORIZON = timedelta(days=366)
# How often a use case that may meet a concurrent first use runs before giving up.
_ATTEMPTS = 3


class _Unset(enum.Enum):
    """A keyword argument that was not given (distinct from ``None``, which clears)."""

    UNSET = "unset"


#: The default of the keywords of
#: :meth:`~leadcore.services.calendar.CalendarService.update`: "leave as it is".
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


class _CalendarBase:
    """What the parts of :class:`CalendarService` share: the context and the look-ups."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

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
    def _enforce(w: Writer, cat: _Catalogue, found: tuple[Conflict, ...]) -> None:
        if found and cat.settings.conflicts is ConflictPolicy.REJECT:
            users = (w.uow.users.get(w.org, user_id) for user_id in {c.user_id for c in found})
            names = {user.id: user.name for user in users if user is not None}
            raise ScheduleConflict(found, user_names=names)

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


def _horizon(activity: Activity) -> datetime:
    """Up to when the occurrences of ``activity`` are checked for conflicts."""
    if activity.is_recurring:
        return _utc(activity.start, activity) + _CONFLICT_HORIZON
    return _utc(activity.end, activity)
