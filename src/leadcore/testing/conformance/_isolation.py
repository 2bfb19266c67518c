"""Checks that no repository answers with a record of another organisation."""

from __future__ import annotations

from typing import TypeVar

import attrs
import pytest

from leadcore.errors import NotFound
from leadcore.storage.protocols import Storage
from leadcore.tenancy import (
    Group,
    Organization,
    PartnerKind,
    Partnership,
    Permission,
    Role,
    RolePolicy,
    User,
)
from leadcore.testing.conformance._base import StorageFixtures, seed
from leadcore.testing.conformance._records import Records
from leadcore.workflow import Workflow

__all__ = ["IsolationTests"]

S = TypeVar("S", bound=Storage)

LEADS = "leads"


@attrs.frozen
class _Tenant:
    """One organisation's look-alike data."""

    org: Organization
    users: list[User]
    groups: list[Group]
    partnerships: list[Partnership]
    workflows: list[Workflow]


def _look_alike(records: Records, key: str, versions: int) -> _Tenant:
    """Data that reads the same in every organisation: same names, same status ids."""
    org = records.organization(key, "Agency")
    dana = records.user(org, f"{key}-dana", "Dana", Role.ACCOUNT_MANAGER)
    avi = records.user(org, f"{key}-avi", "Avi", Role.QUALIFIER)
    return _Tenant(
        org=org,
        users=[avi, dana],
        groups=[records.group(org, f"{key}-night", "Night shift", [avi, dana])],
        partnerships=[
            records.partnership(
                org,
                records.id("org", f"{key}-partner"),
                f"{key}-partner",
                "Leads Ltd",
                PartnerKind.SUPPLIER,
                link=key,
            )
        ],
        workflows=[records.workflow(v, f"New in {key}") for v in range(1, versions + 1)],
    )


class IsolationTests(StorageFixtures[S]):
    """From each organisation's point of view, the other organisation does not exist."""

    @pytest.fixture
    def tenants(self, storage: S, records: Records) -> tuple[_Tenant, _Tenant]:
        """Two organisations with look-alike data; the first changed its role policy."""
        a, b = _look_alike(records, "a", versions=2), _look_alike(records, "b", versions=1)
        for t in (a, b):
            seed(storage, t.org, *t.users, *t.groups, *t.partnerships)
            with storage.unit_of_work() as uow:
                for wf in t.workflows:
                    uow.workflows.add(t.org.id, LEADS, wf)
                uow.commit()
        with storage.unit_of_work() as uow:
            uow.role_policies.put(a.org.id, RolePolicy().with_role(Role.QUALIFIER, set()))
            uow.commit()
        return a, b

    def test_each_organization_lists_exactly_its_own_records(
        self, storage: S, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        for me in tenants:
            with storage.unit_of_work() as uow:
                assert list(uow.users.list(me.org.id)) == me.users
                assert list(uow.groups.list(me.org.id)) == me.groups
                assert list(uow.partnerships.list(me.org.id)) == me.partnerships
                assert list(uow.workflows.versions(me.org.id, LEADS)) == me.workflows
                assert uow.workflows.get(me.org.id, LEADS) == me.workflows[-1]

    def test_an_id_of_another_organization_is_not_found_in_this_one(
        self, storage: S, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        for me, other in (tenants, tenants[::-1]):
            with storage.unit_of_work() as uow:
                for user in other.users:
                    assert uow.users.get(me.org.id, user.id) is None
                for group in other.groups:
                    assert uow.groups.get(me.org.id, group.id) is None
                for partnership in other.partnerships:
                    assert uow.partnerships.get(me.org.id, partnership.id) is None

    def test_a_version_only_another_organization_has_is_not_found(
        self, storage: S, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        a, b = tenants
        with storage.unit_of_work() as uow:
            assert uow.workflows.get(b.org.id, LEADS, 2) is None
            assert uow.workflows.get(b.org.id, LEADS, 1) == b.workflows[0]
            assert uow.workflows.get(a.org.id, LEADS, 1) == a.workflows[0]

    def test_a_role_policy_stays_in_its_organization(
        self, storage: S, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        a, b = tenants
        with storage.unit_of_work() as uow:
            policy = uow.role_policies.get(a.org.id)
            assert policy is not None
            assert policy.permissions_of(Role.QUALIFIER) == frozenset()
            assert uow.role_policies.get(b.org.id) is None

    def test_organization_of_names_the_owner_only(
        self, storage: S, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        with storage.unit_of_work() as uow:
            for me in tenants:
                for user in me.users:
                    assert uow.users.organization_of(user.id) == me.org.id

    def test_removing_another_organization_s_group_is_not_found_and_changes_nothing(
        self, storage: S, records: Records, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        a, b = tenants
        foreign = a.groups[0]
        unknown = records.id("group", "unknown")
        messages: list[str] = []
        with storage.unit_of_work() as uow:
            for group_id in (foreign.id, unknown):
                with pytest.raises(NotFound) as caught:
                    uow.groups.remove(b.org.id, group_id)
                # A side channel: the message must not tell "exists elsewhere" from "unknown".
                messages.append(str(caught.value).replace(repr(group_id), "<id>"))
            uow.commit()
        assert messages[0] == messages[1]
        with storage.unit_of_work() as uow:
            assert list(uow.groups.list(a.org.id)) == a.groups

    def test_a_write_in_one_organization_leaves_the_other_unchanged(
        self, storage: S, records: Records, tenants: tuple[_Tenant, _Tenant]
    ) -> None:
        a, b = tenants
        with storage.unit_of_work() as uow:
            uow.users.add(records.user(a.org, "a-new", "Dana"))
            uow.users.update(attrs.evolve(a.users[0], active=False, grants={Permission.CONVERT}))
            uow.groups.remove(a.org.id, a.groups[0].id)
            uow.partnerships.update(attrs.evolve(a.partnerships[0], active=False))
            uow.workflows.add(a.org.id, LEADS, records.workflow(3, "New again"))
            uow.role_policies.put(a.org.id, RolePolicy())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.users.list(b.org.id)) == b.users
            assert list(uow.groups.list(b.org.id)) == b.groups
            assert list(uow.partnerships.list(b.org.id)) == b.partnerships
            assert list(uow.workflows.versions(b.org.id, LEADS)) == b.workflows
            assert uow.role_policies.get(b.org.id) is None
            assert len(uow.users.list(a.org.id)) == len(b.users) + 1
