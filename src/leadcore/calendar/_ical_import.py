"""Reading iCalendar (RFC 5545) files into activities (the ``ical`` extra).

Import takes what real clients send: Google's IANA zones, Outlook's Windows
zone names (``Israel Standard Time``) and zones defined only by a
``VTIMEZONE`` (``Customized Time Zone``), a local or date-only UNTIL,
date-only EXDATE on timed series, UTC or floating times, edited and cancelled
occurrences (RECURRENCE-ID).

What a file says is the file's, not ours: its UID is kept as
:attr:`Activity.ical_uid <leadcore.calendar.Activity.ical_uid>`, never used
as an id, and the ``X-LEADCORE-*`` ids of users and clients are read only
from an export of the importing organisation itself. Other events find their
people by ORGANIZER and ATTENDEE e-mail addresses; how each was found is
reported (:class:`IcsMapping`).

A file that is not UTF-8 or not iCalendar at all is refused with a
:class:`~leadcore.errors.ValidationError`; an event that cannot be read (a
broken value, an unknown zone, ...) becomes an :class:`IcsProblem` and the
others are still read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._ical_text import as_text, plus, same_instant, structure_problems
from leadcore.calendar._ical_zones import ZoneFinder, iana_zone
from leadcore.calendar._model import (
    Activity,
    ActivityStatus,
    ClientRef,
    OccurrenceOverride,
    Privacy,
    Recurrence,
    StatusMeaning,
    When,
)
from leadcore.calendar._recurrence import expand
from leadcore.errors import LeadcoreError, ValidationError

__all__ = ["IcsImport", "IcsMapping", "IcsProblem", "from_ics", "same_instants"]

_X = "X-LEADCORE-"
_USER_URN = "urn:x-leadcore:user:"
_MAX_UID = 500
_MAX_SEQUENCE = 2**31 - 1
# Properties a VEVENT has at most once (RFC 5545 §3.6.1): given twice, the times and
# the identity are ambiguous and the event is not imported; the texts keep the first.
_ONCE = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID")
_ONCE_KEEP_FIRST = ("SUMMARY", "DESCRIPTION", "LOCATION", "STATUS", "CLASS", "ORGANIZER")
# What a value a dependency could not make sense of raises, once icalendar has parsed
# the file: turned into a problem of the event, never passed on.
_UNREADABLE = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


def _icalendar() -> ModuleType:
    from leadcore.calendar._ical import _icalendar as load

    return load()


@attrs.frozen
class IcsProblem:
    """Why one event of a file was not imported, or was imported in part."""

    #: The position of the VEVENT in the file (0-based), and its UID if it has one.
    index: int
    uid: str | None
    """The event's UID, if it has one."""
    message: str
    """What was wrong."""

    def __str__(self) -> str:
        return f"VEVENT #{self.index} (UID {self.uid!r}): {self.message}"


@attrs.frozen
class IcsMapping:
    """How a value of an imported event was found, when the file did not say it as ours.

    ``field`` is ``responsible_user_id``, ``user_ids`` or ``tz``; ``value``
    what it became; ``source`` where it came from (``ORGANIZER
    mailto:avi@example.com``, ``the importing user``, ``VTIMEZONE``...).
    """

    index: int
    """The position of the VEVENT in the file (0-based)."""
    uid: str
    """The event's UID."""
    field: str
    """The activity field that was set."""
    value: str
    """What it was set to."""
    source: str
    """What in the file (or outside it) it was taken from."""

    def __str__(self) -> str:
        where = f"VEVENT #{self.index} (UID {self.uid!r})"
        return f"{where}: {self.field} {self.value!r} from {self.source}"


@attrs.frozen
class IcsImport:
    """Activities read from a file, and every problem met on the way."""

    activities: tuple[Activity, ...]
    """The activities read, checked like scheduled ones; ``id`` and ``ical_uid`` are the UID."""
    problems: tuple[IcsProblem, ...] = ()
    """Every event not imported, or imported in part, with why."""
    mapped: tuple[IcsMapping, ...] = ()
    """How users and zones the file did not give as ours were found."""
    exported_here: frozenset[str] = frozenset()
    """The UIDs of events that an export of ``organization_id`` itself wrote."""


