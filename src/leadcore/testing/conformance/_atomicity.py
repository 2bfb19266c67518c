"""Checks of atomicity across repositories and of races decided at commit.

What the unit-of-work checks do not reach: a write of one repository that
commits on its own while another repository's write of the same unit of work
fails; a version compared when the update is written but not again when the
unit of work commits; two claims of one agent that both commit; an outbox row
written before the data, so that a unit of work that loses its race still
leaves its event behind.

The races here let both units of work write before either commits. An
adapter that locks rows as it writes may block the second writer until the
first commits; the check then gives the second writer a short grace before
the first commits, and the verdict (exactly one of them commits, and the
stored data is the winner's) does not depend on how long that took.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Final, TypeVar

import attrs

from leadcore.events._model import UserAdded
from leadcore.leads import HistoryEntry, HistoryKind, Note
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.testing.conformance._base import (
    HANG_GUARD,
    StorageFixtures,
    in_thread,
    require_capability,
    write_conflicts,
)
from leadcore.testing.conformance._leads import lead, store_leads
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at

__all__ = ["AtomicityTests"]

S = TypeVar("S", bound=Storage)

#: Seconds the first writer waits for the second to finish writing before it commits
#: anyway (an adapter that locks rows as it writes blocks the second writer until then).
#: It only orders the race; no verdict depends on it.
WRITE_GRACE: Final = 2.0

_PROJECT = "project-1"


def _entry(ids: Ids, name: str, minutes: int) -> HistoryEntry:
    return HistoryEntry(
        ids(name), ids.org, ids("l1"), HistoryKind.STATUS_CHANGED, at(minutes), "user-1"
    )


def _event(ids: Ids, name: str) -> UserAdded:
    return UserAdded(
        event_id=ids(name),
        organization_id=ids.org,
        occurred_at=at(1),
        actor_id=None,
        user_id=ids("user"),
        name=name,
        role="qualifier",
    )


def _race(storage: Storage, write: Callable[[UnitOfWork, str], None]) -> list[str]:
    """Two units of work both ``write`` before either commits; return who committed.

    ``first`` writes and holds; ``second`` writes on a thread of its own and
    then waits for ``first`` to commit before it commits. Either may report
    its lost race by ``ConflictError``, from a write or from ``commit()``.
    """
    first_wrote, second_wrote, first_done = threading.Event(), threading.Event(), threading.Event()
    won: list[str] = []

    def second() -> None:
        first_wrote.wait(HANG_GUARD)

        def attempt() -> None:
            with storage.unit_of_work() as uow:
                try:
                    write(uow, "second")
                finally:
                    second_wrote.set()
                first_done.wait(HANG_GUARD)
                uow.commit()

        if not write_conflicts(attempt):
            won.append("second")

    done = in_thread(second)

    def attempt_first() -> None:
        with storage.unit_of_work() as uow:
            try:
                write(uow, "first")
            finally:
                first_wrote.set()
            second_wrote.wait(WRITE_GRACE)
            try:
                uow.commit()
            finally:
                first_done.set()

    try:
        if not write_conflicts(attempt_first):
            won.insert(0, "first")
    finally:
        first_wrote.set()
        first_done.set()
        done.result(HANG_GUARD)
    return won


class AtomicityTests(StorageFixtures[S]):
    """Writes of several repositories commit together; races are decided at commit."""

    def test_a_lead_update_is_not_written_when_its_history_entry_fails(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)
        with storage.unit_of_work() as uow:
            uow.history.add(_entry(ids, "h1", 0))
            uow.commit()
        moved = attrs.evolve(original, status_id="won", version=2)

        def change_status() -> None:
            with storage.unit_of_work() as uow:
                uow.leads.update(moved, expected_version=1)
                uow.history.add(_entry(ids, "h1", 5))  # a taken id: this insert fails
                uow.commit()

        assert write_conflicts(change_status), "a history entry was added under a taken id"
        with storage.unit_of_work() as uow:
            assert uow.leads.get(ids.org, ids("l1")) == original, (
                "the lead update committed although the history insert of its unit of work failed"
            )
            assert list(uow.history.for_lead(ids.org, ids("l1"))) == [_entry(ids, "h1", 0)]

    def test_a_lead_update_and_its_history_are_rolled_back_together(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)
        with storage.unit_of_work() as uow:
            uow.leads.update(attrs.evolve(original, name="Moved", version=2), expected_version=1)
            uow.history.add(_entry(ids, "h1", 5))
            uow.notes.add(Note(ids("n1"), ids.org, ids("l1"), "user-1", "why", at(5)))
            assert uow.leads.get(ids.org, ids("l1")) == attrs.evolve(
                original, name="Moved", version=2
            )
        with storage.unit_of_work() as uow:
            assert uow.leads.get(ids.org, ids("l1")) == original
            assert list(uow.history.for_lead(ids.org, ids("l1"))) == []
            assert list(uow.notes.for_lead(ids.org, ids("l1"))) == []

    def test_a_lead_version_is_compared_at_commit_not_only_when_written(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)

        def write(uow: UnitOfWork, who: str) -> None:
            uow.leads.update(attrs.evolve(original, name=who, version=2), expected_version=1)
            uow.history.add(attrs.evolve(_entry(ids, f"h-{who}", 1), text=who))

        won = _race(storage, write)
        assert len(won) == 1, f"units of work {won} both moved the lead from version 1"
        with storage.unit_of_work() as uow:
            stored = uow.leads.get(ids.org, ids("l1"))
            assert stored == attrs.evolve(original, name=won[0], version=2)
            history = uow.history.for_lead(ids.org, ids("l1"))
            assert [e.text for e in history] == won, "the loser's history entry was kept"

    def test_two_concurrent_claims_of_one_agent_do_not_both_commit(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "dispatch")
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)

        def claim(uow: UnitOfWork, who: str) -> None:
            # What a claim cap does: read the agent's claims, then log one more.
            assert list(uow.dispatch.claim_times(ids.org, _PROJECT, "dana", at(0))) == []
            uow.dispatch.record_claim(ids.org, _PROJECT, "dana", at(1 if who == "first" else 2))

        won = _race(storage, claim)
        assert len(won) == 1, f"claims {won} of one agent both committed: a claim cap breaks"
        with storage.unit_of_work() as uow:
            times = list(uow.dispatch.claim_times(ids.org, _PROJECT, "dana", at(0)))
            assert times == [at(1 if won == ["first"] else 2)]

    def test_a_unit_of_work_that_loses_its_race_leaves_no_event(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)
        original = lead(ids, "l1")
        store_leads(storage, original)

        def write(uow: UnitOfWork, who: str) -> None:
            uow.events.record(_event(ids, who))
            uow.leads.update(attrs.evolve(original, name=who, version=2), expected_version=1)

        won = _race(storage, write)
        assert len(won) == 1, f"units of work {won} both moved the lead from version 1"
        with storage.unit_of_work() as uow:
            events = uow.events.read(ids.org)
            assert [(e.position, e.event) for e in events] == [(1, _event(ids, won[0]))], (
                "the unit of work that lost the race left its event in the outbox"
            )
