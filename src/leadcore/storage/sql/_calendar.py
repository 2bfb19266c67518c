"""The SQL calendar repository: activities, their types and statuses, settings.

The twin of :mod:`leadcore.storage._memory_calendar`. An activity is one row
of ``leadcore_activities`` (a series is never expanded), with its span,
participants and linked clients kept beside it (see
:mod:`~leadcore.storage.sql._calendar_schema`), so that a window query is a
range scan of an index. The rows of participants and clients are derived from
the activity at commit, in the same transaction, as a lead's assignee rows are.

Answers are the memory adapter's: the same activities (a staged write of this
unit of work replaces the committed row, whether it still matches or not), in
the same order (the span's first instant, then the id, compared in Python),
and the same errors at the same calls.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    delete,
    insert,
    or_,
    select,
    true,
)

from leadcore.calendar import CalendarSettings
from leadcore.calendar._availability import WorkingHours
from leadcore.calendar._model import Activity, ActivityStatus, ActivityType, ClientRef
from leadcore.calendar._terms import ActivityWindow, checker
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.serde import converter
from leadcore.storage._calendar_ports import ActivitySpan, activity_span, duplicate_uid
from leadcore.storage.protocols import CalendarRepository
from leadcore.storage.sql._calendar_query import (
    ACTIVITY_CLIENTS,
    ACTIVITY_USERS,
    Lookup,
    WindowQuery,
    chunks,
    compile_window,
)
from leadcore.storage.sql._calendar_schema import NEVER
from leadcore.storage.sql._codec import encode, micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._schema_v5 import ical_key
from leadcore.storage.sql._tables import bounded
from leadcore.storage.sql._tenancy import Table
from leadcore.storage.sql._tx import Deleted, Key, Spec, SqlTransaction

__all__ = [
    "ACTIVITIES",
    "ACTIVITY_CLIENTS",
    "ACTIVITY_STATUSES",
    "ACTIVITY_TYPES",
    "ACTIVITY_USERS",
    "AVAILABLE",
    "CALENDAR_SETTINGS",
    "SqlCalendar",
    "repository",
]

#: Whether the SQL storage declares ``Capabilities.calendar``.
AVAILABLE: Final = True

_T: Final = metadata.tables


# -- activities and the rows derived from them ----------------------------------------------


@attrs.frozen
class _Span:
    """An activity's span as the integers the tables keep."""

    first: int
    last: int

    @classmethod
    def of(cls, span: ActivitySpan) -> _Span:
        return cls(micros(span.first), NEVER if span.last is None else micros(span.last))

    def overlaps(self, start: int | None, end: int | None) -> bool:
        return (end is None or self.first < end) and (start is None or self.last > start)

    def columns(self) -> dict[str, int]:
        return {"first_us": self.first, "last_us": self.last}


# The spans of the activities met last, by identity: an import stages thousands of
# activities in one unit of work, and checks each new one against all staged before it.
_SPANS: dict[int, tuple[Activity, ActivitySpan, _Span]] = {}
_SPANS_KEPT: Final = 4096


def _spans(activity: Activity) -> tuple[ActivitySpan, _Span]:
    found = _SPANS.get(id(activity))
    if found is not None and found[0] is activity:
        return found[1], found[2]
    span = activity_span(activity)
    kept = _Span.of(span)
    if len(_SPANS) >= _SPANS_KEPT:
        _SPANS.clear()
    # The activity is kept with its span, so its id is not reused while the entry lives.
    _SPANS[id(activity)] = (activity, span, kept)
    return span, kept


def _span(activity: Activity) -> _Span:
    return _spans(activity)[1]


def _exact_span(activity: Activity) -> ActivitySpan:
    return _spans(activity)[0]


def _linked(activity: Activity) -> list[ClientRef]:
    """The clients a client filter finds the activity by: the clients, and the contact."""
    linked = list(activity.clients)
    if activity.contact_id is not None:
        contact = ClientRef("contact", activity.contact_id)
        if contact not in linked:
            linked.append(contact)
    return linked


