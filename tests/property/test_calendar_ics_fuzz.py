"""Every file one corrupted line away from a real one imports with library errors only.

Each line of each fixture (Google and Outlook style) is in turn deleted,
duplicated, cut in half, replaced by bytes that are not UTF-8 or by junk, or
given the value of the next line. The import then either raises a
:class:`~leadcore.errors.LeadcoreError` and writes nothing, or reports: what
is stored is exactly what the report says was created, and every UID of the
file is either imported or named by a problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadcore import Leadcore
from leadcore.calendar import Activity
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import LeadcoreError
from leadcore.ids import SequentialIds

pytest.importorskip("icalendar")

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ics"
NOW = datetime(2026, 3, 1, 6, tzinfo=UTC)


def _swap(lines: list[bytes], i: int) -> bytes:
    name, _, _ = lines[i].partition(b":")
    following = [v for line in lines[i + 1 :] if b":" in line for v in [line.partition(b":")[2]]]
    return name + b":" + (following[0] if following else b"")


Mutation = Callable[[list[bytes], int], list[bytes]]
MUTATIONS: dict[str, Mutation] = {
    "delete": lambda lines, i: lines[:i] + lines[i + 1 :],
    "duplicate": lambda lines, i: lines[: i + 1] + lines[i:],
    "truncate": lambda lines, i: [*lines[:i], lines[i][: len(lines[i]) // 2], *lines[i + 1 :]],
    "not-utf-8": lambda lines, i: [*lines[:i], b"SUMMARY:\xff\xfe\x80 bad", *lines[i + 1 :]],
    "junk": lambda lines, i: [*lines[:i], "\x01;;:::ÿ#%{}".encode(), *lines[i + 1 :]],
    "swap-value": lambda lines, i: [*lines[:i], _swap(lines, i), *lines[i + 1 :]],
}


def _session() -> Session:
    core = Leadcore.open(clock=ManualClock(NOW), ids=SequentialIds())
    _, dana = core.create_organization(
        "Agency", admin_name="Dana", admin_email="dana@example.com", timezone="Asia/Jerusalem"
    )
    s = core.session(dana.id)
    s.users.create("Avi", "salesperson", email="avi@example.com")
    return s


def _stored(s: Session) -> dict[str, Activity]:
    return {a.id: a for a in s.calendar.search(limit=1000).items}


def _uids(data: bytes) -> set[str]:
    text = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\r\n\t", "")
    return {m.strip() for m in re.findall(r"(?im)^UID:(.*)$", text) if m.strip()}


def _cases() -> Iterator[tuple[str, str]]:
    for path in sorted(FIXTURES.glob("*.ics")):
        for mutation in MUTATIONS:
            yield path.name, mutation


@pytest.mark.parametrize(("fixture", "mutation"), list(_cases()))
def test_a_file_with_one_corrupted_line_writes_only_what_its_report_says(
    fixture: str, mutation: str
) -> None:
    lines = (FIXTURES / fixture).read_bytes().split(b"\r\n")
    for i in range(len(lines)):
        if not lines[i]:
            continue
        data = b"\r\n".join(MUTATIONS[mutation](lines, i))
        s = _session()
        try:
            result = s.calendar.import_ics(data)
        except LeadcoreError:
            assert _stored(s) == {}, f"line {i + 1}: an error, yet something was written"
            continue
        claimed = {a.id: a for a in (*result.created, *result.updated)}
        stored = _stored(s)
        assert stored == claimed, f"line {i + 1}: stored differs from the report"
        imported = {a.ical_uid for a in claimed.values()}
        for uid in _uids(data) - imported:
            assert any(repr(uid) in p for p in result.problems), (
                f"line {i + 1}: UID {uid!r} neither imported nor reported"
            )
