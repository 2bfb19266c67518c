"""Activities, their types and statuses, recurrence, occurrences and busy blocks.

Every value is immutable. An :class:`Activity` is validated when it is built
and raises one :class:`~leadcore.errors.ValidationError` naming every problem
with its path (``end``, ``recurrence.rule``, ``recurrence.exdates[2]``). A
valid activity is kept in canonical form: its times in its own zone, its
rule spelled canonically with UNTIL normalised, its lists sorted, so equal
activities compare equal however they were written.

Users, clients and organisations are referred to by id; whether they exist
is for the calendar service to check.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeAlias
from zoneinfo import ZoneInfo

import attrs

from leadcore._limits import date_problem, load_zone
from leadcore.calendar._instants import is_after, skipped_note
from leadcore.calendar._rule import Rule, parse_rule
from leadcore.calendar._series import Key, Series, key_of, sorted_keys
from leadcore.errors import ValidationError
from leadcore.ids import ID_PATTERN, is_valid_id

__all__ = [
    "Activity",
    "ActivityStatus",
    "ActivityType",
    "BusyBlock",
    "ClientKind",
    "ClientRef",
    "Occurrence",
    "OccurrenceOverride",
    "Privacy",
    "Recurrence",
    "StatusMeaning",
    "When",
]

#: A point in time of an activity: an aware datetime, or a date for all-day ones.
When: TypeAlias = datetime | date

_MAX_TEXT = 500
_MAX_NOTES = 100_000
_MAX_REMINDER = timedelta(days=365)


class StatusMeaning(enum.StrEnum):
    """What an activity status means, whatever an organisation calls it.

    Reports count completion (``done`` and ``succeeded``) and success by it;
    iCalendar export maps ``cancelled`` to ``STATUS:CANCELLED``.
    """

    OPEN = "open"
    DONE = "done"
    SUCCEEDED = "succeeded"
    CANCELLED = "cancelled"

    @property
    def is_completed(self) -> bool:
        """Whether the activity took place (``done`` or ``succeeded``)."""
        return self in (StatusMeaning.DONE, StatusMeaning.SUCCEEDED)


class Privacy(enum.StrEnum):
    """Who may read an activity: ``private`` ones show as busy blocks to non-participants."""

    PUBLIC = "public"
    PRIVATE = "private"


class ClientKind(enum.StrEnum):
    """The kind of record a client reference points at."""

    LEAD = "lead"
    CONTACT = "contact"
    ACCOUNT = "account"


def _definition_problems(kind: str, ident: object, name: object) -> list[str]:
    problems = []
    if not is_valid_id(ident):
        problems.append(f"id: {ident!r} is not an id ({ID_PATTERN.pattern})")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name: must be a non-empty text, got {name!r}")
    elif len(name) > _MAX_TEXT:
        problems.append(f"name: longer than {_MAX_TEXT} characters")
    return problems


@attrs.frozen
class ActivityType:
    """A kind of activity an organisation defines (sales meeting, kickoff, ...).

    ``next_type_id`` suggests the type of the follow-up activity when one of
    this type is completed.

    >>> ActivityType("kickoff", "Kickoff meeting", next_type_id="followup").next_type_id
    'followup'
    """

    id: str
    """The type's id, referred to by activities."""
    name: str
    """A label for people."""
    next_type_id: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = _definition_problems("activity type", self.id, self.name)
        if self.next_type_id is not None and not is_valid_id(self.next_type_id):
            problems.append(f"next_type_id: {self.next_type_id!r} is not an id")
        if problems:
            raise ValidationError(f"activity type {self.id!r} is invalid", problems)


def _meaning(value: StatusMeaning | str) -> StatusMeaning:
    try:
        return StatusMeaning(value)
    except ValueError:
        accepted = ", ".join(m.value for m in StatusMeaning)
        raise ValidationError(
            "activity status is invalid", [f"meaning: {value!r} is not one of {accepted}"]
        ) from None


