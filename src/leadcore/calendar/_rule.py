"""RFC 5545 ``RRULE`` text: parsing with every problem named, and one canonical spelling.

The parser is stricter than dateutil's ``rrulestr`` where RFC 5545 is (COUNT
with UNTIL, a numbered BYDAY outside MONTHLY/YEARLY, BYWEEKNO outside
YEARLY) and reports every problem at once. The canonical text lists the parts
in the order of RFC 5545 section 3.3.10, each list sorted and without
duplicates, so two spellings of one rule compare equal.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import attrs

from leadcore._limits import shown

__all__ = ["FREQUENCIES", "WEEKDAYS", "ByDay", "Rule", "parse_rule"]

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_KNOWN = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
_BYDAY = re.compile(r"([+-]?)(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")
_INT = re.compile(r"[+-]?\d{1,9}")


@attrs.frozen
class ByDay:
    """One ``BYDAY`` entry: a weekday (0 = Monday) and an optional ordinal (``-1FR``)."""

    weekday: int
    n: int | None = None

    def __str__(self) -> str:
        prefix = "" if self.n is None else str(self.n)
        return f"{prefix}{WEEKDAYS[self.weekday]}"


@attrs.frozen
class Rule:
    """A parsed recurrence rule; ``until`` is as written (naive, UTC-aware or a date)."""

    freq: str
    interval: int = 1
    count: int | None = None
    until: datetime | date | None = None
    bysecond: tuple[int, ...] = ()
    byminute: tuple[int, ...] = ()
    byhour: tuple[int, ...] = ()
    byday: tuple[ByDay, ...] = ()
    bymonthday: tuple[int, ...] = ()
    byyearday: tuple[int, ...] = ()
    byweekno: tuple[int, ...] = ()
    bymonth: tuple[int, ...] = ()
    bysetpos: tuple[int, ...] = ()
    wkst: int = 0

    @property
    def has_day_filter(self) -> bool:
        """Whether any part narrows the days (beyond what the start implies)."""
        return bool(
            self.byday or self.bymonthday or self.byyearday or self.byweekno or self.bymonth
        )

    def text(self, until: str | None = None) -> str:
        """The canonical text; ``until`` replaces the UNTIL value as written."""
        parts = [f"FREQ={self.freq}"]
        if self.until is not None:
            parts.append(f"UNTIL={until if until is not None else _until_text(self.until)}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        for name, values in (
            ("BYSECOND", self.bysecond),
            ("BYMINUTE", self.byminute),
            ("BYHOUR", self.byhour),
            ("BYDAY", self.byday),
            ("BYMONTHDAY", self.bymonthday),
            ("BYYEARDAY", self.byyearday),
            ("BYWEEKNO", self.byweekno),
            ("BYMONTH", self.bymonth),
            ("BYSETPOS", self.bysetpos),
        ):
            if values:
                parts.append(f"{name}={','.join(str(v) for v in values)}")
        if self.wkst != 0:
            parts.append(f"WKST={WEEKDAYS[self.wkst]}")
        return ";".join(parts)


def _until_text(value: datetime | date) -> str:
    if isinstance(value, datetime):
        suffix = "Z" if value.tzinfo is not None else ""
        return value.strftime("%Y%m%dT%H%M%S") + suffix
    return value.strftime("%Y%m%d")


def _ints(
    name: str, raw: str, low: int, high: int, *, signed: bool, problems: list[str], where: str
) -> tuple[int, ...]:
    values: set[int] = set()
    accepted = f"1 to {high} or -{high} to -1" if signed else f"{low} to {high}"
    for item in raw.split(","):
        if not _INT.fullmatch(item):
            problems.append(f"{where}: {name}={raw!r}: {item!r} is not a whole number")
            continue
        value = int(item)
        ok = (low <= abs(value) <= high and value != 0) if signed else low <= value <= high
        if not ok:
            problems.append(f"{where}: {name}={raw!r}: {value} is out of range ({accepted})")
            continue
        values.add(value)
    return tuple(sorted(values))


def _parse_until(raw: str, problems: list[str], where: str) -> datetime | date | None:
    m = _UNTIL.fullmatch(raw)
    if m is None:
        problems.append(
            f"{where}: UNTIL={raw!r} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])"
        )
        return None
    year, month, day, hour, minute, second, zulu = m.groups()
    try:
        if hour is None:
            return date(int(year), int(month), int(day))
        value = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second))
    except ValueError as exc:
        problems.append(f"{where}: UNTIL={raw!r} is not a real date or time ({exc})")
        return None
    if zulu:
        return value.replace(tzinfo=UTC)
    return value


_MAX_COUNT_READ = 999_999_999
"""The largest COUNT read (a compiled series has its own, lower limit)."""
_MAX_INTERVAL = 1_000
"""The largest INTERVAL: every period of a series starting in a supported year stays a date."""


def _positive(name: str, raw: str, maximum: int, problems: list[str], where: str) -> int | None:
    # Digits are checked before int(): a number past Python's digit limit raises ValueError.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= maximum:
        problems.append(f"{where}: {name}={shown(raw)} must be a whole number from 1 to {maximum}")
        return None
    return int(raw)


def parse_rule(text: str, where: str = "rule") -> tuple[Rule | None, list[str]]:
    """Parse ``text`` (with or without ``RRULE:``); return the rule and every problem.

    The rule is ``None`` whenever there is a problem. ``where`` prefixes each
    problem (``recurrence.rule``).

    >>> rule, problems = parse_rule("RRULE:freq=weekly;byday=WE,MO;interval=2")
    >>> rule.text(), problems
    ('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE', [])
    >>> parse_rule("FREQ=FORTNIGHTLY")[1]
    ["rule: FREQ='FORTNIGHTLY' is not one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY"]
    """  # noqa: E501
    problems: list[str] = []
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    raw_parts: dict[str, str] = {}
    if not body:
        return None, [f"{where}: is empty; give a rule such as FREQ=WEEKLY;BYDAY=MO"]
    for chunk in body.split(";"):
        if not chunk:
            continue
        name, sep, value = chunk.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip():
            problems.append(f"{where}: {chunk!r} is not NAME=VALUE")
            continue
        if name not in _KNOWN:
            problems.append(f"{where}: unknown part {name!r}; accepted: {', '.join(_KNOWN)}")
            continue
        if name in raw_parts:
            problems.append(f"{where}: {name} is given more than once")
            continue
        raw_parts[name] = value.strip().upper()

    freq = raw_parts.get("FREQ")
    if freq is None:
        problems.append(f"{where}: FREQ is missing; accepted: {', '.join(FREQUENCIES)}")
    elif freq not in FREQUENCIES:
        problems.append(f"{where}: FREQ={freq!r} is not one of {', '.join(FREQUENCIES)}")
        freq = None

    kwargs: dict[str, object] = {}
    if "INTERVAL" in raw_parts:
        kwargs["interval"] = _positive(
            "INTERVAL", raw_parts["INTERVAL"], _MAX_INTERVAL, problems, where
        )
    if "COUNT" in raw_parts:
        kwargs["count"] = _positive("COUNT", raw_parts["COUNT"], _MAX_COUNT_READ, problems, where)
    if "UNTIL" in raw_parts:
        kwargs["until"] = _parse_until(raw_parts["UNTIL"], problems, where)
        if "COUNT" in raw_parts:
            problems.append(f"{where}: COUNT and UNTIL exclude each other (RFC 5545); keep one")

    ranges: dict[str, tuple[int, int, bool]] = {
        "BYSECOND": (0, 59, False),
        "BYMINUTE": (0, 59, False),
        "BYHOUR": (0, 23, False),
        "BYMONTHDAY": (1, 31, True),
        "BYYEARDAY": (1, 366, True),
        "BYWEEKNO": (1, 53, True),
        "BYMONTH": (1, 12, False),
        "BYSETPOS": (1, 366, True),
    }
    for name, (low, high, signed) in ranges.items():
        if name in raw_parts:
            kwargs[name.lower()] = _ints(
                name, raw_parts[name], low, high, signed=signed, problems=problems, where=where
            )

    if "BYDAY" in raw_parts:
        days: set[ByDay] = set()
        for item in raw_parts["BYDAY"].split(","):
            m = _BYDAY.fullmatch(item)
            if m is None:
                problems.append(
                    f"{where}: BYDAY={raw_parts['BYDAY']!r}: {item!r} is not a weekday "
                    "(MO..SU, optionally numbered such as 2TU or -1FR)"
                )
                continue
            sign, number, day = m.groups()
            n: int | None = None
            if number is not None:
                n = int(number) * (-1 if sign == "-" else 1)
                if not 1 <= abs(n) <= 53:
                    problems.append(f"{where}: BYDAY {item!r}: the number must be 1 to 53")
                    continue
            elif sign:
                problems.append(f"{where}: BYDAY {item!r}: a sign needs a number")
                continue
            days.add(ByDay(WEEKDAYS.index(day), n))
        kwargs["byday"] = tuple(sorted(days, key=lambda d: (d.n or 0, d.weekday)))
        if freq is not None and freq not in ("MONTHLY", "YEARLY") and any(d.n for d in days):
            problems.append(
                f"{where}: BYDAY with a number (such as 1MO) needs FREQ=MONTHLY or FREQ=YEARLY"
            )
    if "WKST" in raw_parts:
        if raw_parts["WKST"] in WEEKDAYS:
            kwargs["wkst"] = WEEKDAYS.index(raw_parts["WKST"])
        else:
            problems.append(f"{where}: WKST={raw_parts['WKST']!r} is not one of MO..SU")

    checks: tuple[tuple[bool, str], ...] = (
        (
            "BYWEEKNO" in raw_parts and freq not in (None, "YEARLY"),
            "BYWEEKNO needs FREQ=YEARLY",
        ),
        (
            "BYYEARDAY" in raw_parts and freq in ("DAILY", "WEEKLY", "MONTHLY"),
            "BYYEARDAY cannot be used with FREQ=DAILY, WEEKLY or MONTHLY",
        ),
        (
            "BYMONTHDAY" in raw_parts and freq == "WEEKLY",
            "BYMONTHDAY cannot be used with FREQ=WEEKLY",
        ),
        (
            "BYSETPOS" in raw_parts
            and not any(k.startswith("BY") and k != "BYSETPOS" for k in raw_parts),
            "BYSETPOS needs another BYxxx part to pick from",
        ),
    )
    problems.extend(f"{where}: {message}" for failed, message in checks if failed)

    if problems or freq is None:
        return None, problems
    return Rule(freq=freq, **kwargs), problems  # type: ignore[arg-type]
