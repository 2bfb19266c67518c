"""Checks of the event outbox: positions per organisation in commit order, consumer positions."""

from __future__ import annotations

from typing import TypeVar

import pytest

from leadcore.events._model import UserAdded
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._records import Records
from leadcore.testing.conformance._scope import Scope as Ids
from leadcore.testing.conformance._scope import at

__all__ = ["EventRepositoryTests"]

S = TypeVar("S", bound=Storage)


def _event(ids: Ids, name: str, minutes: int = 0, *, other: bool = False) -> UserAdded:
    return UserAdded(
        event_id=ids(name),
        organization_id=ids.other if other else ids.org,
        occurred_at=at(minutes),
        actor_id=None,
        user_id=ids("user"),
        name=name,
        role="qualifier",
    )


class EventRepositoryTests(StorageFixtures[S]):
    """``uow.events``: the outbox of domain events."""

    def test_positions_count_from_one_per_organisation_in_commit_order(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "a1"))
            uow.events.record(_event(ids, "b1", other=True))
            uow.events.record(_event(ids, "a2"))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "a3"))
            uow.commit()
        with storage.unit_of_work() as uow:
            mine = uow.events.read(ids.org)
            assert [(e.position, e.event) for e in mine] == [
                (1, _event(ids, "a1")),
                (2, _event(ids, "a2")),
                (3, _event(ids, "a3")),
            ]
            assert [(e.position, e.event) for e in uow.events.read(ids.other)] == [
                (1, _event(ids, "b1", other=True))
            ]
            heads = uow.events.heads()
            assert (heads.get(ids.org), heads.get(ids.other)) == (3, 1)

    def test_read_starts_after_a_position_and_stops_at_the_limit(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            for n in range(1, 6):
                uow.events.record(_event(ids, f"e{n}", n))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert [e.position for e in uow.events.read(ids.org, after=2)] == [3, 4, 5]
            assert [e.position for e in uow.events.read(ids.org, after=1, limit=2)] == [2, 3]
            assert uow.events.read(ids.org, after=5) == []
            assert uow.events.read(ids.other) == []

    def test_a_unit_of_work_that_does_not_commit_records_nothing(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "kept"))
            uow.commit()
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "left"))

        def record_then_fail() -> None:
            with storage.unit_of_work() as uow:
                uow.events.record(_event(ids, "raised"))
                raise RuntimeError("abandon the unit of work")

        with pytest.raises(RuntimeError):
            record_then_fail()
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "rolled-back"))
            uow.rollback()
        with storage.unit_of_work() as uow:
            uow.events.record(_event(ids, "next"))
            uow.commit()
        with storage.unit_of_work() as uow:
            read = uow.events.read(ids.org)
            assert [(e.position, e.event.event_id) for e in read] == [
                (1, ids("kept")),
                (2, ids("next")),
            ]
            assert uow.events.heads().get(ids.org) == 2

    def test_positions_follow_commit_order_not_recording_order(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        ids = Ids(records)
        with storage.unit_of_work() as early, storage.unit_of_work() as late:
            early.events.record(_event(ids, "recorded-first"))
            late.events.record(_event(ids, "recorded-second"))
            late.commit()
            early.commit()
        with storage.unit_of_work() as uow:
            read = uow.events.read(ids.org)
            assert [(e.position, e.event.event_id) for e in read] == [
                (1, ids("recorded-second")),
                (2, ids("recorded-first")),
            ]

    def test_consumers_keep_independent_positions_per_organisation(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        mail, audit = ids("mail"), ids("audit")
        with storage.unit_of_work() as uow:
            assert uow.events.position(mail, ids.org) == 0
            uow.events.set_position(mail, ids.org, 2)
            uow.events.set_position(audit, ids.org, 1)
            uow.events.set_position(mail, ids.other, 5)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.events.position(mail, ids.org) == 2
            assert uow.events.position(audit, ids.org) == 1
            assert uow.events.position(mail, ids.other) == 5
            assert uow.events.position(audit, ids.other) == 0

    def test_a_consumer_position_is_written_only_by_a_commit(
        self, storage: S, records: Records
    ) -> None:
        ids = Ids(records)
        mail = ids("mail")
        with storage.unit_of_work() as uow:
            uow.events.set_position(mail, ids.org, 3)
            assert uow.events.position(mail, ids.org) == 3
        with storage.unit_of_work() as uow:
            assert uow.events.position(mail, ids.org) == 0
