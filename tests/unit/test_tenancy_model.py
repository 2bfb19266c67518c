"""The pure tenancy model: roles, default permissions, role policies, effective permissions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import attrs
import pytest

from leadcore.tenancy import (
    DEFAULT_ROLE_PERMISSIONS,
    Group,
    PartnerKind,
    Partnership,
    Permission,
    Role,
    RolePolicy,
    User,
    effective_permissions,
)

P = Permission


def _user(
    role: Role | str = Role.QUALIFIER,
    *,
    active: bool = True,
    grants: Iterable[Permission] = (),
    revokes: Iterable[Permission] = (),
) -> User:
    return User(
        id="user-1",
        organization_id="org-1",
        name="Dana",
        role=role,
        active=active,
        grants=grants,
        revokes=revokes,
    )


# -- roles and their defaults ------------------------------------------------------------


def test_the_internal_roles_are_the_six_of_the_reference() -> None:
    assert [r.value for r in Role] == [
        "account_manager",
        "campaign_manager",
        "qualifier_manager",
        "qualifier",
        "sales_manager",
        "salesperson",
    ]


def test_every_role_has_a_default_permission_set() -> None:
    assert set(DEFAULT_ROLE_PERMISSIONS) == set(Role)


def test_the_account_manager_may_do_everything_and_is_not_restricted() -> None:
    defaults = DEFAULT_ROLE_PERMISSIONS[Role.ACCOUNT_MANAGER]
    assert defaults == frozenset(Permission) - {P.RESTRICT_TO_NEXT_STAGES}


def test_only_the_account_manager_manages_users_and_workflows_by_default() -> None:
    for permission in (P.MANAGE_USERS, P.MANAGE_WORKFLOW):
        holders = {r for r, perms in DEFAULT_ROLE_PERMISSIONS.items() if permission in perms}
        assert holders == {Role.ACCOUNT_MANAGER}, permission


def test_partners_are_managed_by_account_and_campaign_managers() -> None:
    holders = {r for r, perms in DEFAULT_ROLE_PERMISSIONS.items() if P.MANAGE_PARTNERS in perms}
    assert holders == {Role.ACCOUNT_MANAGER, Role.CAMPAIGN_MANAGER}


def test_qualifiers_and_salespeople_are_restricted_to_next_stages() -> None:
    restricted = {
        r for r, perms in DEFAULT_ROLE_PERMISSIONS.items() if P.RESTRICT_TO_NEXT_STAGES in perms
    }
    assert restricted == {Role.QUALIFIER, Role.SALESPERSON}


def test_every_role_works_leads_and_takes_them_from_dispatch() -> None:
    for role, perms in DEFAULT_ROLE_PERMISSIONS.items():
        assert {P.CREATE_LEADS, P.EDIT_LEADS, P.CHANGE_STATUS, P.DISPATCH} <= perms, role


def test_each_role_sees_leads_in_one_way() -> None:
    seeing = {P.SEE_ALL_LEADS, P.SEE_CAMPAIGN_LEADS, P.SEE_ROUTED_LEADS}
    expected = {
        Role.ACCOUNT_MANAGER: seeing,
        Role.CAMPAIGN_MANAGER: {P.SEE_ALL_LEADS},
        Role.QUALIFIER_MANAGER: {P.SEE_CAMPAIGN_LEADS},
        Role.QUALIFIER: {P.SEE_CAMPAIGN_LEADS},
        Role.SALES_MANAGER: {P.SEE_ALL_LEADS},
        Role.SALESPERSON: {P.SEE_ROUTED_LEADS},
    }
    assert {r: perms & seeing for r, perms in DEFAULT_ROLE_PERMISSIONS.items()} == expected


def test_only_the_sales_side_converts_and_only_managers_unconvert() -> None:
    converting = {r for r, perms in DEFAULT_ROLE_PERMISSIONS.items() if P.CONVERT in perms}
    unconverting = {r for r, perms in DEFAULT_ROLE_PERMISSIONS.items() if P.UNCONVERT in perms}
    assert converting == {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.SALESPERSON}
    assert unconverting == {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER}


# -- role policies ----------------------------------------------------------------------


def test_a_new_policy_gives_every_role_its_defaults() -> None:
    policy = RolePolicy()
    for role in Role:
        assert policy.permissions_of(role) == DEFAULT_ROLE_PERMISSIONS[role]


def test_with_role_replaces_one_role_and_keeps_the_others() -> None:
    policy = RolePolicy().with_role("qualifier", {"change_status", "dispatch"})
    assert policy.permissions_of(Role.QUALIFIER) == {P.CHANGE_STATUS, P.DISPATCH}
    for role in set(Role) - {Role.QUALIFIER}:
        assert policy.permissions_of(role) == DEFAULT_ROLE_PERMISSIONS[role]


def test_with_role_returns_a_new_policy_and_leaves_the_old_one() -> None:
    before = RolePolicy()
    after = before.with_role(Role.SALESPERSON, set())
    assert before.permissions_of(Role.SALESPERSON) == DEFAULT_ROLE_PERMISSIONS[Role.SALESPERSON]
    assert after.permissions_of(Role.SALESPERSON) == frozenset()
    assert before != after
    assert before == RolePolicy()


def test_a_policy_that_does_not_name_a_role_falls_back_to_its_defaults() -> None:
    policy = RolePolicy({Role.QUALIFIER: {P.DISPATCH}})
    assert policy.permissions_of(Role.QUALIFIER) == {P.DISPATCH}
    assert policy.permissions_of(Role.SALES_MANAGER) == DEFAULT_ROLE_PERMISSIONS[Role.SALES_MANAGER]


def test_a_policy_cannot_be_changed_in_place() -> None:
    # Stores hand out the very policy they keep; changing it in place would bypass the store.
    policy = RolePolicy()
    with pytest.raises(TypeError):
        policy.roles[Role.QUALIFIER] = frozenset(Permission)  # type: ignore[index]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.roles = {}  # type: ignore[misc]
    assert policy.permissions_of(Role.QUALIFIER) == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER]


def test_a_policy_rejects_an_unknown_role_or_permission() -> None:
    with pytest.raises(ValueError, match="bogus"):
        RolePolicy().with_role("bogus", set())
    with pytest.raises(ValueError, match="fly"):
        RolePolicy().with_role(Role.QUALIFIER, {"fly"})


# -- effective permissions ----------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_a_user_without_grants_or_revokes_has_exactly_the_role_s_permissions(role: Role) -> None:
    assert effective_permissions(_user(role), RolePolicy()) == DEFAULT_ROLE_PERMISSIONS[role]


def test_a_grant_adds_to_the_role() -> None:
    user = _user(Role.QUALIFIER, grants={P.MANAGE_WORKFLOW})
    perms = effective_permissions(user, RolePolicy())
    assert perms == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER] | {P.MANAGE_WORKFLOW}


def test_a_revoke_removes_from_the_role_and_wins_over_a_grant() -> None:
    user = _user(
        Role.QUALIFIER,
        grants={P.CONVERT},
        revokes={P.CONVERT, P.RESTRICT_TO_NEXT_STAGES},
    )
    perms = effective_permissions(user, RolePolicy())
    assert P.CONVERT not in perms
    assert P.RESTRICT_TO_NEXT_STAGES not in perms
    assert perms == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER] - {P.RESTRICT_TO_NEXT_STAGES}


def test_effective_permissions_follow_the_organization_s_policy() -> None:
    policy = RolePolicy().with_role(Role.QUALIFIER, {P.CHANGE_STATUS})
    user = _user(Role.QUALIFIER, grants={P.DISPATCH})
    assert effective_permissions(user, policy) == {P.CHANGE_STATUS, P.DISPATCH}


def test_an_inactive_user_may_do_nothing_whatever_the_role_or_grants() -> None:
    user = _user(Role.ACCOUNT_MANAGER, active=False, grants={P.MANAGE_USERS})
    assert effective_permissions(user, RolePolicy()) == frozenset()


def test_a_user_converts_roles_and_permissions_from_text() -> None:
    user = User(
        id="user-1",
        organization_id="org-1",
        name="Dana",
        role="sales_manager",
        grants=["manage_workflow"],
        revokes=("convert",),
    )
    assert user.role is Role.SALES_MANAGER
    assert user.grants == {P.MANAGE_WORKFLOW}
    assert user.revokes == {P.CONVERT}
    with pytest.raises(ValueError, match="chief"):
        _user(role="chief")


# -- groups and partnerships ---------------------------------------------------------------


def test_a_group_keeps_its_members_as_a_set() -> None:
    group = Group(id="g-1", organization_id="org-1", name="Night", member_ids=["u-1", "u-1"])
    assert group.member_ids == frozenset({"u-1"})


def test_a_supplier_sees_its_agency_as_an_advertiser_and_back() -> None:
    assert PartnerKind.SUPPLIER.reverse is PartnerKind.ADVERTISER
    assert PartnerKind.ADVERTISER.reverse is PartnerKind.SUPPLIER
    for kind in PartnerKind:
        assert kind.reverse.reverse is kind


def test_a_partnership_reads_its_kind_from_text() -> None:
    p = Partnership(
        id="p-1",
        organization_id="org-1",
        partner_id="org-2",
        partner_name="Leads Ltd",
        kind="supplier",
        link_id="link-1",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert p.kind is PartnerKind.SUPPLIER
    assert p.active
