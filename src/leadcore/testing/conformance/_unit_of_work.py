"""Checks of the unit of work: atomic commit, rollback, isolation between units of work."""

from __future__ import annotations

import functools
import threading
from typing import TypeVar

import attrs
import pytest

from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.tenancy import Organization, Permission, Role, RolePolicy
from leadcore.testing.conformance._base import (
    HANG_GUARD,
    StorageFixtures,
    add,
    in_thread,
    require_capability,
    seed,
    wait,
    write_conflicts,
)
from leadcore.testing.conformance._records import Records

__all__ = ["UnitOfWorkTests"]

S = TypeVar("S", bound=Storage)

LEADS = "leads"
_POLICY = RolePolicy().with_role(Role.QUALIFIER, {Permission.DISPATCH})


class _Boom(Exception):
    """Raised inside a unit of work by the checks."""


@attrs.frozen
class _Scene:
    """One organisation with a record in every repository."""

    records: Records

    @property
    def org(self) -> Organization:
        return self.records.organization("scene")

    def write_all(self, uow: UnitOfWork) -> None:
        org = self.org
        dana = self.records.user(org, "scene", "Dana")
        add(uow, org)
        add(uow, dana)
        add(uow, self.records.group(org, "scene", members=[dana]))
        add(uow, self.records.partnership(org, self.records.id("org", "partner"), "scene"))
        uow.role_policies.put(org.id, _POLICY)
        uow.workflows.add(org.id, LEADS, self.records.workflow(1))

    def seen(self, uow: UnitOfWork) -> dict[str, object]:
        """Everything of the scene a unit of work can see."""
        org = self.org
        r = self.records
        return {
            "organization": uow.organizations.get(org.id),
            "user": uow.users.get(org.id, r.id("user", "scene")),
            "organization_of": uow.users.organization_of(r.id("user", "scene")),
            "users": list(uow.users.list(org.id)),
            "group": uow.groups.get(org.id, r.id("group", "scene")),
            "groups": list(uow.groups.list(org.id)),
            "partnership": uow.partnerships.get(org.id, r.id("partnership", "scene")),
            "partnerships": list(uow.partnerships.list(org.id)),
            "policy": uow.role_policies.get(org.id),
            "workflow": uow.workflows.get(org.id, LEADS),
            "versions": list(uow.workflows.versions(org.id, LEADS)),
        }

    def expected(self) -> dict[str, object]:
        """What :meth:`seen` returns once :meth:`write_all` is committed."""
        org, r = self.org, self.records
        dana = r.user(org, "scene", "Dana")
        group = r.group(org, "scene", members=[dana])
        partnership = r.partnership(org, r.id("org", "partner"), "scene")
        return {
            "organization": org,
            "user": dana,
            "organization_of": org.id,
            "users": [dana],
            "group": group,
            "groups": [group],
            "partnership": partnership,
            "partnerships": [partnership],
            "policy": _POLICY,
            "workflow": r.workflow(1),
            "versions": [r.workflow(1)],
        }

    @staticmethod
    def nothing() -> dict[str, object]:
        """What :meth:`seen` returns when nothing of the scene is stored."""
        return {
            "organization": None,
            "user": None,
            "organization_of": None,
            "users": [],
            "group": None,
            "groups": [],
            "partnership": None,
            "partnerships": [],
            "policy": None,
            "workflow": None,
            "versions": [],
        }