def _points_of(a: Activity) -> list[object]:
    rec = a.recurrence
    points: list[object] = [a.start, a.end]
    if rec is not None:
        points += [*rec.exdates, *rec.rdates]
        for o in rec.overrides:
            points += [o.original_start, o.start, o.end]
    return [p.astimezone(UTC) if isinstance(p, datetime) else p for p in points]


def same_instants(a: Activity, b: Activity) -> bool:
    """Whether the points in time of two activities are the same instants.

    ``==`` compares aware times of one zone by wall clock, so 01:30 in the two
    runs of a repeated hour are equal to it; they are not the same instant.
    """
    return _points_of(a) == _points_of(b)


# -- small readers ----------------------------------------------------------------------


def _text(component: Any, name: str) -> str | None:
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = value[0]
    return str(value)


def _texts(component: Any, name: str) -> list[str]:
    value = component.get(name)
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values]


def _broken(component: Any) -> list[str]:
    """Every property of ``component`` (alarms included) that icalendar could not read."""
    found = [f"{name}: {why}" for name, why in getattr(component, "errors", ())]
    for sub in getattr(component, "subcomponents", ()):
        found.extend(f"{sub.name}.{p}" for p in _broken(sub))
    return found


_TIMES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


def _use_own_zones(cal: Any) -> None:
    """Give every time of the file the zone its own VTIMEZONE defines.

    ``icalendar`` keeps a zone it built from a VTIMEZONE under its TZID for
    the whole process, so that a second file with another ``Customized Time
    Zone`` would get the first file's rules. Each zone is built anew from
    this file's VTIMEZONE, and the wall times of the file are put in it.
    """
    own: dict[str, tzinfo] = {}
    for vtz in cal.walk("VTIMEZONE"):
        tzid = str(vtz.get("TZID", ""))
        if tzid and iana_zone(tzid) is None:
            own[tzid] = vtz.to_tz(lookup_tzid=False)
    if not own:
        return
    for event in cal.walk("VEVENT"):
        for name in _TIMES:
            value = event.get(name)
            for prop in value if isinstance(value, list) else [value]:
                param = None if prop is None else prop.params.get("TZID")
                if param is None or str(param) not in own:
                    continue
                tz = own[str(param)]
                for entry in getattr(prop, "dts", [prop]):
                    dt = entry.dt
                    if isinstance(dt, datetime) and dt.tzinfo is not None:
                        entry.dt = dt.replace(tzinfo=tz, fold=0)


def _point(prop: Any, zone: ZoneInfo, all_day: bool) -> When:
    """A DTSTART-like value in ``zone``: the same instant, or floating read as wall time there."""
    value: When = prop.dt if hasattr(prop, "dt") else prop
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # Floating: wall time of the series' zone (the first run of a repeated hour).
            return value.replace(tzinfo=zone, fold=0)
        return value.astimezone(zone)
    if isinstance(value, date):
        raise ValidationError("a date where a date-time is needed", [f"{value.isoformat()}"])
    raise ValidationError("not a point in time", [f"{value!r}"])