def _checked(activity: Activity) -> Activity:
    """``activity`` if every value the tables hold in a column fits; ``ValidationError`` if not."""
    bounded(activity.id, "activity.id")
    bounded(activity.organization_id, "activity.organization_id")
    bounded(activity.type_id, "activity.type_id")
    bounded(activity.status_id, "activity.status_id")
    bounded(activity.responsible_user_id, "activity.responsible_user_id")
    for i, user_id in enumerate(activity.user_ids):
        bounded(user_id, f"activity.user_ids[{i}]")
    if activity.client is not None:
        bounded(activity.client.id, "activity.client.id")
    for i, ref in enumerate(activity.more_clients):
        bounded(ref.id, f"activity.more_clients[{i}].id")
    bounded(activity.contact_id, "activity.contact_id")
    return activity


def _override_statuses(activity: Activity) -> set[str]:
    overrides = activity.recurrence.overrides if activity.recurrence is not None else ()
    return {o.status_id for o in overrides if o.status_id is not None}


def _activity_columns(activity: Activity) -> dict[str, Any]:
    _checked(activity)
    return {
        "version": activity.version,
        **_span(activity).columns(),
        "type_id": activity.type_id,
        "status_id": activity.status_id,
        "status_edited": bool(_override_statuses(activity)),
        "ical_key": None if activity.ical_uid is None else ical_key(activity.ical_uid),
        "record": encode(activity),
    }


#: Records up to this length are kept decoded (a few thousand of them, a few MB at most).
_CACHED_RECORD: Final = 8192


def _in_zone(text: str, zone: ZoneInfo) -> datetime:
    """The point of a timed activity that ``isoformat()`` wrote: its wall time in ``zone``.

    An activity keeps its points in its own zone as given, wall times that a change
    of summer time skips or repeats included; equal wall times compare by wall time.
    Read back as an instant, such a point would come back as another wall time (and
    an activity from 01:00 to 02:00 on the night the clocks go forward would then end
    when it starts). The wall time and the offset written say which fold it was in.
    """
    written = datetime.fromisoformat(text)
    offset = written.utcoffset()
    point = written.replace(tzinfo=zone)
    if point.utcoffset() == offset:
        return point
    point = point.replace(fold=1)
    if point.utcoffset() == offset:
        return point
    return written.astimezone(zone)


def _decode_activity(text: str) -> Activity:
    data = json.loads(text)
    if "T" in data["start"]:
        zone = ZoneInfo(data["tz"])
        for name in ("start", "end"):
            data[name] = _in_zone(data[name], zone)
        recurrence = data["recurrence"]
        if recurrence is not None:
            for name in ("exdates", "rdates"):
                recurrence[name] = [_in_zone(x, zone) for x in recurrence[name]]
            for override in recurrence["overrides"]:
                for name in ("original_start", "start", "end"):
                    if override[name] is not None:
                        override[name] = _in_zone(override[name], zone)
    return converter.structure(data, Activity)


@functools.lru_cache(maxsize=2048)
def _decoded(text: str) -> Activity:
    return _decode_activity(text)


def _activity(text: str) -> Activity:
    """The activity a record holds, exactly as it was written."""
    # Activities are immutable, and building one validates and compiles its series
    # (most of the time a month view takes): views read the same rows again and again.
    if len(text) > _CACHED_RECORD:
        return _decode_activity(text)
    return _decoded(text)


