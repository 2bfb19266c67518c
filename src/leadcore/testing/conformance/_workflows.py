"""Checks of the workflow repository: versions that follow each other, one slot per kind."""

from __future__ import annotations

from typing import TypeVar

import pytest

from leadcore.errors import ConflictError
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import (
    StorageFixtures,
    require_capability,
    seed,
    write_conflicts,
)
from leadcore.testing.conformance._records import Records
from leadcore.workflow import sample_workflow

__all__ = ["WorkflowRepositoryTests"]

S = TypeVar("S", bound=Storage)

LEADS = "leads"


class WorkflowRepositoryTests(StorageFixtures[S]):
    """``uow.workflows``: add (version = latest + 1), get (latest or one version), versions."""

    def test_an_organization_without_workflows_has_none(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert uow.workflows.get(org.id, LEADS) is None
            assert uow.workflows.get(org.id, LEADS, 1) is None
            assert list(uow.workflows.versions(org.id, LEADS)) == []

    def test_versions_are_kept_oldest_first_and_get_returns_the_latest(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        seed(storage, org)
        published = [records.workflow(v, f"New v{v}") for v in (1, 2, 3)]
        for wf in published:
            with storage.unit_of_work() as uow:
                uow.workflows.add(org.id, LEADS, wf)
                uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.workflows.versions(org.id, LEADS)) == published
            assert uow.workflows.get(org.id, LEADS) == published[-1]
            for wf in published:
                assert uow.workflows.get(org.id, LEADS, wf.version) == wf
            assert uow.workflows.get(org.id, LEADS, 4) is None

    def test_a_stored_workflow_keeps_every_status_field(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        for wf in (sample_workflow("sales"), sample_workflow("qualification.he")):
            with storage.unit_of_work() as uow:
                uow.workflows.add(org.id, wf.id, wf)
                uow.commit()
            with storage.unit_of_work() as uow:
                stored = uow.workflows.get(org.id, wf.id)
            assert stored == wf
            assert stored is not None
            assert stored.to_dict() == wf.to_dict()

    @pytest.mark.parametrize("version", [1, 3], ids=lambda v: f"version-{v}")
    def test_a_version_other_than_latest_plus_one_conflicts_and_writes_nothing(
        self, storage: S, records: Records, version: int
    ) -> None:
        org = records.organization(1)
        seed(storage, org)
        first = records.workflow(1)
        with storage.unit_of_work() as uow:
            uow.workflows.add(org.id, LEADS, first)
            uow.commit()
        with storage.unit_of_work() as uow:
            with pytest.raises(ConflictError):
                uow.workflows.add(org.id, LEADS, records.workflow(version, "Wrong"))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.workflows.versions(org.id, LEADS)) == [first]

    def test_the_first_version_must_be_one(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.workflows.add(org.id, LEADS, records.workflow(2))

    def test_each_kind_is_a_slot_of_its_own(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        leads = [records.workflow(1, "Lead"), records.workflow(2, "Lead again")]
        activities = [records.workflow(1, "Planned", "activities")]
        with storage.unit_of_work() as uow:
            for wf in leads:
                uow.workflows.add(org.id, LEADS, wf)
            for wf in activities:
                uow.workflows.add(org.id, "activities", wf)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.workflows.versions(org.id, LEADS)) == leads
            assert list(uow.workflows.versions(org.id, "activities")) == activities
            assert uow.workflows.get(org.id, "activities") == activities[0]
            assert uow.workflows.get(org.id, "other") is None

    def test_two_publishers_of_the_same_version_conflict_and_the_first_wins(
        self, storage: S, records: Records
    ) -> None:
        require_capability(storage, "concurrent_units_of_work")
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            uow.workflows.add(org.id, LEADS, records.workflow(1))
            uow.commit()
        first, second = records.workflow(2, "First"), records.workflow(2, "Second")
        with storage.unit_of_work() as one, storage.unit_of_work() as two:
            # Both start from version 1 before either writes.
            current_one = one.workflows.get(org.id, LEADS)
            current_two = two.workflows.get(org.id, LEADS)
            assert current_one is not None
            assert current_two is not None
            assert current_one.version == current_two.version == 1
            one.workflows.add(org.id, LEADS, first)
            one.commit()

            def publish_second() -> None:
                two.workflows.add(org.id, LEADS, second)
                two.commit()

            assert write_conflicts(publish_second), "the second publisher of version 2 committed"
        with storage.unit_of_work() as uow:
            assert uow.workflows.get(org.id, LEADS) == first
            assert [wf.version for wf in uow.workflows.versions(org.id, LEADS)] == [1, 2]
