"""``s.users``: users, roles, per-user permissions, role policies and groups, through the facade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from leadcore import (
    ConflictError,
    Leadcore,
    ManualClock,
    NotFound,
    Organization,
    Permission,
    Role,
    Session,
    User,
    ValidationError,
)
from leadcore.ids import SequentialIds
from leadcore.tenancy import DEFAULT_ROLE_PERMISSIONS

P = Permission
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def core() -> Leadcore:
    return Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())


@pytest.fixture
def agency(core: Leadcore) -> tuple[Organization, User]:
    return core.create_organization("Agency", admin_name="Dana")


@pytest.fixture
def s(core: Leadcore, agency: tuple[Organization, User]) -> Session:
    return core.session(agency[1].id)


@pytest.fixture
def admin(agency: tuple[Organization, User]) -> User:
    return agency[1]


# -- reading -----------------------------------------------------------------------------------


def test_users_are_listed_by_name(s: Session, admin: User) -> None:
    zoe = s.users.create("Zoe", Role.SALESPERSON)
    avi = s.users.create("Avi", Role.QUALIFIER)
    assert [u.id for u in s.users.list()] == [avi.id, admin.id, zoe.id]


def test_inactive_users_may_be_left_out_of_the_list(s: Session, admin: User) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    s.users.deactivate(avi.id)
    assert [u.id for u in s.users.list()] == [avi.id, admin.id]
    assert [u.id for u in s.users.list(include_inactive=False)] == [admin.id]


def test_an_unknown_user_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound) as caught:
        s.users.get("user-404")
    assert str(caught.value) == "user 'user-404' not found"


def test_permissions_default_to_the_acting_user(s: Session) -> None:
    assert s.users.permissions() == DEFAULT_ROLE_PERMISSIONS[Role.ACCOUNT_MANAGER]


# -- adding and changing users -----------------------------------------------------------------


def test_an_added_user_belongs_to_the_organization_with_the_role_given(
    core: Leadcore, s: Session
) -> None:
    avi = s.users.create(" Avi ", "qualifier", email="avi@example.org", timezone="Asia/Jerusalem")
    assert avi.organization_id == s.organization_id
    assert (avi.name, avi.role, avi.email, avi.timezone) == (
        "Avi",
        Role.QUALIFIER,
        "avi@example.org",
        "Asia/Jerusalem",
    )
    assert avi.active
    assert s.users.get(avi.id) == avi
    assert core.session(avi.id).users.me() == avi
    assert s.users.permissions(avi.id) == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER]


def test_adding_a_user_names_every_bad_input_at_once(s: Session, admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        s.users.create("  ", "chief", timezone="Mars/Base")
    problems = caught.value.problems
    assert [p.split(":", 1)[0] for p in problems] == ["name", "role", "timezone"]
    assert "'chief' is not a role" in problems[1]
    assert "account_manager" in problems[1]
    assert [u.id for u in s.users.list()] == [admin.id]


def test_set_role_changes_what_the_user_may_do(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    changed = s.users.set_role(avi.id, "sales_manager")
    assert changed.role is Role.SALES_MANAGER
    assert s.users.get(avi.id) == changed
    assert s.users.permissions(avi.id) == DEFAULT_ROLE_PERMISSIONS[Role.SALES_MANAGER]


def test_set_role_refuses_an_unknown_role(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    with pytest.raises(ValidationError, match="'boss' is not a role"):
        s.users.set_role(avi.id, "boss")
    assert s.users.get(avi.id).role is Role.QUALIFIER


def test_grant_and_revoke_adjust_one_user_only(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    ben = s.users.create("Ben", Role.QUALIFIER)
    s.users.grant(avi.id, P.MANAGE_WORKFLOW, "see_reports")
    s.users.revoke(avi.id, "restrict_to_next_stages")
    expected = (DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER] | {P.MANAGE_WORKFLOW, P.SEE_REPORTS}) - {
        P.RESTRICT_TO_NEXT_STAGES
    }
    assert s.users.permissions(avi.id) == expected
    assert s.users.permissions(ben.id) == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER]


def test_a_grant_undoes_a_revoke_and_a_revoke_undoes_a_grant(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    revoked = s.users.revoke(avi.id, P.DISPATCH)
    assert revoked.grants == frozenset()
    assert revoked.revokes == {P.DISPATCH}
    granted = s.users.grant(avi.id, P.DISPATCH)
    assert granted.grants == {P.DISPATCH}
    assert granted.revokes == frozenset()
    assert P.DISPATCH in s.users.permissions(avi.id)
    assert s.users.revoke(avi.id, P.DISPATCH).grants == frozenset()
    assert P.DISPATCH not in s.users.permissions(avi.id)


def test_reset_permissions_brings_the_user_back_to_the_role(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    s.users.grant(avi.id, P.CONVERT)
    s.users.revoke(avi.id, P.DISPATCH)
    reset = s.users.reset_permissions(avi.id)
    assert (reset.grants, reset.revokes) == (frozenset(), frozenset())
    assert s.users.permissions(avi.id) == DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER]


def test_granting_an_unknown_permission_names_each_one(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    with pytest.raises(ValidationError) as caught:
        s.users.grant(avi.id, "convert", "fly", "teleport")
    assert caught.value.problems == (
        "permissions[1]: 'fly' is not a permission",
        "permissions[2]: 'teleport' is not a permission",
    )
    assert s.users.get(avi.id).grants == frozenset()


def test_deactivate_and_activate(core: Leadcore, s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    assert not s.users.deactivate(avi.id).active
    assert s.users.permissions(avi.id) == frozenset()
    assert s.users.activate(avi.id).active
    assert core.session(avi.id).users.me().active


def test_changing_an_unknown_user_is_not_found(s: Session) -> None:
    changes: list[Callable[[], object]] = [
        lambda: s.users.set_role("user-404", Role.QUALIFIER),
        lambda: s.users.grant("user-404", P.CONVERT),
        lambda: s.users.revoke("user-404", P.CONVERT),
        lambda: s.users.reset_permissions("user-404"),
        lambda: s.users.deactivate("user-404"),
        lambda: s.users.activate("user-404"),
    ]
    for change in changes:
        with pytest.raises(NotFound, match="user 'user-404' not found"):
            change()


# -- someone must be able to manage users ------------------------------------------------------


def test_the_last_manager_cannot_deactivate_themselves(s: Session, admin: User) -> None:
    with pytest.raises(ConflictError, match="no active user who can manage users"):
        s.users.deactivate(admin.id)
    assert s.users.get(admin.id).active


@pytest.mark.parametrize("change", ["deactivate", "set_role", "revoke"])
def test_no_change_may_leave_the_organization_without_a_manager(
    s: Session, admin: User, change: str
) -> None:
    changes = {
        "deactivate": lambda: s.users.deactivate(admin.id),
        "set_role": lambda: s.users.set_role(admin.id, Role.QUALIFIER),
        "revoke": lambda: s.users.revoke(admin.id, P.MANAGE_USERS),
    }
    with pytest.raises(ConflictError):
        changes[change]()
    assert s.users.get(admin.id) == admin


def test_a_manager_may_leave_once_another_one_is_there(
    core: Leadcore, s: Session, admin: User
) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    s.users.grant(avi.id, P.MANAGE_USERS)
    assert not s.users.deactivate(admin.id).active
    avi_session = core.session(avi.id)
    with pytest.raises(ConflictError):
        avi_session.users.deactivate(avi.id)
    assert avi_session.users.activate(admin.id).active


def test_a_role_policy_may_not_take_user_management_from_every_manager(
    s: Session, admin: User
) -> None:
    with pytest.raises(ConflictError):
        s.users.set_role_permissions(Role.ACCOUNT_MANAGER, [P.MANAGE_WORKFLOW])
    assert s.users.permissions(admin.id) == DEFAULT_ROLE_PERMISSIONS[Role.ACCOUNT_MANAGER]


# -- role policies -----------------------------------------------------------------------------


def test_an_organization_starts_with_the_default_role_permissions(s: Session) -> None:
    policy = s.users.role_policy()
    for role in Role:
        assert policy.permissions_of(role) == DEFAULT_ROLE_PERMISSIONS[role]


def test_changing_a_role_changes_every_user_of_that_role(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    ben = s.users.create("Ben", Role.QUALIFIER)
    zoe = s.users.create("Zoe", Role.SALESPERSON)
    s.users.set_role_permissions("qualifier", ["change_status", "manage_workflow"])
    assert s.users.role_policy().permissions_of(Role.QUALIFIER) == {
        P.CHANGE_STATUS,
        P.MANAGE_WORKFLOW,
    }
    for user in (avi, ben):
        assert s.users.permissions(user.id) == {P.CHANGE_STATUS, P.MANAGE_WORKFLOW}
    assert s.users.permissions(zoe.id) == DEFAULT_ROLE_PERMISSIONS[Role.SALESPERSON]


def test_a_per_user_grant_applies_on_top_of_a_changed_role(s: Session) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    s.users.grant(avi.id, P.CONVERT)
    s.users.set_role_permissions(Role.QUALIFIER, [P.CHANGE_STATUS])
    assert s.users.permissions(avi.id) == {P.CHANGE_STATUS, P.CONVERT}


def test_changing_a_role_names_a_bad_role_and_every_bad_permission(s: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        s.users.set_role_permissions("boss", ["convert", "fly"])
    assert [p.split(":", 1)[0] for p in caught.value.problems] == ["role", "permissions[1]"]
    assert (
        s.users.role_policy().permissions_of(Role.QUALIFIER)
        == (DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER])
    )


def test_a_role_policy_change_stays_in_its_organization(core: Leadcore, s: Session) -> None:
    _, other_admin = core.create_organization("Other agency", admin_name="Dana")
    other = core.session(other_admin.id)
    s.users.set_role_permissions(Role.QUALIFIER, [])
    assert (
        other.users.role_policy().permissions_of(Role.QUALIFIER)
        == (DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER])
    )


# -- groups ------------------------------------------------------------------------------------


def test_a_group_holds_users_of_the_organization(s: Session, admin: User) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    night = s.users.create_group(" Night shift ", [avi.id, admin.id])
    assert night.name == "Night shift"
    assert night.organization_id == s.organization_id
    assert night.member_ids == {avi.id, admin.id}
    assert s.users.group(night.id) == night


def test_groups_are_listed_by_name(s: Session) -> None:
    night = s.users.create_group("Night shift")
    day = s.users.create_group("Day shift")
    assert [g.id for g in s.users.groups()] == [day.id, night.id]


def test_members_are_added_and_removed(s: Session, admin: User) -> None:
    avi = s.users.create("Avi", Role.QUALIFIER)
    group = s.users.create_group("Night shift")
    assert s.users.add_to_group(group.id, avi.id, admin.id).member_ids == {avi.id, admin.id}
    assert s.users.remove_from_group(group.id, admin.id).member_ids == {avi.id}
    assert s.users.group(group.id).member_ids == {avi.id}


def test_a_deleted_group_is_gone(s: Session) -> None:
    group = s.users.create_group("Night shift")
    s.users.remove_group(group.id)
    assert s.users.groups() == []
    with pytest.raises(NotFound, match=f"group '{group.id}' not found"):
        s.users.group(group.id)
    with pytest.raises(NotFound):
        s.users.remove_group(group.id)


def test_a_group_with_an_unknown_member_is_refused_and_not_created(s: Session) -> None:
    with pytest.raises(NotFound, match="user 'user-404' not found"):
        s.users.create_group("Night shift", ["user-404"])
    assert s.users.groups() == []
    group = s.users.create_group("Day shift")
    with pytest.raises(NotFound):
        s.users.add_to_group(group.id, "user-404")
    assert s.users.group(group.id).member_ids == frozenset()


def test_a_group_needs_a_name(s: Session) -> None:
    with pytest.raises(ValidationError, match="name: must not be blank"):
        s.users.create_group("   ")
    assert s.users.groups() == []


def test_an_unknown_group_is_not_found(s: Session) -> None:
    with pytest.raises(NotFound, match="group 'group-404' not found"):
        s.users.group("group-404")
    with pytest.raises(NotFound):
        s.users.add_to_group("group-404")
    with pytest.raises(NotFound):
        s.users.remove_from_group("group-404")