@attrs.frozen
class ActivityStatus:
    """A status an organisation defines (scheduled, postponed, done, ...) and its meaning.

    >>> ActivityStatus("postponed", "Postponed", "open").meaning
    <StatusMeaning.OPEN: 'open'>
    """

    id: str
    """The status's id, referred to by activities."""
    name: str
    """A label for people."""
    meaning: StatusMeaning = attrs.field(converter=_meaning)
    """What the status means for reports and iCalendar: open, done, succeeded or cancelled."""

    def __attrs_post_init__(self) -> None:
        problems = _definition_problems("activity status", self.id, self.name)
        if problems:
            raise ValidationError(f"activity status {self.id!r} is invalid", problems)


def _client_kind(value: ClientKind | str) -> ClientKind:
    try:
        return ClientKind(value)
    except ValueError:
        return value  # type: ignore[return-value]  # reported by ClientRef's check


@attrs.frozen
class ClientRef:
    """A lead, contact or account an activity is about.

    >>> str(ClientRef("lead", "lead-7"))
    'lead:lead-7'
    """

    kind: ClientKind = attrs.field(converter=_client_kind)
    """``lead``, ``contact`` or ``account``."""
    id: str
    """The record's id."""

    def __attrs_post_init__(self) -> None:
        problems = []
        if not isinstance(self.kind, ClientKind):
            problems.append(f"kind: {self.kind!r} is not one of lead, contact, account")
        if not isinstance(self.id, str) or not self.id:
            problems.append(f"id: must be a non-empty text, got {self.id!r}")
        if problems:
            raise ValidationError("client reference is invalid", problems)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ClientRef:
        """Read ``"lead:lead-7"`` back into a reference."""
        kind, sep, ident = text.partition(":")
        if not sep:
            raise ValidationError(
                "client reference is invalid", [f"{text!r} is not KIND:ID (such as 'lead:7')"]
            )
        return cls(kind, ident)


@attrs.frozen
class OccurrenceOverride:
    """An edit to one occurrence of a series, keyed by the occurrence's original start.

    ``cancelled`` removes the occurrence from views and availability (it is
    still exported, as ``STATUS:CANCELLED``); otherwise every field that is
    not ``None`` replaces the series' value for this occurrence only. A new
    ``start`` without an ``end`` keeps the series' duration.
    """

    original_start: When
    """The start the series gave the occurrence: its key."""
    cancelled: bool = False
    start: When | None = None
    end: When | None = None
    title: str | None = None
    """A title for this occurrence only."""
    notes: str | None = None
    """Notes for this occurrence only."""
    location: str | None = None
    """A location for this occurrence only."""
    status_id: str | None = None
    """A status for this occurrence only."""


def _tuple(value: Iterable[object]) -> tuple[object, ...]:
    return tuple(value)


