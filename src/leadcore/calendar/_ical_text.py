"""How the bytes of an iCalendar file become text, and how a time is written to one.

Encoding: RFC 5545 §3.1.4 makes UTF-8 the charset of iCalendar streams. An
import takes UTF-8 only, with or without a byte-order mark; any other bytes
are refused with a :class:`~leadcore.errors.ValidationError` naming the line
and the byte offset, rather than read as replacement characters ("���") that
would then be stored.

Times: RFC 5545 §3.3.5 reads a local time that a zone repeats (the autumn
hour) as its *first* run, and a local time a zone skips with the offset from
before the gap. A point whose offset is not that reading, such as 01:30 in the
second run of the repeated hour, is written in UTC, so that every reader finds
the same instant.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadcore.errors import ValidationError

__all__ = ["as_text", "misread", "plus", "same_instant", "structure_problems", "written"]

_BOM = b"\xef\xbb\xbf"


def as_text(data: str | bytes) -> str:
    r"""The text of an iCalendar file: UTF-8 (a byte-order mark allowed), else refused.

    >>> as_text(b"\xef\xbb\xbfBEGIN:VCALENDAR")
    'BEGIN:VCALENDAR'
    >>> as_text(b"BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\n")
    Traceback (most recent call last):
    ...
    leadcore.errors.ValidationError: the file is not UTF-8 (1 problem):
      line 2, byte 28: 0xe9 is not UTF-8 (iCalendar files are UTF-8, RFC 5545 section 3.1.4)
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    raw = bytes(data).removeprefix(_BOM)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        offset = exc.start + (len(data) - len(raw))
        bad = raw[exc.start : exc.end].hex()
        raise ValidationError(
            "the file is not UTF-8",
            [
                f"line {line}, byte {offset}: 0x{bad} is not UTF-8 "
                "(iCalendar files are UTF-8, RFC 5545 section 3.1.4)"
            ],
        ) from None


def written(value: date, zone: ZoneInfo) -> date:
    """``value`` as an export writes it: local, or in UTC where §3.3.5 would misread local.

    >>> from zoneinfo import ZoneInfo
    >>> tz = ZoneInfo("Asia/Jerusalem")
    >>> written(datetime(2026, 10, 25, 1, 30, tzinfo=tz), tz).isoformat()
    '2026-10-25T01:30:00+03:00'
    >>> written(datetime(2026, 10, 25, 1, 30, fold=1, tzinfo=tz), tz).isoformat()
    '2026-10-24T23:30:00+00:00'
    """
    if not isinstance(value, datetime) or value.tzinfo is None:
        return value
    if misread(value, zone):
        return value.astimezone(UTC)
    return value.astimezone(zone)


def misread(value: date, zone: ZoneInfo) -> bool:
    """Whether §3.3.5 would read the local time of ``value`` in ``zone`` as another instant."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return False
    local = value.astimezone(zone)
    return local.replace(fold=0).utcoffset() != local.utcoffset()


def same_instant(a: date | None, b: date | None) -> bool:
    """Whether two points are one instant (dates: one day); never a wall-clock comparison."""
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a.astimezone(UTC) == b.astimezone(UTC)
    if isinstance(a, datetime) or isinstance(b, datetime):
        return False
    return a == b


def plus(start: date, duration: timedelta, zone: ZoneInfo) -> date:
    """``start`` plus a DURATION as RFC 5545 §3.3.6 counts it.

    Whole days are nominal (the same wall time so many days on), the rest is
    exact time: 00:30 plus ``PT2H`` on the night the clocks go back is 01:30
    in the second run of the repeated hour, not 02:30.
    """
    if not isinstance(start, datetime):
        return start + timedelta(days=duration.days)
    days = timedelta(days=duration.days)
    rest = duration - days
    local = start.astimezone(zone)
    moved = (local.replace(tzinfo=None) + days).replace(tzinfo=zone, fold=local.fold)
    return (moved.astimezone(UTC) + rest).astimezone(zone)


def structure_problems(text: str) -> list[str]:
    r"""Where the BEGIN/END lines of a file do not nest into one VCALENDAR, by line.

    A file cut short, or with a component left open, would otherwise lose what
    follows the break without a word.

    >>> structure_problems("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nEND:VCALENDAR\n")
    ['line 4: END:VCALENDAR closes BEGIN:VEVENT of line 2', 'line 1: BEGIN:VCALENDAR has no END']
    """
    problems: list[str] = []
    stack: list[tuple[str, int]] = []
    closed = outside = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line[0] in " \t":
            continue
        name, _, value = line.partition(":")
        kind, value = name.strip().upper(), value.strip().upper()
        if kind == "BEGIN":
            if closed or (not stack and value != "VCALENDAR"):
                problems.append(f"line {number}: BEGIN:{value} outside the VCALENDAR")
            stack.append((value, number))
        elif kind == "END":
            if not stack:
                problems.append(f"line {number}: END:{value} without its BEGIN")
                continue
            opened, at = stack.pop()
            if opened != value:
                problems.append(f"line {number}: END:{value} closes BEGIN:{opened} of line {at}")
            if not stack:
                closed = True
        elif not stack and not outside:
            problems.append(f"line {number}: a property outside the VCALENDAR")
            outside = True
        if len(problems) >= 10:
            break
    problems.extend(f"line {at}: BEGIN:{name} has no END" for name, at in reversed(stack))
    if not closed and not problems:
        problems.append("no VCALENDAR")
    return problems
