"""Checks of the tenancy repositories: organisations, users, groups, partnerships, policies."""

from __future__ import annotations

from typing import TypeVar

import attrs
import pytest

from leadcore.errors import ConflictError, NotFound
from leadcore.storage.protocols import Storage
from leadcore.tenancy import PartnerKind, Permission, Role, RolePolicy
from leadcore.testing.conformance._base import StorageFixtures, seed
from leadcore.testing.conformance._records import Records

__all__ = [
    "GroupRepositoryTests",
    "OrganizationRepositoryTests",
    "PartnershipRepositoryTests",
    "RolePolicyRepositoryTests",
    "UserRepositoryTests",
]

S = TypeVar("S", bound=Storage)

# Names whose code-point order differs from a case-insensitive or locale-aware
# collation: the contract is plain code-point order, the same on every adapter.
_NAMES_IN_ORDER = ("Avi", "Zoe", "avi", "Ștefan", "אבי")


class OrganizationRepositoryTests(StorageFixtures[S]):
    """``uow.organizations``: add, get, update."""

    def test_an_added_organization_is_returned_as_stored(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        with storage.unit_of_work() as uow:
            uow.organizations.add(org)
            assert uow.organizations.get(org.id) == org
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(org.id) == org

    def test_an_unknown_organization_is_none(self, storage: S, records: Records) -> None:
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(records.id("org", "unknown")) is None

    def test_adding_a_taken_organization_id_conflicts(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.organizations.add(attrs.evolve(org, name="Other"))
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(org.id) == org

    def test_update_replaces_the_organization(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        renamed = attrs.evolve(org, name="Agency 2", timezone="Europe/London")
        with storage.unit_of_work() as uow:
            uow.organizations.update(renamed)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.organizations.get(org.id) == renamed

    def test_updating_an_unknown_organization_raises_not_found(
        self, storage: S, records: Records
    ) -> None:
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.organizations.update(records.organization(1))


class UserRepositoryTests(StorageFixtures[S]):
    """``uow.users``: add, get, list (by name, then id), update, organization_of."""

    def test_an_added_user_is_returned_with_every_field(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        user = records.user(
            org,
            1,
            "דנה",
            Role.SALES_MANAGER,
            active=False,
            grants={Permission.MANAGE_WORKFLOW},
            revokes={Permission.CONVERT, Permission.UNCONVERT},
        )
        seed(storage, org, user)
        with storage.unit_of_work() as uow:
            assert uow.users.get(org.id, user.id) == user

    def test_an_unknown_user_is_none(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert uow.users.get(org.id, records.id("user", "unknown")) is None
            assert uow.users.organization_of(records.id("user", "unknown")) is None

    def test_adding_a_taken_user_id_conflicts(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        user = records.user(org, 1)
        seed(storage, org, user)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.users.add(attrs.evolve(user, name="Other"))

    def test_a_user_id_is_unique_across_organizations(self, storage: S, records: Records) -> None:
        # organization_of(user_id) must have one answer, so a user id names one user anywhere.
        a, b = records.organization("a"), records.organization("b")
        user = records.user(a, 1)
        seed(storage, a, b, user)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.users.add(attrs.evolve(user, organization_id=b.id))
        with storage.unit_of_work() as uow:
            assert uow.users.get(b.id, user.id) is None
            assert uow.users.organization_of(user.id) == a.id

    def test_organization_of_names_the_user_s_organization(
        self, storage: S, records: Records
    ) -> None:
        a, b = records.organization("a"), records.organization("b")
        ua, ub = records.user(a, 1), records.user(b, 2)
        seed(storage, a, b, ua, ub)
        with storage.unit_of_work() as uow:
            assert uow.users.organization_of(ua.id) == a.id
            assert uow.users.organization_of(ub.id) == b.id

    def test_users_are_listed_by_name_in_code_point_order_then_by_id(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        # Added out of order; two users share a name so the id breaks the tie
        # ("user-...-10" sorts before "user-...-9").
        users = [
            records.user(org, 20 + i, name) for i, name in enumerate(reversed(_NAMES_IN_ORDER))
        ]
        twins = [records.user(org, 9, "Dana"), records.user(org, 10, "Dana")]
        seed(storage, org, *users, *twins)
        with storage.unit_of_work() as uow:
            listed = list(uow.users.list(org.id))
        expected = sorted([*users, *twins], key=lambda u: (u.name, u.id))
        assert [u.name for u in listed] == ["Avi", "Dana", "Dana", "Zoe", "avi", "Ștefan", "אבי"]
        assert listed == expected

    def test_an_organization_without_users_lists_none(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert list(uow.users.list(org.id)) == []

    def test_update_replaces_the_user(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        user = records.user(org, 1)
        seed(storage, org, user)
        changed = attrs.evolve(
            user, name="Dana K.", role=Role.QUALIFIER_MANAGER, active=False, grants={"convert"}
        )
        with storage.unit_of_work() as uow:
            uow.users.update(changed)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.users.get(org.id, user.id) == changed
            assert list(uow.users.list(org.id)) == [changed]

    def test_updating_an_unknown_user_raises_not_found(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.users.update(records.user(org, 1))

    def test_a_user_cannot_be_updated_into_another_organization(
        self, storage: S, records: Records
    ) -> None:
        a, b = records.organization("a"), records.organization("b")
        user = records.user(a, 1)
        seed(storage, a, b, user)
        with storage.unit_of_work() as uow:
            with pytest.raises(NotFound):
                uow.users.update(attrs.evolve(user, organization_id=b.id))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.users.get(a.id, user.id) == user
            assert uow.users.get(b.id, user.id) is None
            assert uow.users.organization_of(user.id) == a.id


class GroupRepositoryTests(StorageFixtures[S]):
    """``uow.groups``: add, get, list (by name, then id), update, remove."""

    def test_an_added_group_is_returned_with_its_members(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        dana, avi = records.user(org, 1, "Dana"), records.user(org, 2, "Avi")
        group = records.group(org, 1, "משמרת ערב", [dana, avi])
        seed(storage, org, dana, avi, group)
        with storage.unit_of_work() as uow:
            assert uow.groups.get(org.id, group.id) == group

    def test_an_unknown_group_is_none(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert uow.groups.get(org.id, records.id("group", "unknown")) is None

    def test_adding_a_taken_group_id_conflicts(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        group = records.group(org, 1)
        seed(storage, org, group)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.groups.add(attrs.evolve(group, name="Other"))

    def test_groups_are_listed_by_name_in_code_point_order_then_by_id(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        groups = [records.group(org, 20 + i, n) for i, n in enumerate(reversed(_NAMES_IN_ORDER))]
        twins = [records.group(org, 9, "Day"), records.group(org, 10, "Day")]
        seed(storage, org, *groups, *twins)
        with storage.unit_of_work() as uow:
            listed = list(uow.groups.list(org.id))
        assert listed == sorted([*groups, *twins], key=lambda g: (g.name, g.id))
        assert listed[1:3] == [twins[1], twins[0]]

    def test_update_replaces_the_group(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        dana = records.user(org, 1)
        group = records.group(org, 1)
        seed(storage, org, dana, group)
        changed = attrs.evolve(group, name="Day shift", member_ids={dana.id})
        with storage.unit_of_work() as uow:
            uow.groups.update(changed)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.groups.get(org.id, group.id) == changed

    def test_updating_an_unknown_group_raises_not_found(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.groups.update(records.group(org, 1))

    def test_a_removed_group_is_gone(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        kept, removed = records.group(org, 1, "Kept"), records.group(org, 2, "Removed")
        seed(storage, org, kept, removed)
        with storage.unit_of_work() as uow:
            uow.groups.remove(org.id, removed.id)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.groups.get(org.id, removed.id) is None
            assert list(uow.groups.list(org.id)) == [kept]

    def test_removing_an_unknown_group_raises_not_found(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.groups.remove(org.id, records.id("group", "unknown"))

    def test_a_removed_group_id_can_be_added_again(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        group = records.group(org, 1)
        seed(storage, org, group)
        again = attrs.evolve(group, name="Again")
        with storage.unit_of_work() as uow:
            uow.groups.remove(org.id, group.id)
            uow.groups.add(again)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.groups.list(org.id)) == [again]


class PartnershipRepositoryTests(StorageFixtures[S]):
    """``uow.partnerships``: add, get, list (by partner name, then id), update."""

    def test_each_side_keeps_its_own_record_of_a_partnership(
        self, storage: S, records: Records
    ) -> None:
        agency, supplier = records.organization("a"), records.organization("s", "Leads Ltd")
        mine = records.partnership(agency, supplier, 1, "Leads Ltd", PartnerKind.SUPPLIER)
        theirs = records.partnership(supplier, agency, 2, "Agency", PartnerKind.ADVERTISER)
        seed(storage, agency, supplier, mine, theirs)
        with storage.unit_of_work() as uow:
            assert uow.partnerships.get(agency.id, mine.id) == mine
            assert uow.partnerships.get(supplier.id, theirs.id) == theirs
            assert list(uow.partnerships.list(agency.id)) == [mine]
            assert list(uow.partnerships.list(supplier.id)) == [theirs]

    def test_an_unknown_partnership_is_none(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert uow.partnerships.get(org.id, records.id("partnership", "unknown")) is None

    def test_adding_a_taken_partnership_id_conflicts(self, storage: S, records: Records) -> None:
        org, partner = records.organization(1), records.organization(2)
        p = records.partnership(org, partner, 1)
        seed(storage, org, partner, p)
        with storage.unit_of_work() as uow, pytest.raises(ConflictError):
            uow.partnerships.add(attrs.evolve(p, partner_name="Other"))

    def test_partnerships_are_listed_by_partner_name_in_code_point_order_then_by_id(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        rows = [
            records.partnership(org, records.id("org", 20 + i), 20 + i, name, link=20 + i)
            for i, name in enumerate(reversed(_NAMES_IN_ORDER))
        ]
        twins = [
            records.partnership(org, records.id("org", 9), 9, "Media", link=9),
            records.partnership(org, records.id("org", 10), 10, "Media", link=10),
        ]
        seed(storage, org, *rows, *twins)
        with storage.unit_of_work() as uow:
            listed = list(uow.partnerships.list(org.id))
        assert listed == sorted([*rows, *twins], key=lambda p: (p.partner_name, p.id))

    def test_update_replaces_the_partnership(self, storage: S, records: Records) -> None:
        org, partner = records.organization(1), records.organization(2)
        p = records.partnership(org, partner, 1)
        seed(storage, org, partner, p)
        ended = attrs.evolve(p, active=False)
        with storage.unit_of_work() as uow:
            uow.partnerships.update(ended)
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.partnerships.get(org.id, p.id) == ended

    def test_updating_an_unknown_partnership_raises_not_found(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow, pytest.raises(NotFound):
            uow.partnerships.update(records.partnership(org, records.id("org", 2), 1))


class RolePolicyRepositoryTests(StorageFixtures[S]):
    """``uow.role_policies``: get (``None`` while the defaults apply) and put."""

    def test_an_organization_keeps_the_defaults_until_a_policy_is_put(
        self, storage: S, records: Records
    ) -> None:
        org = records.organization(1)
        seed(storage, org)
        with storage.unit_of_work() as uow:
            assert uow.role_policies.get(org.id) is None

    def test_a_policy_put_is_returned_for_every_role(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        policy = (
            RolePolicy()
            .with_role(Role.QUALIFIER, {Permission.CHANGE_STATUS})
            .with_role(Role.SALESPERSON, set())
        )
        with storage.unit_of_work() as uow:
            uow.role_policies.put(org.id, policy)
            uow.commit()
        with storage.unit_of_work() as uow:
            stored = uow.role_policies.get(org.id)
        assert stored == policy
        assert stored is not None
        for role in Role:
            assert stored.permissions_of(role) == policy.permissions_of(role), role

    def test_a_second_put_replaces_the_policy(self, storage: S, records: Records) -> None:
        org = records.organization(1)
        seed(storage, org)
        first = RolePolicy().with_role(Role.QUALIFIER, {Permission.DISPATCH})
        second = first.with_role(Role.QUALIFIER, {Permission.CHANGE_STATUS, Permission.CONVERT})
        for policy in (first, second):
            with storage.unit_of_work() as uow:
                uow.role_policies.put(org.id, policy)
                uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.role_policies.get(org.id) == second