def _rule_text(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    return text[6:] if text.upper().startswith("RRULE:") else text


@attrs.frozen
class Recurrence:
    """How an activity repeats: an RFC 5545 rule, extra and excluded starts, edits.

    ``rule`` is RRULE text (``"FREQ=WEEKLY;BYDAY=MO,WE"``, the ``RRULE:``
    prefix optional) or ``None`` for a series of ``rdates`` only. ``exdates``
    and ``rdates`` are starts (aware datetimes, or dates for all-day series).

    >>> Recurrence("RRULE:FREQ=DAILY;COUNT=3").rule
    'FREQ=DAILY;COUNT=3'
    """

    rule: str | None = attrs.field(converter=_rule_text)
    exdates: tuple[When, ...] = attrs.field(default=(), converter=_tuple)
    rdates: tuple[When, ...] = attrs.field(default=(), converter=_tuple)
    overrides: tuple[OccurrenceOverride, ...] = attrs.field(default=(), converter=_tuple)
    """Edits of single occurrences, each keyed by its original start."""

    def override_for(self, original_start: When) -> OccurrenceOverride | None:
        """The override of the occurrence that originally started at ``original_start``."""
        key = key_of(original_start)
        for override in self.overrides:
            if key_of(override.original_start) == key:
                return override
        return None


def _privacy(value: Privacy | str) -> Privacy:
    try:
        return Privacy(value)
    except ValueError:
        return value  # type: ignore[return-value]  # reported by Activity's check


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


@attrs.frozen(kw_only=True)
class Activity:
    """A calendar activity: one meeting, call or task, possibly repeating.

    Timed activities have aware ``start``/``end`` datetimes; all-day ones have
    ``date`` values with an exclusive ``end`` (a one-day activity on 5 May
    ends on 6 May). ``tz`` is the IANA zone the activity lives in: its
    recurrence repeats at the same wall-clock time there.

    >>> from zoneinfo import ZoneInfo
    >>> tz = ZoneInfo("Asia/Jerusalem")
    >>> a = Activity(
    ...     id="act-1", organization_id="org-1", type_id="meeting", status_id="scheduled",
    ...     title="Kickoff", responsible_user_id="dana",
    ...     start=datetime(2026, 3, 2, 10, tzinfo=tz), end=datetime(2026, 3, 2, 11, tzinfo=tz),
    ...     tz="Asia/Jerusalem", recurrence=Recurrence("FREQ=WEEKLY;UNTIL=20260330T235959"),
    ... )
    >>> a.recurrence.rule
    'FREQ=WEEKLY;UNTIL=20260330T205959Z'
    >>> a.participant_ids
    ('dana',)
    """

    id: str
    """The activity's id."""
    organization_id: str
    """The organisation it belongs to."""
    type_id: str
    """Its activity type (sales meeting, kickoff, ...), defined per organisation."""
    status_id: str
    """Its activity status, whose meaning (open, done, ...) reports use."""
    title: str
    """What the activity is, for people."""
    responsible_user_id: str
    """The user in charge: an active user of the organisation."""
    start: When
    """An aware datetime, or a date for an all-day activity."""
    end: When
    """After ``start``; for an all-day activity, the exclusive end date."""
    tz: str
    """The IANA zone the activity lives in."""
    notes: str = ""
    """Free text."""
    #: Users taking part besides the responsible user.
    user_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    #: The primary client and, optionally, the contact the activity is held with.
    client: ClientRef | None = None
    contact_id: str | None = None
    """The contact of the primary client the activity is held with, if any."""
    #: Further clients; the activity shows in each linked client's timeline.
    more_clients: tuple[ClientRef, ...] = attrs.field(default=(), converter=_tuple)
    location: str = ""
    """Where it takes place."""
    privacy: Privacy = attrs.field(default=Privacy.PUBLIC, converter=_privacy)
    """Private activities are shown in detail to their participants only."""
    #: How long before the start each reminder fires.
    reminders: tuple[timedelta, ...] = attrs.field(default=(), converter=_tuple)
    recurrence: Recurrence | None = None
    """The repeat rule with its exceptions, or ``None`` for a single activity."""
    version: int = 1
    """Counts every change, for compare-and-set updates."""
    ical_uid: str | None = None
    """The UID of the iCalendar event it was imported from (the file's identity, kept
    per organisation: importing that event again updates this activity); ``None``
    for an activity made here, which exports with its ``id`` as UID."""

    _series: Series = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems = _check(self)
        if problems:
            raise ValidationError(f"activity {self.id!r} is invalid", problems)

    # -- derived ------------------------------------------------------------------

    @property
    def all_day(self) -> bool:
        """Whether the activity spans whole days (``date`` start and end)."""
        return not isinstance(self.start, datetime)

    @property
    def zone(self) -> ZoneInfo:
        """The activity's time zone."""
        return self._series.zone

    @property
    def duration(self) -> timedelta:
        """Elapsed time from start to end (whole days for all-day activities)."""
        return self._series.duration

    @property
    def participant_ids(self) -> tuple[str, ...]:
        """The responsible user first, then the other users."""
        return (self.responsible_user_id, *self.user_ids)

    @property
    def clients(self) -> tuple[ClientRef, ...]:
        """The primary client (if any) first, then the others."""
        head = (self.client,) if self.client is not None else ()
        return (*head, *self.more_clients)

    @property
    def is_recurring(self) -> bool:
        """Whether the activity has a recurrence."""
        return self.recurrence is not None

    def involves_client(self, client: ClientRef | str) -> bool:
        """Whether ``client`` (a reference, or a bare client id) is linked, or is the contact."""
        if isinstance(client, ClientRef):
            return client in self.clients or (
                client.kind is ClientKind.CONTACT and client.id == self.contact_id
            )
        return client == self.contact_id or any(c.id == client for c in self.clients)


def _aware_problem(value: object, path: str, all_day: bool) -> str | None:
    if all_day:
        if isinstance(value, datetime) or not isinstance(value, date):
            return f"{path}: must be a date, as the activity is all-day, got {value!r}"
        return None
    if not isinstance(value, datetime):
        return f"{path}: must be a timezone-aware datetime, got {value!r}"
    if value.tzinfo is None or value.utcoffset() is None:
        return (
            f"{path}: {value.isoformat()} is naive; give a timezone-aware datetime "
            "(for example with tzinfo=ZoneInfo('Asia/Jerusalem'))"
        )
    return None


def _in_zone(value: When, zone: ZoneInfo) -> When:
    if isinstance(value, datetime):
        return value.astimezone(zone)
    return value


def _text_problems(a: Activity, problems: list[str]) -> None:
    for name in ("id", "organization_id", "type_id", "status_id", "responsible_user_id"):
        value = getattr(a, name)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{name}: must be a non-empty text, got {value!r}")
    if not isinstance(a.title, str) or not a.title.strip():
        problems.append(f"title: must be a non-empty text, got {a.title!r}")
    elif len(a.title) > _MAX_TEXT:
        problems.append(f"title: longer than {_MAX_TEXT} characters ({len(a.title)})")
    if not isinstance(a.notes, str) or len(a.notes) > _MAX_NOTES:
        problems.append(f"notes: must be a text of at most {_MAX_NOTES:,} characters")
    if not isinstance(a.location, str) or len(a.location) > _MAX_TEXT:
        problems.append(f"location: must be a text of at most {_MAX_TEXT} characters")
    if not isinstance(a.privacy, Privacy):
        problems.append(f"privacy: {a.privacy!r} is not one of public, private")
    if not isinstance(a.version, int) or isinstance(a.version, bool) or a.version < 1:
        problems.append(f"version: must be a whole number of at least 1, got {a.version!r}")
    if a.ical_uid is not None and (
        not isinstance(a.ical_uid, str) or not a.ical_uid.strip() or len(a.ical_uid) > _MAX_TEXT
    ):
        problems.append(
            f"ical_uid: must be a non-empty text of at most {_MAX_TEXT} characters or None"
        )


def _people_problems(a: Activity, problems: list[str]) -> None:
    seen = {a.responsible_user_id}
    for i, user in enumerate(a.user_ids):
        if not isinstance(user, str) or not user:
            problems.append(f"user_ids[{i}]: must be a non-empty user id, got {user!r}")
        elif user in seen:
            which = "the responsible user" if user == a.responsible_user_id else "listed twice"
            problems.append(f"user_ids[{i}]: {user!r} is {which}")
        seen.add(user)
    if a.client is not None and not isinstance(a.client, ClientRef):
        problems.append(f"client: must be a ClientRef, got {a.client!r}")
    if a.contact_id is not None:
        if not isinstance(a.contact_id, str) or not a.contact_id:
            problems.append(f"contact_id: must be a non-empty contact id, got {a.contact_id!r}")
        elif a.client is None:
            problems.append("contact_id: a contact needs a primary client (client)")
    clients: set[ClientRef] = {a.client} if isinstance(a.client, ClientRef) else set()
    for i, ref in enumerate(a.more_clients):
        if not isinstance(ref, ClientRef):
            problems.append(f"more_clients[{i}]: must be a ClientRef, got {ref!r}")
        elif ref in clients:
            which = "the primary client" if ref == a.client else "listed twice"
            problems.append(f"more_clients[{i}]: {ref} is {which}")
        else:
            clients.add(ref)
    for i, reminder in enumerate(a.reminders):
        if not isinstance(reminder, timedelta):
            problems.append(f"reminders[{i}]: must be a timedelta, got {reminder!r}")
        elif not timedelta(0) <= reminder <= _MAX_REMINDER:
            problems.append(
                f"reminders[{i}]: {reminder} is not between 0 and {_MAX_REMINDER.days} days "
                "before the start"
            )


def _check(a: Activity) -> list[str]:
    problems: list[str] = []
    _text_problems(a, problems)
    _people_problems(a, problems)
    zone, zone_problem = load_zone(a.tz)
    if zone_problem is not None:
        problems.append(f"tz: {zone_problem}")
    all_day = not isinstance(a.start, datetime) and isinstance(a.start, date)
    times_ok = True
    for path, value in (("start", a.start), ("end", a.end)):
        problem = _aware_problem(value, path, all_day) or date_problem(value, path)
        if problem is not None:
            problems.append(problem)
            times_ok = False
    if times_ok and not is_after(a.end, a.start):
        problems.append(
            f"end: {a.end.isoformat()} is not after start {a.start.isoformat()}"
            + ("; an all-day end is exclusive (a one-day activity ends the next day)" * all_day)
            + skipped_note("start", a.start)
            + skipped_note("end", a.end)
        )
        times_ok = False
    if zone is None or not times_ok:
        if a.recurrence is not None and a.recurrence.rule is not None:
            problems.extend(parse_rule(a.recurrence.rule, "recurrence.rule")[1])
        return problems

    start = _in_zone(a.start, zone)
    end = _in_zone(a.end, zone)
    object.__setattr__(a, "start", start)
    object.__setattr__(a, "end", end)
    object.__setattr__(a, "reminders", tuple(sorted(set(a.reminders))))
    series, recurrence = _compile(a, zone, all_day, problems)
    if series is not None:
        object.__setattr__(a, "_series", series)
        object.__setattr__(a, "recurrence", recurrence)
    return problems


def _wall(value: When, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(zone).replace(tzinfo=None, fold=0)
    return datetime.combine(value, time())


def _until(rule: Rule, zone: ZoneInfo, all_day: bool) -> tuple[Key | None, str | None]:
    """UNTIL as a key and its canonical spelling: UTC for timed series, a date for all-day."""
    until = rule.until
    if until is None:
        return None, None
    if all_day:
        if isinstance(until, datetime):
            day = until.astimezone(zone).date() if until.tzinfo is not None else until.date()
        else:
            day = until
        return day, day.strftime("%Y%m%d")
    if isinstance(until, datetime):
        if until.tzinfo is not None:
            utc = until.replace(tzinfo=None)
        else:
            # A local UNTIL, as some clients write it: read in the series' zone.
            off = zone.utcoffset(until)
            assert off is not None
            utc = until - off
    else:
        # A date-only UNTIL on a timed series includes that whole local day.
        next_day = datetime.combine(until + timedelta(days=1), time())
        off = zone.utcoffset(next_day)
        assert off is not None
        utc = next_day - off - timedelta(seconds=1)
    return utc, utc.strftime("%Y%m%dT%H%M%SZ")


def _points(
    values: Iterable[object], path: str, zone: ZoneInfo, all_day: bool, problems: list[str]
) -> list[When]:
    good: list[When] = []
    for i, value in enumerate(values):
        problem = _aware_problem(value, f"{path}[{i}]", all_day)
        if problem is not None:
            if not all_day and isinstance(value, date) and not isinstance(value, datetime):
                problem += "; give the start of the occurrence, not only its day"
            problems.append(problem)
        else:
            assert isinstance(value, date)
            good.append(_in_zone(value, zone))
    return good


def _compile(
    a: Activity, zone: ZoneInfo, all_day: bool, problems: list[str]
) -> tuple[Series | None, Recurrence | None]:
    start_key = key_of(a.start)
    end_key = key_of(a.end)
    duration = end_key - start_key if not all_day else timedelta(days=(end_key - start_key).days)
    rec = a.recurrence
    if rec is None:
        series = Series(
            zone=zone,
            all_day=all_day,
            wall_start=_wall(a.start, zone),
            start_key=start_key,
            duration=duration,
            rule=None,
            until_key=None,
            exdates=frozenset(),
            rdates=(),
        )
        return series, None
    if not isinstance(rec, Recurrence):
        problems.append(f"recurrence: must be a Recurrence, got {rec!r}")
        return None, None
    rule: Rule | None = None
    until_key: Key | None = None
    until_text: str | None = None
    before = len(problems)
    if rec.rule is not None:
        rule, rule_problems = parse_rule(rec.rule, "recurrence.rule")
        problems.extend(rule_problems)
        if rule is not None:
            until_key, until_text = _until(rule, zone, all_day)
    exdates = _points(rec.exdates, "recurrence.exdates", zone, all_day, problems)
    rdates = _points(rec.rdates, "recurrence.rdates", zone, all_day, problems)
    if rec.rule is None and not rdates:
        problems.append("recurrence: give a rule, extra dates (rdates), or both")
    if len(problems) > before:
        return None, None
    exdate_keys = {key_of(x): x for x in exdates}
    rdate_keys = {key_of(x): x for x in rdates}
    series = Series(
        zone=zone,
        all_day=all_day,
        wall_start=_wall(a.start, zone),
        start_key=start_key,
        duration=duration,
        rule=rule,
        until_key=until_key,
        exdates=frozenset(exdate_keys),
        rdates=sorted_keys(list(rdate_keys)),
    )
    problems.extend(f"recurrence.rule: {p}" for p in series.rule_problems())
    if len(problems) > before:
        return None, None
    overrides = _overrides(rec.overrides, series, zone, all_day, problems)
    series.overrides = {key_of(o.original_start): o for o in overrides}
    canonical = Recurrence(
        rule.text(until_text) if rule is not None else None,
        exdates=tuple(exdate_keys[k] for k in sorted_keys(list(exdate_keys))),
        rdates=tuple(rdate_keys[k] for k in series.rdates),
        overrides=overrides,
    )
    return series, canonical


def _overrides(
    overrides: Iterable[object],
    series: Series,
    zone: ZoneInfo,
    all_day: bool,
    problems: list[str],
) -> tuple[OccurrenceOverride, ...]:
    result: dict[Key, OccurrenceOverride] = {}
    for i, o in enumerate(overrides):
        path = f"recurrence.overrides[{i}]"
        if not isinstance(o, OccurrenceOverride):
            problems.append(f"{path}: must be an OccurrenceOverride, got {o!r}")
            continue
        bad = [
            p
            for p in (
                _aware_problem(o.original_start, f"{path}.original_start", all_day),
                None if o.start is None else _aware_problem(o.start, f"{path}.start", all_day),
                None if o.end is None else _aware_problem(o.end, f"{path}.end", all_day),
            )
            if p is not None
        ]
        for name in ("title", "notes", "location", "status_id"):
            value = getattr(o, name)
            if value is not None and not isinstance(value, str):
                bad.append(f"{path}.{name}: must be a text or None, got {value!r}")
        if o.title is not None and not o.title.strip():
            bad.append(f"{path}.title: must not be empty (None keeps the series' title)")
        if o.status_id is not None and not o.status_id.strip():
            bad.append(f"{path}.status_id: must not be empty (None keeps the series' status)")
        if bad:
            problems.extend(bad)
            continue
        key = key_of(o.original_start)
        if key in result:
            problems.append(f"{path}.original_start: {o.original_start} is overridden twice")
            continue
        if key in series.exdates:
            problems.append(
                f"{path}.original_start: {o.original_start} is also excluded (exdates); "
                "keep one of the two"
            )
            continue
        if not series.contains(key):
            problems.append(
                f"{path}.original_start: {o.original_start} is not an occurrence of the series"
            )
            continue
        new_start = _in_zone(o.start, zone) if o.start is not None else None
        new_end = _in_zone(o.end, zone) if o.end is not None else None
        first = new_start if new_start is not None else _in_zone(o.original_start, zone)
        if new_end is not None and not is_after(new_end, first):
            problems.append(f"{path}.end: {new_end} is not after the occurrence's start {first}")
            continue
        result[key] = attrs.evolve(
            o, original_start=_in_zone(o.original_start, zone), start=new_start, end=new_end
        )
    return tuple(result[k] for k in sorted_keys(list(result)))


@attrs.frozen
class Occurrence:
    """One time an activity takes place, with any single-occurrence edit applied.

    ``start``/``end`` are aware datetimes in the activity's zone (dates for
    all-day activities); ``original_start`` is where the series put it, the
    key of edits and exclusions.
    """

    activity: Activity
    """The activity (or series) it is an occurrence of."""
    original_start: When
    start: When
    end: When
    override: OccurrenceOverride | None = None
    """The edit made to this occurrence alone, if any."""

    @property
    def activity_id(self) -> str:
        """The id of the activity (the series) this occurrence belongs to."""
        return self.activity.id

    @property
    def is_override(self) -> bool:
        """Whether this occurrence was edited on its own."""
        return self.override is not None

    @property
    def all_day(self) -> bool:
        """Whether the occurrence spans whole days."""
        return self.activity.all_day

    @property
    def title(self) -> str:
        """The title, as edited for this occurrence if it was."""
        o = self.override
        return o.title if o is not None and o.title is not None else self.activity.title

    @property
    def notes(self) -> str:
        """The notes, as edited for this occurrence if they were."""
        o = self.override
        return o.notes if o is not None and o.notes is not None else self.activity.notes

    @property
    def location(self) -> str:
        """The location, as edited for this occurrence if it was."""
        o = self.override
        return o.location if o is not None and o.location is not None else self.activity.location

    @property
    def status_id(self) -> str:
        """The status, as set for this occurrence if it was."""
        o = self.override
        return o.status_id if o is not None and o.status_id is not None else self.activity.status_id

    @property
    def starts_at(self) -> datetime:
        """The start as a UTC instant (midnight in the activity's zone if all-day).

        In UTC, so that subtracting two of them gives elapsed time: Python
        subtracts datetimes of one zone by their wall clocks.
        """
        return instant(self.start, self.activity.zone).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """The end as a UTC instant (midnight in the activity's zone if all-day)."""
        return instant(self.end, self.activity.zone).astimezone(UTC)

    def busy(self) -> BusyBlock:
        """A busy block of this occurrence: its times, nothing else."""
        return BusyBlock(self.start, self.end)


def instant(value: When, zone: ZoneInfo) -> datetime:
    """``value`` as an aware datetime: dates become midnight in ``zone``."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), tzinfo=zone).astimezone(zone)


@attrs.frozen
class BusyBlock:
    """Time taken by an activity the viewer may not see: times only, no details."""

    start: When
    """When the busy time starts."""
    end: When
    """When it ends."""

    @property
    def all_day(self) -> bool:
        """Whether the block spans whole days."""
        return not isinstance(self.start, datetime)