def _activity_rows(
    tx: SqlTransaction, connection: Connection, key: Key, old: Activity | None, new: Activity
) -> None:
    """Write the participant and client rows of an activity (at commit)."""
    org, activity_id = key
    tx.scope(connection, org)
    if old is not None:
        for table in (ACTIVITY_USERS, ACTIVITY_CLIENTS):
            c = table.c
            connection.execute(
                delete(table).where(c.organization_id == org, c.activity_id == activity_id)
            )
    span = _span(new).columns()
    base = {"organization_id": org, "activity_id": activity_id, **span}
    connection.execute(insert(ACTIVITY_USERS), [base | {"user_id": u} for u in new.participant_ids])
    clients = [base | {"client_kind": ref.kind.value, "client_id": ref.id} for ref in _linked(new)]
    if clients:
        connection.execute(insert(ACTIVITY_CLIENTS), clients)


ACTIVITIES: Final[Spec[Activity]] = Spec(
    "activity",
    30,
    _T["leadcore_activities"],
    ("organization_id", "id"),
    _activity_columns,
    lambda row: _activity(row._mapping["record"]),
    after_write=_activity_rows,
)

# -- types, statuses and settings -------------------------------------------------------------


def _types(row: Row[Any]) -> tuple[ActivityType, ...]:
    return converter.structure(json.loads(row._mapping["record"]), tuple[ActivityType, ...])


def _statuses(row: Row[Any]) -> tuple[ActivityStatus, ...]:
    return converter.structure(json.loads(row._mapping["record"]), tuple[ActivityStatus, ...])


def _hours_plain(hours: Iterable[tuple[int, time, time]]) -> list[list[object]]:
    return [[day, start.isoformat(), end.isoformat()] for day, start, end in hours]


def _hours_of(plain: Iterable[list[Any]]) -> tuple[tuple[int, time, time], ...]:
    return tuple((int(d), time.fromisoformat(s), time.fromisoformat(e)) for d, s, e in plain)


def _settings_text(settings: CalendarSettings) -> str:
    # Working hours hold ``time`` values, which the converter has no plain form for.
    plain = {
        "conflicts": settings.conflicts.value,
        "shared_calendars": settings.shared_calendars.value,
        "working_hours": {
            user: {"tz": hours.tz, "hours": _hours_plain(hours.hours)}
            for user, hours in settings.working_hours.items()
        },
        "default_hours": _hours_plain(settings.default_hours),
        "first_weekday": settings.first_weekday,
    }
    return json.dumps(plain, ensure_ascii=False, separators=(",", ":"))


def _settings(row: Row[Any]) -> CalendarSettings:
    plain = json.loads(row._mapping["record"])
    return CalendarSettings(
        conflicts=plain["conflicts"],
        shared_calendars=plain["shared_calendars"],
        working_hours={
            user: WorkingHours(hours["tz"], _hours_of(hours["hours"]))
            for user, hours in plain["working_hours"].items()
        },
        default_hours=_hours_of(plain["default_hours"]),
        first_weekday=plain["first_weekday"],
    )


def _catalogue_spec(
    kind: str,
    order: int,
    table: str,
    to_text: Callable[[Any], str],
    from_row: Callable[[Row[Any]], Any],
) -> Spec[Any]:
    return Spec(
        kind, order, _T[table], ("organization_id",), lambda v: {"record": to_text(v)}, from_row
    )


ACTIVITY_TYPES: Final[Spec[tuple[ActivityType, ...]]] = _catalogue_spec(
    "activity types", 31, "leadcore_activity_types", encode, _types
)
ACTIVITY_STATUSES: Final[Spec[tuple[ActivityStatus, ...]]] = _catalogue_spec(
    "activity statuses", 32, "leadcore_activity_statuses", encode, _statuses
)
CALENDAR_SETTINGS: Final[Spec[CalendarSettings]] = _catalogue_spec(
    "calendar settings", 33, "leadcore_calendar_settings", _settings_text, _settings
)

# -- the repository -------------------------------------------------------------------------------

_A: Final = ACTIVITIES.table.c


