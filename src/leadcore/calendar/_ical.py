"""iCalendar (RFC 5545) export and import, with the ``icalendar`` library (extra ``ical``).

Export writes one ``VEVENT`` per activity (UID, DTSTAMP, SEQUENCE, ORGANIZER,
ATTENDEE, RRULE/EXDATE/RDATE, STATUS from the status meaning, CLASS, TRANSP,
VALARM reminders), one more per edited occurrence (RECURRENCE-ID), and the
``VTIMEZONE`` of every zone used. What iCalendar has no property for (type,
status, clients) travels in ``X-LEADCORE-*`` properties, so importing an
export gives the same activities back.

A time that RFC 5545 §3.3.5 would read as another instant in local time
(01:30 in the second run of the repeated hour) is written in UTC. An activity
imported from another tool exports with that tool's UID.

Import lives in :mod:`leadcore.calendar._ical_import` and is re-exported here.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

from leadcore.calendar._ical_import import IcsImport, IcsMapping, IcsProblem, from_ics
from leadcore.calendar._ical_text import misread, written
from leadcore.calendar._model import (
    Activity,
    ActivityStatus,
    OccurrenceOverride,
    Privacy,
    StatusMeaning,
    When,
)
from leadcore.calendar._visibility import Visibility, can_see
from leadcore.errors import LeadcoreError, ValidationError

__all__ = [
    "IcalUnavailable",
    "IcsImport",
    "IcsMapping",
    "IcsProblem",
    "export_source",
    "from_ics",
    "to_ics",
]

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


def export_source(organization_id: str, created_at: datetime) -> str:
    """What an organisation's exports are recognised by: a digest of its id and creation time.

    Ids alone repeat across deployments (``SequentialIds`` count from 1 in
    each); with the instant the organisation was created they do not.

    >>> from datetime import datetime, timezone
    >>> export_source("org-1", datetime(2026, 3, 1, tzinfo=timezone.utc))
    '68ad9954615029c6f2ed7bd8'
    """
    digest = hashlib.sha256(f"{organization_id}\n{created_at.isoformat()}".encode())
    return digest.hexdigest()[:24]


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


def _add_times(event: Any, start: When, end: When, zone: ZoneInfo) -> None:
    event.add("dtstart", written(start, zone))
    event.add("dtend", written(end, zone))


def _add_points(event: Any, name: str, values: tuple[When, ...], zone: ZoneInfo) -> None:
    if not values:
        return
    if any(misread(v, zone) for v in values):
        # One list has one TZID: if one point must be written in UTC, all are.
        event.add(name, [v.astimezone(UTC) if isinstance(v, datetime) else v for v in values])
    else:
        event.add(name, [written(v, zone) for v in values])


def _end_of(o: OccurrenceOverride, a: Activity) -> tuple[When, When]:
    """Start and end of an edited occurrence; an unchanged end keeps the exact duration."""
    start = o.start if o.start is not None else o.original_start
    if o.end is not None:
        return start, o.end
    if isinstance(start, datetime):
        return start, (start.astimezone(UTC) + a.duration).astimezone(a.zone)
    return start, start + timedelta(days=a.duration.days)


def to_ics(
    activities: Iterable[Activity],
    statuses: Iterable[ActivityStatus],
    *,
    now: datetime,
    visible: Visibility = None,
    addresses: Mapping[str, str] | None = None,
    name: str | None = None,
    source: str | None = None,
) -> str:
    """Export ``activities`` (a user's calendar, a client's timeline, or one) as iCalendar text.

    ``now`` is written as DTSTAMP; ``addresses`` maps user ids to calendar
    addresses (``mailto:dana@example.com``), others get :func:`default_address`.
    ``source`` (see :func:`export_source`) is written as ``X-LEADCORE-SOURCE``:
    an import into the same organisation recognises its own export by it.
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
        events.extend(_events(ical, activity, shown, meanings, stamp, addr, source))
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
    source: str | None,
) -> list[Any]:
    own = a.ical_uid or a.id
    uid = own if shown else "busy-" + hashlib.sha256(own.encode()).hexdigest()[:24]
    zone = a.zone
    master = ical.Event()
    master.add("uid", uid)
    master.add("dtstamp", stamp)
    _add_times(master, a.start, a.end, zone)
    rec = a.recurrence
    if rec is not None:
        if rec.rule is not None:
            master.add("rrule", ical.vRecur.from_ical(rec.rule))
        _add_points(master, "exdate", rec.exdates, zone)
        _add_points(master, "rdate", rec.rdates, zone)
    master.add("transp", "OPAQUE")
    if not shown:
        master.add("summary", _BUSY)
        master.add("class", "CONFIDENTIAL")
        events = [master]
        for o in rec.overrides if rec is not None else ():
            child = ical.Event()
            child.add("uid", uid)
            child.add("dtstamp", stamp)
            child.add("recurrence-id", written(o.original_start, zone))
            _add_times(child, *_end_of(o, a), zone)
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
    if source is not None:
        master.add(_X + "SOURCE", source)
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
        child.add("recurrence-id", written(o.original_start, zone))
        _add_times(child, *_end_of(o, a), zone)
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
