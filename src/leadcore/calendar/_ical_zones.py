"""Which IANA zone the times of an imported event are in, whatever the file called it.

Files name zones three ways: an IANA name (Google), a Windows name such as
``Israel Standard Time`` (Outlook, Exchange), or a name that means nothing
outside the file, such as Outlook's ``Customized Time Zone``, whose rules are
only in the file's ``VTIMEZONE`` (RFC 5545 §3.6.5). The ``icalendar`` library
reads a ``VTIMEZONE`` into a time zone of its own when it parses the file, so
the instants of an event are exact in every case; an activity also needs an
IANA name to repeat in, which is found here: by the name (the Windows names
through ``icalendar``'s table of them), or else as the IANA zone whose offsets
agree with the ``VTIMEZONE``'s around the event.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._series import load_zone

__all__ = ["ZoneFinder", "iana_zone"]


def iana_zone(name: str) -> ZoneInfo | None:
    """The IANA zone ``name``, or ``None``; never an error, whatever a file says.

    ``ZoneInfo("Asia")`` raises ``IsADirectoryError`` (a directory of the zone
    database is not a zone): a file's TZID must not reach it unguarded.
    """
    try:
        return load_zone(name)[0]
    except OSError:
        return None


# A zone the file names (IANA or Windows) is taken if its offsets agree with the
# file's VTIMEZONE in the event's year; a zone known only by its VTIMEZONE is the
# IANA zone whose offsets agree in the years around it too (the rules Outlook writes
# are simplified: they may differ from the real ones some years away).
_YEARS_AROUND = 1
_FINE = timedelta(minutes=15)
_STEP = timedelta(days=10)


def _windows_names() -> dict[str, str]:
    try:
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
    except ImportError:  # pragma: no cover - an icalendar without the table
        return {}
    return dict(WINDOWS_TO_OLSON)


@lru_cache(maxsize=1)
def _all_zones() -> tuple[ZoneInfo, ...]:
    """Every IANA zone: first those Windows maps its zones to (in the order of its names)."""
    known = zoneinfo.available_timezones()
    main = [name for name in dict.fromkeys(_windows_names().values()) if name in known]
    rest = sorted(known - set(main))
    return tuple(ZoneInfo(name) for name in (*main, *rest))


#: Offsets of a zone at instants: every ``_STEP`` over the years compared, and the
#: two instants ``_FINE`` apart between which it changes, wherever it does.
Profile = tuple[tuple[datetime, timedelta | None], ...]

# A zone from a VTIMEZONE is slow to ask (dateutil runs its rules from 1601 each
# time): a profile asks it about a hundred times, and is kept for the next file.
_PROFILES: dict[tuple[object, ...], Profile] = {}
_PROFILES_KEPT = 256


def _profile(theirs: tzinfo, year: int, around: int, key: tuple[object, ...] | None) -> Profile:
    full_key = None if key is None else (*key, year, around)
    if full_key is not None and full_key in _PROFILES:
        return _PROFILES[full_key]

    def offset(i: datetime) -> timedelta | None:
        return i.astimezone(theirs).utcoffset()

    found: list[tuple[datetime, timedelta | None]] = []
    at = datetime(year - around, 1, 1, tzinfo=UTC)
    end = datetime(year + around + 1, 1, 1, tzinfo=UTC)
    before = (at, offset(at))
    found.append(before)
    while before[0] < end:
        now_at = before[0] + _STEP
        now = (now_at, offset(now_at))
        lo, hi = before, now
        while lo[1] != hi[1] and hi[0] - lo[0] > _FINE:
            # Bisect to the change (one per interval: zones change at most monthly).
            mid_at = lo[0] + (hi[0] - lo[0]) / 2
            mid = (mid_at, offset(mid_at))
            if mid[1] == lo[1]:
                lo = mid
            else:
                hi = mid
        if lo[1] != hi[1]:
            found.extend((lo, hi))
        found.append(now)
        before = now
    profile = tuple(found)
    if full_key is not None:
        if len(_PROFILES) >= _PROFILES_KEPT:
            _PROFILES.clear()
        _PROFILES[full_key] = profile
    return profile


def _agrees(candidate: tzinfo, profile: Profile) -> bool:
    return all(i.astimezone(candidate).utcoffset() == off for i, off in profile)


@lru_cache(maxsize=64)
def _matching(profile: Profile, preferred: str) -> str | None:
    """The first IANA zone (``preferred`` first) with the offsets of ``profile``."""
    first = iana_zone(preferred)
    for zone in (*([first] if first is not None else []), *_all_zones()):
        if _agrees(zone, profile):
            return str(zone.key)
    return None


@attrs.define
class ZoneFinder:
    """Finds IANA zones for the times of one file, remembering what it found.

    ``fallback`` is the zone of floating times (the file's ``X-WR-TIMEZONE``
    or the importing user's zone).
    """

    fallback: str
    vtimezones: Mapping[str, str] = attrs.field(factory=dict)
    """The text of each VTIMEZONE of the file by TZID (what its zone is remembered by)."""
    _found: dict[tuple[str | None, int, int], tuple[str | None, str | None]] = attrs.field(
        factory=dict, init=False
    )

    def zone_of(self, value: datetime, tzid: str | None) -> tuple[str | None, str | None]:
        """The IANA name for the zone of ``value`` and a note saying how it was found.

        ``(None, why)`` when no IANA zone fits. The note is ``None`` when the
        file named the zone by its IANA name or the time was UTC or floating.
        """
        tz = value.tzinfo
        if isinstance(tz, ZoneInfo) and tz.key and iana_zone(tz.key) is not None:
            return str(tz.key), None
        if tzid is None and (tz is None or value.utcoffset() == timedelta(0)):
            return (self.fallback if iana_zone(self.fallback) is not None else "UTC"), None
        key = (tzid, id(tz), value.year)
        if key not in self._found:
            self._found[key] = self._search(value, tzid)
        return self._found[key]

    def _search(self, value: datetime, tzid: str | None) -> tuple[str | None, str | None]:
        tz = value.tzinfo if value.utcoffset() is not None else None
        named: list[str] = []
        if tzid:
            windows = _windows_names().get(tzid)
            if windows is not None:
                named.append(windows)
            named.append(tzid)
            parts = tzid.strip("/").split("/")
            named.extend("/".join(parts[i:]) for i in range(1, len(parts)))
        key = None if tzid is None or tzid not in self.vtimezones else (self.vtimezones[tzid],)
        exact = None if tz is None else _profile(tz, value.year, 0, key)
        for name in named:
            zone = iana_zone(name)
            if zone is not None and (exact is None or _agrees(zone, exact)):
                note = None if name == tzid else f"TZID {tzid!r} read as {name!r}"
                return name, note
        if tz is not None:
            # A zone known only by its VTIMEZONE: the IANA zone with the same offsets.
            match = _matching(_profile(tz, value.year, _YEARS_AROUND, key), self.fallback)
            if match is not None:
                return match, f"TZID {tzid!r}: its VTIMEZONE has the offsets of {match!r}"
            for name in named:
                # The file's rules differ from the zone it names: its name wins.
                if iana_zone(name) is not None:
                    return name, f"TZID {tzid!r} read as {name!r} (its VTIMEZONE differs)"
            return None, (
                f"time zone {tzid!r}: its VTIMEZONE matches no IANA time zone "
                f"in {value.year - _YEARS_AROUND}-{value.year + _YEARS_AROUND}"
            )
        return None, (
            f"time zone {tzid!r} is not known (an IANA or Windows name, or one "
            "defined by a VTIMEZONE in the file)"
        )