class UnitOfWorkTests(StorageFixtures[S]):
    """``storage.unit_of_work()``: all or nothing, its own writes only, first committer wins."""

    # -- commit and rollback -------------------------------------------------------

    def test_commit_makes_every_write_visible_to_later_units_of_work(
        self, storage: S, records: Records
    ) -> None:
        scene = _Scene(records)
        with storage.unit_of_work() as uow:
            scene.write_all(uow)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert scene.seen(uow) == scene.expected()

    def test_leaving_the_block_without_commit_writes_nothing(
        self, storage: S, records: Records
    ) -> None:
        scene = _Scene(records)
        with storage.unit_of_work() as uow:
            scene.write_all(uow)
        with storage.unit_of_work() as uow:
            assert scene.seen(uow) == scene.nothing()

    def test_an_exception_rolls_everything_back_and_propagates(
        self, storage: S, records: Records
    ) -> None:
        scene = _Scene(records)

        def fail_midway() -> None:
            with storage.unit_of_work() as uow:
                scene.write_all(uow)
                raise _Boom

        with pytest.raises(_Boom):
            fail_midway()
        with storage.unit_of_work() as uow:
            assert scene.seen(uow) == scene.nothing()

    def test_updates_and_removals_are_rolled_back_too(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        dana = records.user(org, 1)
        group = records.group(org, 1, members=[dana])
        partner = records.partnership(org, records.id("org", 2), 1)
        seed(storage, org, dana, group, partner)
        with storage.unit_of_work() as uow:
            uow.organizations.update(attrs.evolve(org, name="Renamed"))
            uow.users.update(attrs.evolve(dana, active=False))
            uow.groups.remove(org.id, group.id)
            uow.partnerships.update(attrs.evolve(partner, active=False))
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(org.id) == org
            assert uow.users.get(org.id, dana.id) == dana
            assert list(uow.groups.list(org.id)) == [group]
            assert uow.partnerships.get(org.id, partner.id) == partner

    def test_rollback_discards_the_writes_made_so_far(self, storage: S, records: Records) -> None:
        dropped, kept = records.organization("dropped"), records.organization("kept")
        with storage.unit_of_work() as uow:
            uow.organizations.add(dropped)
            uow.rollback()
            assert uow.organizations.get(dropped.id) is None
            uow.organizations.add(kept)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(dropped.id) is None
            assert uow.organizations.get(kept.id) == kept

    def test_writes_after_a_commit_need_a_commit_of_their_own(
        self, storage: S, records: Records
    ) -> None:
        first, second = records.organization("first"), records.organization("second")
        with storage.unit_of_work() as uow:
            uow.organizations.add(first)
            uow.commit()
            uow.organizations.add(second)
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(first.id) == first
            assert uow.organizations.get(second.id) is None

    # -- what a unit of work sees --------------------------------------------------

    def test_a_unit_of_work_sees_its_own_writes_before_commit(
        self, storage: S, records: Records
    ) -> None:
        scene = _Scene(records)
        with storage.unit_of_work() as uow:
            scene.write_all(uow)
            assert scene.seen(uow) == scene.expected()

    def test_a_unit_of_work_sees_its_own_updates_and_removals(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        avi, dana = records.user(org, 1, "Avi"), records.user(org, 2, "Dana")
        day, night = records.group(org, 1, "Day"), records.group(org, 2, "Night")
        seed(storage, org, avi, dana, day, night)
        with storage.unit_of_work() as uow:
            # Renamed past Dana, so the list must re-sort own writes with committed rows.
            renamed = attrs.evolve(avi, name="Zvi")
            uow.users.update(renamed)
            uow.groups.remove(org.id, day.id)
            assert uow.users.get(org.id, avi.id) == renamed
            assert list(uow.users.list(org.id)) == [dana, renamed]
            assert uow.groups.get(org.id, day.id) is None
            assert list(uow.groups.list(org.id)) == [night]

    def test_a_unit_of_work_never_sees_another_s_uncommitted_writes(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        org = records.organization(1)
        dana = records.user(org, 1, "Dana")
        seed(storage, org, dana)
        scene = _Scene(records)
        draft = attrs.evolve(dana, name="Dana (draft)", active=False)
        written, looked, finish = threading.Event(), threading.Event(), threading.Event()
        commit = {"yes": False}

        def writer() -> None:
            with storage.unit_of_work() as uow:
                try:
                    scene.write_all(uow)
                    uow.users.update(draft)
                finally:
                    # Also on failure, so that the reader goes on and the error surfaces.
                    written.set()
                wait(looked, "the reader to look")
                wait(finish, "the reader to let the writer finish")
                if commit["yes"]:
                    uow.commit()

        for round_ in ("rolled back", "committed"):
            written.clear()
            looked.clear()
            finish.clear()
            commit["yes"] = round_ == "committed"
            done = in_thread(writer)
            wait(written, "the writer to write")
            with storage.unit_of_work() as uow:
                seen = scene.seen(uow)
                dana_seen = uow.users.get(org.id, dana.id)
                listed = list(uow.users.list(org.id))
            looked.set()
            finish.set()
            done.result(HANG_GUARD)
            assert seen == scene.nothing(), f"uncommitted writes were visible ({round_} round)"
            assert dana_seen == dana
            assert listed == [dana]
        with storage.unit_of_work() as uow:
            assert scene.seen(uow) == scene.expected()
            assert uow.users.get(org.id, dana.id) == draft

    # -- concurrent writers ----------------------------------------------------------

    def test_the_second_writer_of_a_record_conflicts_and_writes_nothing(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        org = records.organization(1)
        dana = records.user(org, 1)
        seed(storage, org, dana)
        extra = records.group(org, "second-writer")
        with storage.unit_of_work() as first, storage.unit_of_work() as second:
            one = first.users.get(org.id, dana.id)
            two = second.users.get(org.id, dana.id)
            assert one == two == dana
            first.users.update(attrs.evolve(dana, name="First"))
            first.commit()

            def write_second() -> None:
                second.groups.add(extra)
                second.users.update(attrs.evolve(dana, name="Second"))
                second.commit()

            assert write_conflicts(write_second), "the second writer of a user committed"
        with storage.unit_of_work() as uow:
            stored = uow.users.get(org.id, dana.id)
            assert stored is not None
            assert stored.name == "First"
            assert uow.groups.get(org.id, extra.id) is None
        # The record is not stuck: a fresh unit of work may change it.
        with storage.unit_of_work() as uow:
            uow.users.update(attrs.evolve(dana, name="Third"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.users.get(org.id, dana.id) == attrs.evolve(dana, name="Third")

    def test_two_units_of_work_adding_the_same_id_conflict(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        org = records.organization(1)
        seed(storage, org)
        first = records.user(org, 1, "First")
        second = attrs.evolve(first, name="Second")
        with storage.unit_of_work() as one, storage.unit_of_work() as two:
            one.users.add(first)
            assert two.users.get(org.id, first.id) is None

            def add_second() -> None:
                two.users.add(second)
                two.commit()

            one.commit()
            assert write_conflicts(add_second), "two users were stored under one id"
        with storage.unit_of_work() as uow:
            assert list(uow.users.list(org.id)) == [first]

    def test_writers_of_different_records_both_commit(self, storage: S, records: Records) -> None:
        require_capability(storage, "concurrent_units_of_work")
        org = records.organization(1)
        avi, dana = records.user(org, 1, "Avi"), records.user(org, 2, "Dana")
        seed(storage, org, avi, dana)
        with storage.unit_of_work() as one, storage.unit_of_work() as two:
            one.users.get(org.id, avi.id)
            two.users.get(org.id, dana.id)
            one.users.update(attrs.evolve(avi, active=False))
            two.users.update(attrs.evolve(dana, active=False))
            one.commit()
            two.commit()
        with storage.unit_of_work() as uow:
            assert [u.active for u in uow.users.list(org.id)] == [False, False]

    def test_exactly_one_of_many_concurrent_writers_of_a_record_wins(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        writers = 8
        org = records.organization(1)
        dana = records.user(org, 1)
        seed(storage, org, dana)
        all_read = threading.Barrier(writers, timeout=HANG_GUARD)

        def attempt(i: int) -> bool:
            with storage.unit_of_work() as uow:
                try:
                    assert uow.users.get(org.id, dana.id) == dana
                except BaseException:
                    all_read.abort()  # the other writers stop waiting for this one
                    raise
                all_read.wait()

                def write() -> None:
                    uow.groups.add(records.group(org, f"writer-{i}"))
                    uow.users.update(attrs.evolve(dana, name=f"Writer {i}"))
                    uow.commit()

                return not write_conflicts(write)

        futures = [in_thread(functools.partial(attempt, i)) for i in range(writers)]
        won = [i for i, f in enumerate(futures) if f.result(HANG_GUARD)]
        assert len(won) == 1, f"writers {won} all committed a change of the same user"
        with storage.unit_of_work() as uow:
            stored = uow.users.get(org.id, dana.id)
            assert stored == attrs.evolve(dana, name=f"Writer {won[0]}")
            assert [g.id for g in uow.groups.list(org.id)] == [
                records.id("group", f"writer-{won[0]}")
            ]

    # -- capabilities ------------------------------------------------------------------

    def test_committed_data_survives_reopening(self, storage: S, records: Records) -> None:
        require_capability(storage, "durable")
        scene = _Scene(records)
        with storage.unit_of_work() as uow:
            scene.write_all(uow)
            uow.commit()
        storage.close()
        reopened = self.open_again(storage)
        try:
            with reopened.unit_of_work() as uow:
                assert scene.seen(uow) == scene.expected()
        finally:
            reopened.close()

    def test_two_storages_on_one_backend_share_commits_and_conflicts(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "multi_process")
        org = records.organization(1)
        dana = records.user(org, 1)
        seed(storage, org, dana)
        other = self.open_again(storage)
        try:
            with other.unit_of_work() as uow:
                assert uow.users.get(org.id, dana.id) == dana
            with storage.unit_of_work() as here, other.unit_of_work() as there:
                here.users.get(org.id, dana.id)
                there.users.get(org.id, dana.id)
                here.users.update(attrs.evolve(dana, name="Here"))
                here.commit()

                def write_there() -> None:
                    there.users.update(attrs.evolve(dana, name="There"))
                    there.commit()

                assert write_conflicts(write_there), "two storages both committed one user"
            with other.unit_of_work() as uow:
                assert uow.users.get(org.id, dana.id) == attrs.evolve(dana, name="Here")
        finally:
            other.close()