def _points(component: Any, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    lists = value if isinstance(value, list) else [value]
    found = []
    for item in lists:
        for entry in getattr(item, "dts", [item]):
            dt = entry.dt
            found.append(dt[0] if isinstance(dt, tuple) else dt)
    return found


def _status_for(component: Any, statuses: list[ActivityStatus], fallback: str | None) -> str | None:
    own = _text(component, _X + "STATUS")
    ids = {s.id for s in statuses}
    if own is not None and own in ids:
        return own
    if (_text(component, "STATUS") or "").upper() == "CANCELLED":
        for s in statuses:
            if s.meaning is StatusMeaning.CANCELLED:
                return s.id
    if fallback is not None:
        return fallback
    for s in statuses:
        if s.meaning is StatusMeaning.OPEN:
            return s.id
    return None


def _rule_text(component: Any) -> tuple[str | None, list[str]]:
    rules = component.get("RRULE")
    if rules is None:
        return None, []
    notes = []
    if isinstance(rules, list):
        if len(rules) > 1:
            notes.append("more than one RRULE; only the first was kept")
        rules = rules[0]
    parts = [p for p in rules.to_ical().decode().split(";") if p and not p.upper().startswith("X-")]
    return ";".join(parts), notes


def _sequence(event: Any) -> int:
    value = event.get("SEQUENCE")
    if value is None:
        return 1
    return min(_MAX_SEQUENCE, max(1, int(value)))


@attrs.frozen
class _People:
    """Who the importing organisation is, to find the users of an event."""

    organization_id: str
    by_address: Mapping[str, str]
    """Lower-case calendar address (``mailto:...``) to user id."""
    user_ids: frozenset[str] | None
    """The organisation's users; ``None``: not known (ids of its own export are trusted)."""
    importer: str | None
    """The user events without a known organizer are given to."""
    source: str | None
    """What this organisation's exports carry as ``X-LEADCORE-SOURCE``, if known."""

    def own(self, event: Any) -> bool:
        """Whether ``event`` comes from an export of this organisation."""
        if _text(event, _X + "ORGANIZATION") != self.organization_id:
            return False
        return self.source is None or _text(event, _X + "SOURCE") == self.source

    def known(self, user_id: str) -> bool:
        return self.user_ids is None or user_id in self.user_ids

    def user_of(self, address: str, own: bool) -> str | None:
        key = address.strip().lower()
        if key in self.by_address:
            return self.by_address[key]
        if own and key.startswith(_USER_URN):
            user = address.strip()[len(_USER_URN) :]
            return user if self.known(user) else None
        return None


@attrs.define
class _Mapped:
    index: int
    uid: str
    found: list[IcsMapping] = attrs.field(factory=list)

    def add(self, field: str, value: str, source: str) -> None:
        self.found.append(IcsMapping(self.index, self.uid, field, value, source))


def _responsible(event: Any, people: _People, mapped: _Mapped) -> str | None:
    own = people.own(event)
    given = _text(event, _X + "RESPONSIBLE")
    if own and given is not None and people.known(given):
        return given
    organizer = _text(event, "ORGANIZER")
    if organizer:
        user = people.user_of(organizer, own)
        if user is not None:
            mapped.add("responsible_user_id", user, f"ORGANIZER {organizer}")
            return user
    for address in _texts(event, "ATTENDEE"):
        user = people.user_of(address, own)
        if user is not None:
            mapped.add("responsible_user_id", user, f"ATTENDEE {address}")
            return user
    if people.importer is not None:
        mapped.add("responsible_user_id", people.importer, "the importing user")
    return people.importer


def _users(event: Any, responsible: str, people: _People, mapped: _Mapped) -> list[str]:
    own = people.own(event)
    given = _texts(event, _X + "USER")
    if own and given and all(people.known(u) for u in given):
        return [u for u in dict.fromkeys(given) if u != responsible]
    users: list[str] = []
    for address in _texts(event, "ATTENDEE"):
        user = people.user_of(address, own)
        if user is not None and user != responsible and user not in users:
            users.append(user)
            mapped.add("user_ids", user, f"ATTENDEE {address}")
    return users


# -- the file ---------------------------------------------------------------------------


def from_ics(
    text: str | bytes,
    *,
    organization_id: str,
    type_id: str,
    statuses: Iterable[ActivityStatus],
    responsible_user_id: str | None = None,
    addresses: Mapping[str, str] | None = None,
    user_ids: Collection[str] | None = None,
    type_ids: Collection[str] | None = None,
    default_tz: str = "UTC",
    default_duration: timedelta = timedelta(minutes=30),
    source: str | None = None,
) -> IcsImport:
    """Read the events of an iCalendar file into activities of ``organization_id``.

    Events exported by this organisation keep their type, status, users and
    clients. Others take ``type_id`` (or their ``X-LEADCORE-TYPE`` if it is
    one of ``type_ids``), a status by their STATUS (cancelled or the first
    open one), as responsible user the one their ORGANIZER (else first
    ATTENDEE) address belongs to through ``addresses`` (user id to address,
    compared without case), else ``responsible_user_id``; as other users
    those of their ATTENDEE addresses; ``default_tz`` for floating times.
    ``user_ids`` (the organisation's users) limits the user ids an export of
    this organisation may name. An event is this organisation's export if
    its ``X-LEADCORE-ORGANIZATION`` is ``organization_id`` and, when
    ``source`` is given, its ``X-LEADCORE-SOURCE`` is ``source`` (ids repeat
    across deployments). Each activity has the event's UID as ``id`` and
    ``ical_uid``.

    Each event that cannot be read becomes an :class:`IcsProblem`; the file
    as a whole fails with a :class:`~leadcore.errors.ValidationError` only if
    it is not UTF-8 or not iCalendar at all.
    """
    ical = _icalendar()
    content = as_text(text)
    broken = structure_problems(content)
    if broken:
        raise ValidationError("the file is not iCalendar", broken)
    try:
        cal = ical.Calendar.from_ical(content)
    except _UNREADABLE as exc:
        raise ValidationError(
            "the file is not iCalendar", [str(exc) or type(exc).__name__]
        ) from None
    except OSError:  # the parser looked up a TZID such as a 300-character name as a file
        raise ValidationError(
            "the file is not iCalendar",
            ["TZID: a time zone identifier of the file is not a time zone name"],
        ) from None
    if not hasattr(cal, "walk") or getattr(cal, "name", "") != "VCALENDAR":
        raise ValidationError("the file is not iCalendar", ["no VCALENDAR"])
    try:
        _use_own_zones(cal)
    except _UNREADABLE as exc:
        raise ValidationError("the file is not iCalendar", [f"VTIMEZONE: {exc}"]) from None
    status_list = list(statuses)
    people = _People(
        organization_id,
        {v.strip().lower(): k for k, v in (addresses or {}).items()},
        None if user_ids is None else frozenset(user_ids),
        responsible_user_id,
        source,
    )
    fallback_tz = _text(cal, "X-WR-TIMEZONE") or default_tz
    zones = ZoneFinder(
        fallback_tz if iana_zone(fallback_tz) is not None else default_tz,
        {str(z.get("TZID")): z.to_ical().decode() for z in cal.walk("VTIMEZONE")},
    )
    masters: dict[str, tuple[int, Any]] = {}
    children: dict[str, list[tuple[int, Any]]] = {}
    problems: list[IcsProblem] = []
    for index, event in enumerate(cal.walk("VEVENT")):
        uid = _text(event, "UID")
        if not uid or not uid.strip():
            problems.append(IcsProblem(index, None, "no UID"))
            continue
        if len(uid) > _MAX_UID:
            problems.append(IcsProblem(index, uid[:40] + "...", f"UID: longer than {_MAX_UID}"))
            continue
        broken = _broken(event)
        twice = [n for n in _ONCE if isinstance(event.get(n), list)]
        if broken or twice:
            problems.extend(IcsProblem(index, uid, f"unreadable value: {b}") for b in broken)
            problems.extend(
                IcsProblem(
                    index,
                    uid,
                    f"{n}: given more than once (RFC 5545 allows one): "
                    + ", ".join(repr(str(v)) for v in event.get(n)),
                )
                for n in twice
            )
            continue
        problems.extend(
            IcsProblem(index, uid, f"{n}: given more than once; the first was kept")
            for n in _ONCE_KEEP_FIRST
            if isinstance(event.get(n), list)
        )
        if event.get("RECURRENCE-ID") is not None:
            children.setdefault(uid, []).append((index, event))
        elif uid in masters:
            problems.append(IcsProblem(index, uid, "a second event with the same UID; skipped"))
        else:
            masters[uid] = (index, event)
    for uid, items in children.items():
        if uid not in masters:
            for index, _ in items:
                problems.append(
                    IcsProblem(index, uid, "an edited occurrence without its series; skipped")
                )
    activities: list[Activity] = []
    mapped: list[IcsMapping] = []
    here = frozenset(uid for uid, (_, event) in masters.items() if people.own(event))
    for uid, (index, event) in masters.items():
        found = _Mapped(index, uid)
        try:
            activity, notes = _read(
                index,
                uid,
                event,
                children.get(uid, []),
                organization_id=organization_id,
                type_id=type_id,
                type_ids=type_ids,
                statuses=status_list,
                people=people,
                zones=zones,
                mapped=found,
                default_duration=default_duration,
            )
        except ValidationError as exc:
            problems.extend(IcsProblem(index, uid, p) for p in (exc.problems or (exc.summary,)))
            continue
        except LeadcoreError:
            raise
        except _UNREADABLE as exc:
            problems.append(IcsProblem(index, uid, f"unreadable event: {exc}"))
            continue
        problems.extend(IcsProblem(i, uid, n) for i, n in notes)
        mapped.extend(found.found)
        activities.append(activity)
    return IcsImport(tuple(activities), tuple(problems), tuple(mapped), here)


def _zone(event: Any, all_day: bool, zones: ZoneFinder, mapped: _Mapped) -> str:
    dtstart = event["DTSTART"]
    own_tz = _text(event, _X + "TZ")
    if own_tz is not None and iana_zone(own_tz) is not None:
        return own_tz
    if all_day:
        return zones.fallback
    tzid = dtstart.params.get("TZID")
    name, note = zones.zone_of(dtstart.dt, None if tzid is None else str(tzid))
    if name is None:
        raise ValidationError("unreadable event", [f"DTSTART: {note}"])
    if note is not None:
        mapped.add("tz", name, note)
    return name


def _read(
    index: int,
    uid: str,
    event: Any,
    children: list[tuple[int, Any]],
    *,
    organization_id: str,
    type_id: str,
    type_ids: Collection[str] | None,
    statuses: list[ActivityStatus],
    people: _People,
    zones: ZoneFinder,
    mapped: _Mapped,
    default_duration: timedelta,
) -> tuple[Activity, list[tuple[int, str]]]:
    notes: list[tuple[int, str]] = []
    problems: list[str] = []
    dtstart = event.get("DTSTART")
    if dtstart is None:
        raise ValidationError("unreadable event", ["no DTSTART"])
    all_day = not isinstance(dtstart.dt, datetime)
    tz = _zone(event, all_day, zones, mapped)
    zone = ZoneInfo(tz)
    start = _point(dtstart, zone, all_day)
    if event.get("DTEND") is not None:
        end = _point(event["DTEND"], zone, all_day)
    elif event.get("DURATION") is not None:
        duration = event["DURATION"].dt
        if not isinstance(duration, timedelta):
            raise ValidationError("unreadable event", ["DURATION: not a duration"])
        end = plus(start, duration, zone)
    else:
        end = plus(start, timedelta(days=1) if all_day else default_duration, zone)

    own = people.own(event)
    responsible = _responsible(event, people, mapped)
    if responsible is None:
        problems.append("ORGANIZER: not a known user, and no responsible_user_id was given")
    users = _users(event, responsible, people, mapped) if responsible is not None else []
    status_id = _status_for(event, statuses, None)
    if status_id is None:
        problems.append("STATUS: no activity status given to import it with")
    own_type = _text(event, _X + "TYPE")
    if own_type is not None and (own_type in type_ids if type_ids is not None else own):
        chosen_type = own_type
    else:
        chosen_type = type_id
        if own_type is not None:
            mapped.add("type_id", type_id, f"X-LEADCORE-TYPE {own_type!r}, not a type here")
    privacy = (
        Privacy.PRIVATE
        if (_text(event, "CLASS") or "").upper() in ("PRIVATE", "CONFIDENTIAL")
        else Privacy.PUBLIC
    )
    reminders = []
    for alarm in event.walk("VALARM"):
        trigger = alarm.get("TRIGGER")
        value = getattr(trigger, "dt", None)
        if isinstance(value, timedelta) and value <= timedelta(0):
            reminders.append(-value)
    if problems:
        raise ValidationError("unreadable event", problems)
    assert responsible is not None
    assert status_id is not None

    rule, rule_notes = _rule_text(event)
    notes.extend((index, n) for n in rule_notes)
    recurrence: Recurrence | None = None
    day_exdates: list[date] = []
    if rule is not None or event.get("RDATE") is not None:
        exdates: list[When] = []
        for value in _points(event, "EXDATE"):
            if not all_day and not isinstance(value, datetime):
                day_exdates.append(value)
            else:
                exdates.append(_point(value, zone, all_day))
        rdates = [_point(v, zone, all_day) for v in _points(event, "RDATE")]
        recurrence = Recurrence(rule, exdates=exdates, rdates=rdates)
    # Clients are ids of the organisation that exported: only its own export names ours.
    client = _text(event, _X + "CLIENT") if own else None
    base = Activity(
        id=uid,
        organization_id=organization_id,
        type_id=chosen_type,
        status_id=status_id,
        title=(_text(event, "SUMMARY") or "").strip() or "(no title)",
        notes=_text(event, "DESCRIPTION") or "",
        location=_text(event, "LOCATION") or "",
        responsible_user_id=responsible,
        user_ids=users,
        client=ClientRef.parse(client) if client else None,
        contact_id=_text(event, _X + "CONTACT") if own and client else None,
        more_clients=[ClientRef.parse(c) for c in _texts(event, _X + "MORE-CLIENT")] if own else [],
        start=start,
        end=end,
        tz=tz,
        privacy=privacy,
        reminders=reminders,
        recurrence=recurrence,
        version=_sequence(event),
        ical_uid=uid,
    )
    if recurrence is not None and day_exdates:
        # A date-only EXDATE on a timed series: exclude whatever starts that local day.
        more = [
            occ.original_start
            for day in day_exdates
            for occ in expand(base, day, day + timedelta(days=1)).occurrences
            if isinstance(occ.original_start, datetime)
            and occ.original_start.astimezone(zone).date() == day
        ]
        base = attrs.evolve(
            base, recurrence=attrs.evolve(recurrence, exdates=[*recurrence.exdates, *more])
        )
    if not children:
        return base, notes
    if base.recurrence is None:
        notes.extend(
            (i, "an edited occurrence of an event that does not repeat; skipped")
            for i, _ in children
        )
        return base, notes
    good: list[OccurrenceOverride] = []
    for i, child in children:
        try:
            o = _override(child, base, zone, all_day, statuses)
            attrs.evolve(base, recurrence=attrs.evolve(base.recurrence, overrides=[*good, o]))
        except ValidationError as exc:
            notes.append((i, f"edited occurrence skipped: {'; '.join(exc.problems) or exc}"))
        except _UNREADABLE as exc:
            notes.append((i, f"edited occurrence skipped: {exc}"))
        else:
            good.append(o)
    return attrs.evolve(base, recurrence=attrs.evolve(base.recurrence, overrides=good)), notes


def _override(
    child: Any, base: Activity, zone: ZoneInfo, all_day: bool, statuses: list[ActivityStatus]
) -> OccurrenceOverride:
    rid = child["RECURRENCE-ID"]
    if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        raise ValidationError(
            "unsupported", ["RANGE=THISANDFUTURE is not supported; split the series instead"]
        )
    original = _point(rid, zone, all_day)
    start = _point(child["DTSTART"], zone, all_day) if child.get("DTSTART") is not None else None
    if child.get("DTEND") is not None:
        end: When | None = _point(child["DTEND"], zone, all_day)
    elif child.get("DURATION") is not None and start is not None:
        end = plus(start, child["DURATION"].dt, zone)
    else:
        end = None
    cancelled = (_text(child, _X + "CANCELLED") or "").upper() == "TRUE"
    title = _text(child, "SUMMARY")
    notes = _text(child, "DESCRIPTION") or ""
    location = _text(child, "LOCATION") or ""
    status_id = _status_for(child, statuses, base.status_id)
    listed = _text(child, _X + "OVERRIDES")
    if listed is not None:
        fields = set(listed.split()) - {"none"}
        return OccurrenceOverride(
            original_start=original,
            cancelled=cancelled,
            start=start if "start" in fields else None,
            end=end if "end" in fields else None,
            title=title if "title" in fields else None,
            notes=notes if "notes" in fields else None,
            location=location if "location" in fields else None,
            status_id=status_id if "status_id" in fields else None,
        )
    if (_text(child, "STATUS") or "").upper() == "CANCELLED" and _text(
        child, _X + "STATUS"
    ) is None:
        cancelled = True
    # Instants, not wall clocks: 01:30 in the two runs of a repeated hour differ.
    moved = start is not None and not same_instant(start, original)
    at = start if start is not None else original
    natural_end = (
        (at.astimezone(UTC) + base.duration).astimezone(zone)
        if isinstance(at, datetime)
        else at + timedelta(days=base.duration.days)
    )
    return OccurrenceOverride(
        original_start=original,
        cancelled=cancelled,
        start=start if moved else None,
        end=end if end is not None and not same_instant(end, natural_end) else None,
        title=title if title is not None and title != base.title else None,
        notes=notes if notes != base.notes else None,
        location=location if location != base.location else None,
        status_id=status_id if status_id != base.status_id else None,
    )
