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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import attrs

from leadcore.calendar._series import load_zone

__all__ = ["ZoneFinder"]

# Offsets are compared twice a day over these years around the event: enough to
# see both summer time changes of each year, and rules that changed recently.
_YEARS_BEFORE, _YEARS_AFTER = 1, 2
_QUICK = tuple((month, 15) for month in (1, 3, 4, 6, 7, 9, 10, 12))


def _windows_names() -> dict[str, str]:
    try:
        from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
    except ImportError:  # pragma: no cover - an icalendar without the table
        return {}
    return dict(WINDOWS_TO_OLSON)


@lru_cache(maxsize=1)
def _all_zones() -> tuple[ZoneInfo, ...]:
    return tuple(ZoneInfo(name) for name in sorted(zoneinfo.available_timezones()))


def _instants(year: int) -> Iterator[datetime]:
    at = datetime(year - _YEARS_BEFORE, 1, 1, tzinfo=UTC)
    end = datetime(year + _YEARS_AFTER + 1, 1, 1, tzinfo=UTC)
    while at < end:
        yield at
        at += timedelta(hours=12)


def _agrees(candidate: tzinfo, theirs: tzinfo, year: int) -> bool:
    quick = (datetime(year, m, d, 12, tzinfo=UTC) for m, d in _QUICK)
    if any(i.astimezone(candidate).utcoffset() != i.astimezone(theirs).utcoffset() for i in quick):
        return False
    return all(
        i.astimezone(candidate).utcoffset() == i.astimezone(theirs).utcoffset()
        for i in _instants(year)
    )


@attrs.define
class ZoneFinder:
    """Finds IANA zones for the times of one file, remembering what it found.

    ``fallback`` is the zone of floating times (the file's ``X-WR-TIMEZONE``
    or the importing user's zone).
    """

    fallback: str
    _found: dict[tuple[str | None, int, int], tuple[str | None, str | None]] = attrs.field(
        factory=dict, init=False
    )

    def zone_of(self, value: datetime, tzid: str | None) -> tuple[str | None, str | None]:
        """The IANA name for the zone of ``value`` and a note saying how it was found.

        ``(None, why)`` when no IANA zone fits. The note is ``None`` when the
        file named the zone by its IANA name or the time was UTC or floating.
        """
        tz = value.tzinfo
        if isinstance(tz, ZoneInfo) and tz.key and load_zone(tz.key)[0] is not None:
            return str(tz.key), None
        if tzid is None and (tz is None or value.utcoffset() == timedelta(0)):
            return (self.fallback if load_zone(self.fallback)[0] is not None else "UTC"), None
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
        for name in named:
            zone = load_zone(name)[0]
            if zone is None:
                continue
            if tz is None or _agrees(zone, tz, value.year):
                note = None if name == tzid else f"TZID {tzid!r} read as {name!r}"
                return name, note
        if tz is not None:
            # A zone known only by its VTIMEZONE: the IANA zone with the same offsets.
            preferred = load_zone(self.fallback)[0]
            candidates = [*([preferred] if preferred is not None else []), *_all_zones()]
            for zone in candidates:
                if _agrees(zone, tz, value.year):
                    return (
                        zone.key,
                        f"TZID {tzid!r}: its VTIMEZONE has the offsets of {zone.key!r}",
                    )
            return None, (
                f"time zone {tzid!r}: its VTIMEZONE matches no IANA time zone "
                f"in {value.year - _YEARS_BEFORE}-{value.year + _YEARS_AFTER}"
            )
        return None, (
            f"time zone {tzid!r} is not known (an IANA or Windows name, or one "
            "defined by a VTIMEZONE in the file)"
        )
