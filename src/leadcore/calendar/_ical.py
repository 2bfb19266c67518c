"""iCalendar (RFC 5545) export and import, with the ``icalendar`` library (extra ``ical``).

Export writes one ``VEVENT`` per activity (UID, DTSTAMP, SEQUENCE, ORGANIZER,
ATTENDEE, RRULE/EXDATE/RDATE, STATUS from the status meaning, CLASS, TRANSP,
VALARM reminders), one more per edited occurrence (RECURRENCE-ID), and the
``VTIMEZONE`` of every zone used. What iCalendar has no property for (type,
status, clients) travels in ``X-LEADCORE-*`` properties, so importing an
export gives the same activities back.

Import takes what real clients send: Windows zone names (``Israel Standard
Time``), a local or date-only UNTIL, date-only EXDATE on timed series, UTC
or floating times. An event that cannot be read is reported with the reason,
and the others are still imported.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from leadcore._limits import MAX_YEAR, MIN_YEAR, load_zone
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
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import LeadcoreError, ValidationError

__all__ = ["IcalUnavailable", "IcsImport", "IcsProblem", "from_ics", "to_ics"]

_PRODID = "-//leadcore//calendar//EN"
_X = "X-LEADCORE-"
_OVERRIDE_FIELDS = ("start", "end", "title", "notes", "location", "status_id")
_BUSY = "Busy"


class IcalUnavailable(LeadcoreError, ImportError):
    """The ``icalendar`` library is missing: install leadcore with the ``ical`` extra."""


def _icalendar() -> ModuleType:
    try:
        return importlib.import_module("icalendar")
    except ImportError as exc:
        raise IcalUnavailable(
            "iCalendar support needs the 'icalendar' package: pip install 'leadcore[ical]'"
        ) from exc


def default_address(user_id: str) -> str:
    """The calendar address of a user when none is given: ``urn:x-leadcore:user:<id>``."""
    return f"urn:x-leadcore:user:{user_id}"


@lru_cache(maxsize=64)
def _vtimezone(tz: str, first_year: int, last_year: int) -> Any:
    ical = _icalendar()
    return ical.Timezone.from_tzid(
        tz, first_date=date(first_year, 1, 1), last_date=date(last_year, 1, 1)
    )


def _status_of(meanings: Mapping[str, StatusMeaning], status_id: str) -> str:
    meaning = meanings.get(status_id)
    return "CANCELLED" if meaning is StatusMeaning.CANCELLED else "CONFIRMED"


def _add_times(event: Any, start: When, end: When) -> None:
    event.add("dtstart", start)
    event.add("dtend", end)


def _add_points(event: Any, name: str, values: tuple[When, ...]) -> None:
    if values:
        event.add(name, list(values))


def to_ics(
    activities: Iterable[Activity],
    statuses: Iterable[ActivityStatus],
    *,
    now: datetime,
    visible: Visibility = None,
    addresses: Mapping[str, str] | None = None,
    name: str | None = None,
) -> str:
    """Export ``activities`` (a user's calendar, a client's timeline, or one) as iCalendar text.

    ``now`` is written as DTSTAMP; ``addresses`` maps user ids to calendar
    addresses (``mailto:dana@example.com``), others get :func:`default_address`.
    Activities the viewer may not see are exported as busy time only: their
    times and recurrence, titled "Busy", with an opaque UID and nothing else.

    >>> from datetime import datetime, timezone
    >>> from leadcore.calendar import Activity
    >>> utc = timezone.utc
    >>> call = Activity(
    ...     id="a1", organization_id="o1", type_id="call", status_id="open", title="Call Dana",
    ...     responsible_user_id="u1", tz="UTC",
    ...     start=datetime(2026, 3, 2, 9, tzinfo=utc), end=datetime(2026, 3, 2, 10, tzinfo=utc),
    ... )
    >>> text = to_ics([call], [], now=datetime(2026, 3, 1, tzinfo=utc))
    >>> "SUMMARY:Call Dana" in text.splitlines()
    True
    """
    ical = _icalendar()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError("the export is invalid", ["now: must be timezone-aware"])
    meanings = {s.id: s.meaning for s in statuses}
    stamp = now.astimezone(UTC)
    addr = dict(addresses or {})
    cal = ical.Calendar()
    cal.add("prodid", _PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if name:
        cal.add("x-wr-calname", ical.vText(name))  # escaped like any text property
    zones: dict[str, list[int]] = {}
    events: list[Any] = []
    for activity in activities:
        shown = can_see(visible, activity)
        events.extend(_events(ical, activity, shown, meanings, stamp, addr))
        if not activity.all_day and activity.tz != "UTC":
            years = zones.setdefault(activity.tz, [activity.start.year, activity.start.year])
            years[0] = min(years[0], activity.start.year)
            years[1] = max(years[1], activity.start.year)
    for tz, (first, last) in sorted(zones.items()):
        cal.add_component(_vtimezone(tz, first - 1, max(last + 10, 2038)))
    for event in events:
        cal.add_component(event)
    text: str = cal.to_ical().decode("utf-8")
    return text


def _events(
    ical: ModuleType,
    a: Activity,
    shown: bool,
    meanings: Mapping[str, StatusMeaning],
    stamp: datetime,
    addresses: Mapping[str, str],
) -> list[Any]:
    uid = a.id if shown else "busy-" + hashlib.sha256(a.id.encode()).hexdigest()[:24]
    master = ical.Event()
    master.add("uid", uid)
    master.add("dtstamp", stamp)
    _add_times(master, a.start, a.end)
    rec = a.recurrence
    if rec is not None:
        if rec.rule is not None:
            master.add("rrule", ical.vRecur.from_ical(rec.rule))
        _add_points(master, "exdate", rec.exdates)
        _add_points(master, "rdate", rec.rdates)
    master.add("transp", "OPAQUE")
    if not shown:
        master.add("summary", _BUSY)
        master.add("class", "CONFIDENTIAL")
        events = [master]
        for o in rec.overrides if rec is not None else ():
            child = ical.Event()
            child.add("uid", uid)
            child.add("dtstamp", stamp)
            child.add("recurrence-id", o.original_start)
            start = o.start if o.start is not None else o.original_start
            end = o.end if o.end is not None else start + a.duration
            _add_times(child, start, end)
            child.add("summary", _BUSY)
            child.add("class", "CONFIDENTIAL")
            if o.cancelled:
                child.add("status", "CANCELLED")
            events.append(child)
        return events

    master.add("sequence", a.version)
    master.add("summary", a.title)
    if a.notes:
        master.add("description", a.notes)
    if a.location:
        master.add("location", a.location)
    master.add("status", _status_of(meanings, a.status_id))
    master.add("class", "PRIVATE" if a.privacy is Privacy.PRIVATE else "PUBLIC")
    master.add(
        "organizer",
        ical.vCalAddress(
            addresses.get(a.responsible_user_id) or default_address(a.responsible_user_id)
        ),
    )
    for user in a.user_ids:
        attendee = ical.vCalAddress(addresses.get(user) or default_address(user))
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        master.add("attendee", attendee)
    master.add(_X + "ORGANIZATION", a.organization_id)
    master.add(_X + "TZ", a.tz)
    master.add(_X + "TYPE", a.type_id)
    master.add(_X + "STATUS", a.status_id)
    master.add(_X + "RESPONSIBLE", a.responsible_user_id)
    for user in a.user_ids:
        master.add(_X + "USER", user)
    if a.client is not None:
        master.add(_X + "CLIENT", str(a.client))
    if a.contact_id is not None:
        master.add(_X + "CONTACT", a.contact_id)
    for ref in a.more_clients:
        master.add(_X + "MORE-CLIENT", str(ref))
    for reminder in a.reminders:
        alarm = ical.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", a.title)
        alarm.add("trigger", -reminder)
        master.add_component(alarm)
    events = [master]
    for o in rec.overrides if rec is not None else ():
        child = ical.Event()
        child.add("uid", uid)
        child.add("dtstamp", stamp)
        child.add("sequence", a.version)
        child.add("recurrence-id", o.original_start)
        start = o.start if o.start is not None else o.original_start
        end = o.end if o.end is not None else start + a.duration
        _add_times(child, start, end)
        child.add("summary", o.title if o.title is not None else a.title)
        notes = o.notes if o.notes is not None else a.notes
        if notes:
            child.add("description", notes)
        location = o.location if o.location is not None else a.location
        if location:
            child.add("location", location)
        status_id = o.status_id if o.status_id is not None else a.status_id
        cancelled = o.cancelled or meanings.get(status_id) is StatusMeaning.CANCELLED
        child.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        child.add("transp", "TRANSPARENT" if o.cancelled else "OPAQUE")
        child.add(_X + "STATUS", status_id)
        if o.cancelled:
            child.add(_X + "CANCELLED", "TRUE")
        changed = [f for f in _OVERRIDE_FIELDS if getattr(o, f) is not None]
        child.add(_X + "OVERRIDES", " ".join(changed) if changed else "none")
        events.append(child)
    return events


# -- import -------------------------------------------------------------------------


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
class IcsImport:
    """Activities read from a file, and every problem met on the way."""

    activities: tuple[Activity, ...]
    """The activities read, checked like scheduled ones."""
    problems: tuple[IcsProblem, ...] = ()
    """Every event not imported, or imported in part, with why."""


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


def _zone_name(value: datetime, tzid: str | None, fallback: str) -> str | None:
    """The IANA name of the zone of ``value``, whatever the file called it."""
    tz: tzinfo | None = value.tzinfo
    if isinstance(tz, ZoneInfo) and tz.key:
        return str(tz.key)
    if tzid is None and (tz is None or value.utcoffset() == timedelta(0)):
        # Floating or UTC times: the calendar's own zone, or the one asked for.
        return fallback if load_zone(fallback)[0] is not None else "UTC"
    candidates = []
    if tzid:
        candidates.append(tzid)
        parts = tzid.strip("/").split("/")
        candidates.extend("/".join(parts[i:]) for i in range(1, len(parts)))
        try:
            from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

            if tzid in WINDOWS_TO_OLSON:
                candidates.insert(0, WINDOWS_TO_OLSON[tzid])
        except ImportError:  # pragma: no cover - older icalendar
            pass
    for name in candidates:
        if load_zone(name)[0] is not None:
            return name
    return None


def _point(prop: Any, zone: ZoneInfo, all_day: bool) -> When:
    value: When = prop.dt if hasattr(prop, "dt") else prop
    if all_day:
        return value.date() if isinstance(value, datetime) else value
    if isinstance(value, datetime):
        if value.tzinfo is None or not isinstance(value.tzinfo, ZoneInfo):
            # Floating or an unnamed zone: read as wall time of the series' zone.
            if value.tzinfo is not None and value.utcoffset() == timedelta(0):
                return value.astimezone(zone)
            return value.replace(tzinfo=zone)
        return value.astimezone(zone)
    return value


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


def _user_of(address: str, reverse: Mapping[str, str]) -> str | None:
    key = address.strip()
    if key.lower() in reverse:
        return reverse[key.lower()]
    prefix = default_address("")
    if key.startswith(prefix):
        return key[len(prefix) :]
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


def from_ics(
    text: str | bytes,
    *,
    organization_id: str,
    type_id: str,
    statuses: Iterable[ActivityStatus],
    responsible_user_id: str | None = None,
    addresses: Mapping[str, str] | None = None,
    default_tz: str = "UTC",
    default_duration: timedelta = timedelta(minutes=30),
) -> IcsImport:
    """Read the events of an iCalendar file into activities of ``organization_id``.

    Events leadcore exported keep their type, status, users and clients.
    Others take ``type_id``, a status by their STATUS (cancelled or the first
    open one), the user their ORGANIZER maps to through ``addresses`` (user
    id to address) or else ``responsible_user_id``, and ``default_tz`` for
    floating times. Each event that cannot be read becomes an
    :class:`IcsProblem`; the file as a whole fails only if it is not
    iCalendar at all.
    """
    ical = _icalendar()
    try:
        cal = ical.Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError, OverflowError) as exc:
        raise ValidationError("the file is not iCalendar", [str(exc)]) from None
    except OSError:  # the parser looked up a TZID such as a 300-character name as a file
        raise ValidationError(
            "the file is not iCalendar",
            ["TZID: a time zone identifier of the file is not a time zone name"],
        ) from None
    status_list = list(statuses)
    reverse = {v.strip().lower(): k for k, v in (addresses or {}).items()}
    fallback_tz = _text(cal, "X-WR-TIMEZONE") or default_tz
    masters: dict[str, tuple[int, Any]] = {}
    children: dict[str, list[tuple[int, Any]]] = {}
    problems: list[IcsProblem] = []
    for index, event in enumerate(cal.walk("VEVENT")):
        uid = _text(event, "UID")
        if not uid:
            problems.append(IcsProblem(index, None, "no UID"))
            continue
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
    for uid, (index, event) in masters.items():
        try:
            activity, notes = _read(
                ical,
                index,
                uid,
                event,
                children.get(uid, []),
                organization_id=organization_id,
                type_id=type_id,
                statuses=status_list,
                responsible_user_id=responsible_user_id,
                reverse=reverse,
                fallback_tz=fallback_tz,
                default_duration=default_duration,
            )
        except ValidationError as exc:
            problems.extend(IcsProblem(index, uid, p) for p in (exc.problems or (exc.summary,)))
            continue
        except OverflowError:  # an end or duration past what datetime holds
            problems.append(IcsProblem(index, uid, _OUT_OF_RANGE))
            continue
        problems.extend(IcsProblem(i, uid, n) for i, n in notes)
        activities.append(activity)
    return IcsImport(tuple(activities), tuple(problems))


_OUT_OF_RANGE = (
    f"DTEND, DURATION: a time outside the supported range of years {MIN_YEAR} to {MAX_YEAR}"
)


def _read(
    ical: ModuleType,
    index: int,
    uid: str,
    event: Any,
    children: list[tuple[int, Any]],
    *,
    organization_id: str,
    type_id: str,
    statuses: list[ActivityStatus],
    responsible_user_id: str | None,
    reverse: Mapping[str, str],
    fallback_tz: str,
    default_duration: timedelta,
) -> tuple[Activity, list[tuple[int, str]]]:
    notes: list[tuple[int, str]] = []
    problems: list[str] = []
    dtstart = event.get("DTSTART")
    if dtstart is None:
        raise ValidationError("unreadable event", ["no DTSTART"])
    raw_start = dtstart.dt
    all_day = not isinstance(raw_start, datetime)
    own_tz = _text(event, _X + "TZ")
    if own_tz is not None and load_zone(own_tz)[0] is not None:
        tz = own_tz
    elif all_day:
        tz = fallback_tz if load_zone(fallback_tz)[0] is not None else "UTC"
    else:
        found = _zone_name(raw_start, dtstart.params.get("TZID"), fallback_tz)
        if found is None:
            raise ValidationError(
                "unreadable event",
                [f"DTSTART: time zone {dtstart.params.get('TZID')!r} is not known"],
            )
        tz = found
    zone = ZoneInfo(tz)
    start = _point(dtstart, zone, all_day)
    if event.get("DTEND") is not None:
        end = _point(event["DTEND"], zone, all_day)
    elif event.get("DURATION") is not None:
        end = start + event["DURATION"].dt
    else:
        end = start + (timedelta(days=1) if all_day else default_duration)

    responsible = _text(event, _X + "RESPONSIBLE")
    if responsible is None:
        organizer = _text(event, "ORGANIZER")
        responsible = _user_of(organizer, reverse) if organizer else None
    responsible = responsible or responsible_user_id
    if responsible is None:
        problems.append("ORGANIZER: not a known user, and no responsible_user_id was given")
    users = _texts(event, _X + "USER")
    if not users:
        for address in _texts(event, "ATTENDEE"):
            user = _user_of(address, reverse)
            if user is not None and user != responsible and user not in users:
                users.append(user)
    status_id = _status_for(event, statuses, None)
    if status_id is None:
        problems.append("STATUS: no activity status given to import it with")
    client = _text(event, _X + "CLIENT")
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
    if rule is not None or event.get("RDATE") is not None:
        exdates: list[When] = []
        day_exdates: list[date] = []
        for value in _points(event, "EXDATE"):
            if not all_day and not isinstance(value, datetime):
                day_exdates.append(value)
            else:
                exdates.append(_point(value, zone, all_day))
        rdates = [_point(v, zone, all_day) for v in _points(event, "RDATE")]
        recurrence = Recurrence(rule, exdates=exdates, rdates=rdates)
    base = Activity(
        id=uid,
        organization_id=organization_id,
        type_id=_text(event, _X + "TYPE") or type_id,
        status_id=status_id,
        title=(_text(event, "SUMMARY") or "").strip() or "(no title)",
        notes=_text(event, "DESCRIPTION") or "",
        location=_text(event, "LOCATION") or "",
        responsible_user_id=responsible,
        user_ids=users,
        client=ClientRef.parse(client) if client else None,
        contact_id=_text(event, _X + "CONTACT"),
        more_clients=[ClientRef.parse(c) for c in _texts(event, _X + "MORE-CLIENT")],
        start=start,
        end=end,
        tz=tz,
        privacy=privacy,
        reminders=reminders,
        recurrence=recurrence,
        version=max(1, int(event.get("SEQUENCE", 1))),
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
    overrides: list[tuple[int, OccurrenceOverride]] = []
    for i, child in children:
        try:
            overrides.append((i, _override(child, base, zone, all_day, statuses)))
        except (ValidationError, ValueError) as exc:
            notes.append((i, f"edited occurrence skipped: {exc}"))
    good = []
    for i, o in overrides:
        try:
            attrs.evolve(base, recurrence=attrs.evolve(base.recurrence, overrides=[o]))
        except ValidationError as exc:
            notes.append((i, f"edited occurrence skipped: {'; '.join(exc.problems)}"))
        else:
            good.append(o)
    return attrs.evolve(base, recurrence=attrs.evolve(base.recurrence, overrides=good)), notes


def _override(
    child: Any, base: Activity, zone: ZoneInfo, all_day: bool, statuses: list[ActivityStatus]
) -> OccurrenceOverride:
    rid = child["RECURRENCE-ID"]
    if str(rid.params.get("RANGE", "")).upper() == "THISANDFUTURE":
        raise ValidationError("RANGE=THISANDFUTURE is not supported; split the series instead")
    original = _point(rid, zone, all_day)
    start = _point(child["DTSTART"], zone, all_day) if child.get("DTSTART") is not None else None
    end = _point(child["DTEND"], zone, all_day) if child.get("DTEND") is not None else None
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
    moved = start is not None and start != original
    natural_end = (start if start is not None else original) + base.duration
    return OccurrenceOverride(
        original_start=original,
        cancelled=cancelled,
        start=start if moved else None,
        end=end if end is not None and end != natural_end else None,
        title=title if title is not None and title != base.title else None,
        notes=notes if notes != base.notes else None,
        location=location if location != base.location else None,
        status_id=status_id if status_id != base.status_id else None,
    )
