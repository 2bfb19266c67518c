"""The outbox under concurrent writers: positions per organisation in commit order, no gaps."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.integration.conftest import BACKENDS

from leadcore.events._model import NoteAdded, StoredEvent
from leadcore.storage.sql import SqlStorage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORGS = ("org-outbox-a", "org-outbox-b")
WRITERS, COMMITS, PER_COMMIT = 6, 5, 3


def note(org: str, writer: int, commit: int, n: int) -> NoteAdded:
    return NoteAdded(
        event_id=f"evt-{org}-{writer}-{commit}-{n}",
        organization_id=org,
        occurred_at=T0,
        actor_id=None,
        lead_id=f"lead-{writer}",
        note_id=f"note-{commit}-{n}",
        text=f"{writer}/{commit}/{n}",
    )


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "sqlite-memory"])
def test_readers_see_every_organization_s_events_numbered_without_gaps_in_commit_order(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    done = threading.Event()
    seen_gaps: list[list[int]] = []
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for commit in range(COMMITS):
                with storage.unit_of_work() as uow:
                    for org in ORGS:
                        for n in range(PER_COMMIT):
                            uow.events.record(note(org, writer, commit, n))
                    uow.commit()
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    def read() -> None:
        while not done.is_set():
            for org in ORGS:
                with storage.unit_of_work() as uow:
                    positions = [e.position for e in uow.events.read(org)]
                if positions != list(range(1, len(positions) + 1)):
                    seen_gaps.append(positions)

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    assert errors == []
    assert seen_gaps == []

    total = WRITERS * COMMITS * PER_COMMIT
    with storage.unit_of_work() as uow:
        assert uow.events.heads() == dict.fromkeys(ORGS, total)
        for org in ORGS:
            events: list[StoredEvent] = list(uow.events.read(org))
            assert [e.position for e in events] == list(range(1, total + 1))
            # A commit's events are consecutive and in the order recorded; a writer's
            # commits come in the order it made them.
            texts = [e.event.text for e in events]  # type: ignore[attr-defined]
            for start in range(0, total, PER_COMMIT):
                chunk = texts[start : start + PER_COMMIT]
                writer, commit, _ = chunk[0].split("/")
                assert chunk == [f"{writer}/{commit}/{n}" for n in range(PER_COMMIT)]
            for writer in range(WRITERS):
                mine = [t for t in texts if t.startswith(f"{writer}/")]
                assert mine == sorted(mine, key=lambda t: tuple(map(int, t.split("/"))))
            assert list(uow.events.read(org, after=total - 2, limit=5)) == events[-2:]


_ROUND_TRIP_BACKENDS = ["sqlite-file", "postgresql", "mariadb"]


@pytest.mark.parametrize("backend", _ROUND_TRIP_BACKENDS)
def test_any_commit_s_events_read_back_exactly_as_recorded(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    """Whatever their text (quotes, backslashes, escapes, any script), a commit's events
    come back equal and in order: PostgreSQL ships them as JSON arrays of records."""
    storage = make_storage(backend)
    orgs = itertools.count()
    # Any text a note can hold: the public boundary refuses NUL and lone surrogates.
    texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)

    @settings(max_examples=25, deadline=None)
    @given(st.lists(texts, min_size=1, max_size=4))
    def check(batch: list[str]) -> None:
        org = f"org-round-trip-{next(orgs)}"
        recorded = [
            NoteAdded(
                event_id=f"evt-{org}-{n}",
                organization_id=org,
                occurred_at=T0,
                actor_id=None,
                lead_id="lead-1",
                note_id=f"note-{n}",
                text=text,
            )
            for n, text in enumerate(batch)
        ]
        with storage.unit_of_work() as uow:
            for e in recorded:
                uow.events.record(e)
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = list(uow.events.read(org))
        assert [s.position for s in stored] == list(range(1, len(batch) + 1))
        assert [s.event for s in stored] == recorded

    check()
