"""Hostile values for property tests: huge integers, edge dates, bad durations and time zones.

Each strategy mixes the values a careful attacker tries first (the edges of
what ``datetime`` and database integers hold, the limits leadcore documents
and one step past them) with ordinary values, so that a test sees both
refusals and successes. A public call given any of them must answer with
success or a :class:`~leadcore.errors.ValidationError`, never a raw
exception, and the same on every storage.

>>> from hypothesis import find
>>> find(huge_integers(), lambda n: n > 10**100).bit_length() > 300
True
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from leadcore._limits import MAX_DURATION, MAX_YEAR, MIN_YEAR

__all__ = [
    "EDGE_DAYS",
    "EDGE_INTEGERS",
    "HOSTILE_TIME_ZONES",
    "edge_dates",
    "edge_datetimes",
    "edge_durations",
    "hostile_time_zones",
    "huge_integers",
]

#: Integers at the edges of 32- and 64-bit columns, of ``datetime`` arithmetic and beyond.
EDGE_INTEGERS: tuple[int, ...] = (
    -1,
    0,
    1,
    59,
    60,
    1_440,
    10_080,
    10_081,
    86_400,
    86_401,
    525_600,
    525_601,
    1_000_000,
    1_000_001,
    2**31 - 1,
    2**31,
    2**53,
    2**63 - 1,
    2**63,
    10**12,
    10**15,
    10**30,
    -(10**30),
    -(2**63),
    10**5000,  # past Python's digit limit: str() and int() of its text raise ValueError
)

#: Time zone names that are not zones: too long, empty, paths, NUL, a folder, wrong types.
HOSTILE_TIME_ZONES: tuple[object, ...] = (
    "",
    " ",
    "A" * 300,
    "Europe/" + "x" * 250,
    "../etc",
    "/etc/localtime",
    "Europe/../UTC",
    "Europe/Lon\x00don",
    "America",
    "Not/AZone",
    "utc\n",
    "\udc80",
    5,
    None,
    b"UTC",
)

_VALID_ZONES = ("UTC", "Asia/Jerusalem", "Europe/London", "Pacific/Kiritimati", "Etc/GMT+12")
EDGE_DAYS = (
    date.min,
    date(1, 1, 2),
    date(MIN_YEAR - 1, 12, 31),
    date(MIN_YEAR, 1, 1),
    date(MAX_YEAR, 12, 31),
    date(MAX_YEAR + 1, 1, 1),
    date(9998, 12, 31),
    date(9999, 12, 30),
    date.max,
)


def huge_integers() -> st.SearchStrategy[int]:
    """Integers of any size: the :data:`EDGE_INTEGERS`, ordinary ones, and very long ones."""
    return st.one_of(
        st.sampled_from(EDGE_INTEGERS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.integers(min_value=1, max_value=20_000).map(lambda bits: 2**bits - 1),
    )


def hostile_time_zones() -> st.SearchStrategy[object]:
    """Things passed as a time zone name: :data:`HOSTILE_TIME_ZONES`, real names, random text."""
    return st.one_of(
        st.sampled_from(HOSTILE_TIME_ZONES),
        st.sampled_from(_VALID_ZONES),
        st.text(max_size=300),
    )


def edge_dates() -> st.SearchStrategy[date]:
    """Dates at the ends of ``datetime``'s range and of the supported years, and in between."""
    return st.one_of(
        st.sampled_from(EDGE_DAYS),
        st.dates(),
        st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)),
    )


def edge_datetimes() -> st.SearchStrategy[datetime]:
    """Aware datetimes at the edges (in zones far east and west of UTC), and ordinary ones.

    A wall time whose instant would not fit ``datetime`` in UTC (a caller
    could not compare it either) is taken in UTC instead.
    """

    def build(day: date, wall: time, zone: str) -> datetime:
        value = datetime.combine(day, wall, ZoneInfo(zone))
        try:
            value.astimezone(UTC)
        except (OverflowError, ValueError):
            return value.replace(tzinfo=UTC)
        return value

    return st.builds(
        build,
        edge_dates(),
        st.sampled_from((time(0), time(12), time(23, 59, 59))),
        st.sampled_from(_VALID_ZONES),
    )


def edge_durations() -> st.SearchStrategy[timedelta]:
    """Durations from ``timedelta.min`` to ``timedelta.max``, around the supported maximum."""
    return st.one_of(
        st.sampled_from(
            (
                timedelta(0),
                timedelta(seconds=1),
                timedelta(days=1),
                -timedelta(days=1),
                MAX_DURATION,
                MAX_DURATION + timedelta(seconds=1),
                timedelta(days=999_999_999),
                timedelta.max,
                timedelta.min,
            )
        ),
        st.timedeltas(),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    )
