"""iCalendar import on every SQL backend, answer for answer as on MemoryStorage.

The Google and Outlook style fixtures are imported, imported again (which
finds the activities by the UIDs kept at the first import, schema version 5),
edited and imported once more, and the calendar is read back; an export of
another deployment whose ids are the same as ours is imported without
touching what was there. Every answer must be the memory adapter's
(invariant 6).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.integration.conftest import BACKENDS

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.errors import LeadcoreError
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage

pytest.importorskip("icalendar")

FIXTURES = Path(__file__).parent.parent / "fixtures" / "ics"
START = datetime(2026, 3, 1, 6, tzinfo=UTC)


def _other_deployment_export() -> str:
    """An export of another deployment: organisation and activity ids the same as ours."""
    clock = ManualClock(START - timedelta(days=30))
    core = Leadcore(storage=MemoryStorage(), clock=clock, ids=SequentialIds())
    _, dana = core.create_organization(
        "Supplier", admin_name="Dana", admin_email="dana@example.com", timezone="Asia/Jerusalem"
    )
    s = core.session(dana.id)
    for day in range(2, 6):
        at = datetime(2026, 3, day, 9, tzinfo=UTC)
        s.calendar.create(f"Supplier {day}", start=at, end=at + timedelta(hours=1))
    return s.calendar.export_ics()


def script(storage: Storage, theirs: str) -> list[tuple[str, object]]:
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    answers: list[tuple[str, object]] = []

    def ask(step: str, call: Callable[[], Any]) -> None:
        try:
            answers.append((step, call()))
        except LeadcoreError as exc:
            answers.append((step, (type(exc).__name__, str(exc))))

    try:
        _, dana = core.create_organization(
            "Agency", admin_name="Dana", admin_email="dana@example.com", timezone="Asia/Jerusalem"
        )
        s = core.session(dana.id)
        s.users.create("Avi", "salesperson", email="avi@example.com")
        ask(
            "own activity",
            lambda: s.calendar.create("Own", start=START, end=START + timedelta(hours=1)),
        )
        for name in ("google.ics", "outlook.ics"):
            data = (FIXTURES / name).read_bytes()

            def load(data: bytes = data) -> object:
                return s.calendar.import_ics(data)

            ask(f"import {name}", load)
            ask(f"import {name} again", load)
        edited = (FIXTURES / "google.ics").read_bytes().replace("ערב פסח".encode(), b"Seder")
        ask("import an edited file", lambda: s.calendar.import_ics(edited))
        ask("import another deployment's export", lambda: s.calendar.import_ics(theirs))
        ask("and again", lambda: s.calendar.import_ics(theirs))
        ask("not utf-8", lambda: s.calendar.import_ics(b"BEGIN:VCALENDAR\r\nX:\xff\r\n"))
        ask("everything", lambda: s.calendar.search(limit=1000))
        ask("the export", lambda: s.calendar.export_ics())
    finally:
        core.close()
    return answers


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_import_answers_on_sql_as_on_memory(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    theirs = _other_deployment_export()
    expected = script(MemoryStorage(), theirs)
    actual = script(make_storage(backend), theirs)
    assert [a[0] for a in actual] == [a[0] for a in expected]
    for mine, reference in zip(actual, expected, strict=True):
        assert mine == reference, f"step {reference[0]!r} answered differently"
    answers = dict(expected)
    everything = answers["everything"]
    titles = sorted(a.title for a in everything.items)  # type: ignore[attr-defined]
    assert "Own" in titles
    assert "Seder" in titles
    assert [t for t in titles if t.startswith("Supplier")] == [
        f"Supplier {d}" for d in (2, 3, 4, 5)
    ]
    assert answers["import google.ics again"].created == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("backend", ["memory", *BACKENDS])
def test_one_file_imported_by_threads_at_once_makes_each_activity_once(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage: Storage = MemoryStorage() if backend == "memory" else make_storage(backend)
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    _, dana = core.create_organization(
        "Agency", admin_name="Dana", admin_email="dana@example.com", timezone="Asia/Jerusalem"
    )
    data = (FIXTURES / "outlook.ics").read_bytes()
    threads = 4
    start = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = core.session(dana.id).calendar.import_ics(data)
        except Exception as exc:  # the test looks at every outcome
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not [r for r in results if isinstance(r, BaseException)]
    stored = core.session(dana.id).calendar.search(limit=100).items
    assert len(stored) == 3
    assert len({a.ical_uid for a in stored}) == 3
    created = [a.id for r in results for a in r.created]  # type: ignore[attr-defined]
    assert sorted(created) == sorted(a.id for a in stored)
    core.close()