class SqlCalendar(Table[Activity]):
    """Activities (one row per activity, series included), types, statuses and settings."""

    spec = ACTIVITIES

    def _staged(self, organization_id: str) -> dict[str, Activity]:
        return {
            key[1]: value
            for key, value in self._tx.staged(self.spec).items()
            if key[0] == organization_id and not isinstance(value, Deleted)
        }

    # -- activities ------------------------------------------------------------------------

    def _check_uid(self, activity: Activity, old: Activity | None) -> None:
        uid = activity.ical_uid
        if uid is None or (old is not None and old.ical_uid == uid):
            return
        holder = self.by_ical_uid(activity.organization_id, [uid]).get(uid)
        if holder is not None and holder.id != activity.id:
            raise ConflictError(duplicate_uid(uid))

    def add(self, activity: Activity) -> None:
        """Store a new activity; ``ConflictError`` if its id or its ``ical_uid`` is taken."""
        if self.get(activity.organization_id, activity.id) is None:
            self._check_uid(activity, None)
        self._add(self._key(activity.organization_id, activity.id), _checked(activity))

    def get(self, organization_id: str, activity_id: str) -> Activity | None:
        """The activity, or ``None``."""
        return self._get((organization_id, activity_id))

    def update(self, activity: Activity, *, expected_version: int) -> None:
        """Compare-and-set on ``version`` (and on the row's revision at commit)."""
        key = (activity.organization_id, activity.id)
        stored = self._get(key)
        if stored is None:
            raise NotFound(self.spec.kind, activity.id)
        if stored.version != expected_version:
            raise ConflictError(
                f"activity {activity.id!r} is at version {stored.version}, "
                f"not {expected_version}: it was changed meanwhile"
            )
        self._check_uid(activity, stored)
        self._tx.put(self.spec, key, _checked(activity))

    def activities_between(
        self,
        organization_id: str,
        start: datetime | None,
        end: datetime | None,
        *,
        user_ids: Collection[str] | None = None,
        clients: Collection[ClientRef] | None = None,
    ) -> list[Activity]:
        """Activities whose span may overlap ``[start, end)``, by span start, then id."""
        org = organization_id
        terms = ActivityWindow(start, end, user_ids=user_ids, clients=clients).terms
        query = compile_window(terms)
        check = checker(terms)
        staged = self._staged(org)
        found: dict[str, tuple[int, Activity]] = {}
        if not query.lookups:
            statement = select(_A.id, _A.first_us, _A.record).where(
                _A.organization_id == org, *query.span(_A)
            )
            rows = self._tx.rows(statement, org)
        else:
            # The participant and client rows repeat the span: their index alone finds the
            # ids, whose records are then read by key (once each, however many users match).
            ids: set[str] | None = None
            for lookup in query.lookups:
                hits = self._ids(lookup, org, query)
                ids = hits if ids is None else ids & hits
            assert ids is not None
            rows = []
            for chunk in chunks(sorted(ids - staged.keys())):
                by_id = select(_A.id, _A.first_us, _A.record).where(
                    _A.organization_id == org, _A.id.in_(chunk)
                )
                rows += self._tx.rows(by_id, org)
        for row in rows:
            if row.id not in staged:
                found[row.id] = (row.first_us, _activity(row.record))
        for activity_id, activity in staged.items():
            # Not in the tables yet: the same terms, read in Python.
            if check(activity, _exact_span(activity)):
                found[activity_id] = (_span(activity).first, activity)
        order = sorted(found.items(), key=lambda item: (item[1][0], item[0]))
        return [activity for _, (_, activity) in order]

    def _ids(self, lookup: Lookup, org: str, query: WindowQuery) -> set[str]:
        """The ids of the activities with a row of the lookup's table matching its conditions."""
        c = lookup.table.c
        ids: set[str] = set()
        for match in lookup.matches:
            # No DISTINCT: SQLite would then walk the rows in activity order, off the index
            # of the window; the set drops the repeats.
            statement = select(c.activity_id).where(c.organization_id == org, match, *query.span(c))
            ids.update(row.activity_id for row in self._tx.rows(statement, org))
        return ids

    def in_use(
        self, organization_id: str, *, type_id: str | None = None, status_id: str | None = None
    ) -> bool:
        """Whether an activity or an edited occurrence uses the type or the status."""
        staged = self._staged(organization_id)

        def uses(a: Activity) -> bool:
            return (type_id is not None and a.type_id == type_id) or (
                status_id is not None
                and (a.status_id == status_id or status_id in _override_statuses(a))
            )

        if any(uses(a) for a in staged.values()):
            return True
        plain: list[ColumnElement[bool]] = []
        if type_id is not None:
            plain.append(_A.type_id == type_id)
        if status_id is not None:
            plain.append(_A.status_id == status_id)
        if not plain:
            return False
        # Staged activities replace their rows: look past as many rows as are staged.
        ids = select(_A.id).where(_A.organization_id == organization_id, or_(*plain))
        for row in self._tx.rows(ids.limit(len(staged) + 1), organization_id):
            if row.id not in staged:
                return True
        if status_id is None:
            return False
        edited = select(_A.id, _A.record).where(
            _A.organization_id == organization_id, _A.status_edited == true()
        )
        return any(
            row.id not in staged and status_id in _override_statuses(_activity(row.record))
            for row in self._tx.rows(edited, organization_id)
        )

    def by_ical_uid(self, organization_id: str, uids: Collection[str]) -> dict[str, Activity]:
        """The activities imported from these UIDs, by UID."""
        org = organization_id
        wanted = frozenset(uids)
        staged = self._staged(org)
        candidates: dict[str, Activity] = {
            a.id: a for a in staged.values() if a.ical_uid is not None and a.ical_uid in wanted
        }
        keys = sorted({ical_key(uid) for uid in wanted})
        for chunk in chunks(keys):
            statement = select(_A.id, _A.record).where(
                _A.organization_id == org, _A.ical_key.in_(chunk)
            )
            for row in self._tx.rows(statement, org):
                if row.id not in staged:
                    candidates[row.id] = _activity(row.record)
        found: dict[str, Activity] = {}
        for activity in candidates.values():
            # The key is a hash: the record says whether the UID is really the one asked for.
            if activity.ical_uid is not None and activity.ical_uid in wanted:
                found[activity.ical_uid] = activity
        return found

    # -- types, statuses, settings ------------------------------------------------------------

    def types(self, organization_id: str) -> Sequence[ActivityType] | None:
        """The stored types, or ``None``."""
        return self._tx.get(ACTIVITY_TYPES, (organization_id,))

    def put_types(self, organization_id: str, types: Sequence[ActivityType]) -> None:
        """Store the types."""
        key = (bounded(organization_id, "activity types.organization_id"),)
        self._tx.put(ACTIVITY_TYPES, key, tuple(types))

    def statuses(self, organization_id: str) -> Sequence[ActivityStatus] | None:
        """The stored statuses, or ``None``."""
        return self._tx.get(ACTIVITY_STATUSES, (organization_id,))

    def put_statuses(self, organization_id: str, statuses: Sequence[ActivityStatus]) -> None:
        """Store the statuses."""
        key = (bounded(organization_id, "activity statuses.organization_id"),)
        self._tx.put(ACTIVITY_STATUSES, key, tuple(statuses))

    def settings(self, organization_id: str) -> CalendarSettings | None:
        """The stored settings, or ``None``."""
        return self._tx.get(CALENDAR_SETTINGS, (organization_id,))

    def put_settings(self, organization_id: str, settings: CalendarSettings) -> None:
        """Store the settings."""
        key = (bounded(organization_id, "calendar settings.organization_id"),)
        # Checked here, as the service does, so that a commit never meets settings it
        # cannot write.
        problems = settings.problems()
        if problems:
            raise ValidationError("calendar settings are invalid", problems)
        self._tx.put(CALENDAR_SETTINGS, key, settings)


def repository(tx: SqlTransaction) -> CalendarRepository:
    """The calendar repository of a unit of work."""
    return SqlCalendar(tx)
