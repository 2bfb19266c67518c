"""Hostile text and ids on every SQL backend: the kit's check, and the calls that used to crash.

Lone surrogates raised ``UnicodeEncodeError`` from the drivers, NUL bytes
``DataError`` from PostgreSQL (reads too), a megabyte of search text
``OperationalError`` from SQLite's ``LIKE``; every one now gets the same
typed answer as on MemoryStorage, and writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.conftest import ScratchDatabase, new_storage, unique

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.errors import NotFound, ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage
from leadcore.testing.hostile import HostileInputChecks

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SURROGATE: str = json.loads('"Dana \\ud800"')
BACKENDS = ("sqlite-file", "postgresql", "mariadb")


class TestSqliteFileHostileInput(HostileInputChecks[SqlStorage]):
    @pytest.fixture
    def open_storage(self, tmp_path: Path) -> Iterator[Callable[[], Storage]]:
        opened: list[SqlStorage] = []

        def open_one() -> SqlStorage:
            opened.append(SqlStorage(f"sqlite:///{tmp_path / unique('crm')}.db", create=True))
            return opened[-1]

        yield open_one
        for storage in opened:
            storage.close()


def _on(db: ScratchDatabase) -> Iterator[Callable[[], Storage]]:
    opened: list[SqlStorage] = []

    def open_one() -> SqlStorage:
        opened.append(db.storage())  # the tables emptied for each example
        return opened[-1]

    yield open_one
    for storage in opened:
        storage.close()


class TestPostgresHostileInput(HostileInputChecks[SqlStorage]):
    @pytest.fixture
    def open_storage(self, postgresql: ScratchDatabase) -> Iterator[Callable[[], Storage]]:
        yield from _on(postgresql)


class TestMariadbHostileInput(HostileInputChecks[SqlStorage]):
    @pytest.fixture
    def open_storage(self, mariadb: ScratchDatabase) -> Iterator[Callable[[], Storage]]:
        yield from _on(mariadb)


# -- the calls of the report, one by one on each backend


@pytest.fixture(params=BACKENDS)
def core(request: pytest.FixtureRequest) -> Iterator[Leadcore]:
    storage = new_storage(request, request.param)
    yield Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    storage.close()


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)


@pytest.mark.parametrize("bad", [SURROGATE, "Da\x00na"])
def test_writes_with_text_no_storage_keeps_are_refused_naming_the_argument(
    core: Leadcore, s: Session, bad: str
) -> None:
    lead = s.leads.create("Noa")
    writes: list[tuple[str, Callable[[], object]]] = [
        ("name", lambda: s.leads.create(bad)),
        ("text", lambda: s.leads.add_note(lead.id, bad)),
        ("name", lambda: s.leads.update(lead.id, name=bad)),
        ("name", lambda: s.users.create(bad, "qualifier")),
        ("name", lambda: s.users.create_group(bad)),
        ("name", lambda: s.leads.create_project(bad)),
        ("name", lambda: core.create_organization(bad, admin_name="Avi")),
        ("title", lambda: s.calendar.create(bad, start=START, end=START.replace(hour=10))),
    ]
    before = core.events.read(s.organization_id)
    for path, write in writes:
        with pytest.raises(ValidationError) as caught:
            write()
        assert caught.value.problems[0].startswith(f"{path}: contains a ")
    report = s.leads.import_many([{"name": bad}])
    assert report.rows[0].problems[0].startswith("rows[0]['name']: contains a ")
    assert core.events.read(s.organization_id)[: len(before)] == before
    assert [lead.name for lead in s.leads.list().items] == ["Noa"]
    assert s.leads.notes(lead.id) == []


@pytest.mark.parametrize("bad", ["lead-1\x00", json.loads('"lead-1\\udc80"')])
def test_reads_of_ids_no_storage_keeps_answer_not_found(
    core: Leadcore, s: Session, bad: str
) -> None:
    s.leads.create("Noa")
    for read in (
        s.leads.get,
        s.leads.history,
        s.users.get,
        s.dispatch.next,
        s.deliveries.get,
        core.session,
    ):
        with pytest.raises(NotFound):
            read(bad)


def test_a_megabyte_of_search_text_is_refused(s: Session) -> None:
    s.leads.create("Noa")
    with pytest.raises(ValidationError, match="text: has 1000000 characters; at most 200"):
        s.leads.list(text="x" * 1_000_000)
    with pytest.raises(ValidationError, match="text: has 1000000 characters; at most 200"):
        s.leads.status_counts(text="x" * 1_000_000)


@pytest.mark.parametrize(
    ("needle", "expected"),
    [("%", ["100% sure"]), ("_", ["snake_case"]), ("\\", ["back\\slash"]), ("0% s", ["100% sure"])],
)
def test_like_wildcards_in_search_text_match_literally(
    s: Session, needle: str, expected: list[str]
) -> None:
    for name in ("100% sure", "snake_case", "back\\slash", "plain"):
        s.leads.create(name)
    assert [lead.name for lead in s.leads.list(text=needle).items] == expected
    assert sum(s.leads.status_counts(text=needle).values()) == len(expected)
