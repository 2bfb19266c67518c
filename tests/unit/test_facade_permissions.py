"""The permission matrix: every role against every session method, table-driven.

A method is refused with ``Forbidden`` exactly when the acting user's
effective permissions lack the one it needs; a method that needs none is
open to every role. Per-user grants and revokes, and an organisation's own
role policy, move the line.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

from leadcore import Forbidden, Leadcore, Permission, Role, Session, User, sample_workflow
from leadcore.ids import SequentialIds
from leadcore.services.partners import PartnersService
from leadcore.services.users import UsersService
from leadcore.services.workflow import WorkflowService
from leadcore.tenancy import DEFAULT_ROLE_PERMISSIONS, Group, Partnership

P = Permission


@attrs.frozen
class World:
    """An organisation, seen by an actor of some role, with one record of each kind to act on."""

    core: Leadcore
    admin: Session
    actor: User
    target: User
    group: Group
    partnership: Partnership

    @property
    def s(self) -> Session:
        return self.core.session(self.actor.id)


def _world(role: Role) -> World:
    core = Leadcore.open(ids=SequentialIds())
    _, admin_user = core.create_organization("Agency", admin_name="Dana")
    admin = core.session(admin_user.id)
    target = admin.users.create("Zoe", Role.SALESPERSON)
    group = admin.users.create_group("Night shift", [target.id])
    admin.partners.add_supplier("Leads Ltd", admin_name="Sam")
    [partnership] = admin.partners.list()
    actor = admin.users.create("Avi", role)
    return World(core, admin, actor, target, group, partnership)


Call = Callable[[World], object]

#: (service, method) -> (permission it needs or None, a call that succeeds when permitted)
MATRIX: dict[tuple[str, str], tuple[Permission | None, Call]] = {
    # s.users: reading needs nothing
    ("users", "me"): (None, lambda w: w.s.users.me()),
    ("users", "get"): (None, lambda w: w.s.users.get(w.target.id)),
    ("users", "list"): (None, lambda w: w.s.users.list()),
    ("users", "permissions"): (None, lambda w: w.s.users.permissions(w.target.id)),
    ("users", "role_policy"): (None, lambda w: w.s.users.role_policy()),
    ("users", "groups"): (None, lambda w: w.s.users.groups()),
    ("users", "group"): (None, lambda w: w.s.users.group(w.group.id)),
    # s.users: every change needs manage_users
    ("users", "create"): (P.MANAGE_USERS, lambda w: w.s.users.create("Ben", Role.QUALIFIER)),
    ("users", "set_role"): (
        P.MANAGE_USERS,
        lambda w: w.s.users.set_role(w.target.id, Role.QUALIFIER),
    ),
    ("users", "grant"): (P.MANAGE_USERS, lambda w: w.s.users.grant(w.target.id, P.SEE_REPORTS)),
    ("users", "revoke"): (P.MANAGE_USERS, lambda w: w.s.users.revoke(w.target.id, P.CONVERT)),
    ("users", "reset_permissions"): (
        P.MANAGE_USERS,
        lambda w: w.s.users.reset_permissions(w.target.id),
    ),
    ("users", "deactivate"): (P.MANAGE_USERS, lambda w: w.s.users.deactivate(w.target.id)),
    ("users", "activate"): (P.MANAGE_USERS, lambda w: w.s.users.activate(w.target.id)),
    ("users", "set_role_permissions"): (
        P.MANAGE_USERS,
        lambda w: w.s.users.set_role_permissions(Role.SALESPERSON, [P.CHANGE_STATUS]),
    ),
    ("users", "create_group"): (P.MANAGE_USERS, lambda w: w.s.users.create_group("Day shift")),
    ("users", "add_to_group"): (
        P.MANAGE_USERS,
        lambda w: w.s.users.add_to_group(w.group.id, w.actor.id),
    ),
    ("users", "remove_from_group"): (
        P.MANAGE_USERS,
        lambda w: w.s.users.remove_from_group(w.group.id, w.target.id),
    ),
    ("users", "remove_group"): (P.MANAGE_USERS, lambda w: w.s.users.remove_group(w.group.id)),
    # s.partners
    ("partners", "list"): (None, lambda w: w.s.partners.list()),
    ("partners", "get"): (None, lambda w: w.s.partners.get(w.partnership.id)),
    ("partners", "add_supplier"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.add_supplier("Ads Media", admin_name="Tom"),
    ),
    ("partners", "add_advertiser"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.add_advertiser("Insure Co", admin_name="Ana"),
    ),
    ("partners", "deactivate"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.deactivate(w.partnership.id),
    ),
    ("partners", "activate"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.activate(w.partnership.id),
    ),
    ("partners", "users"): (P.MANAGE_PARTNERS, lambda w: w.s.partners.users(w.partnership.id)),
    ("partners", "create_user"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.create_user(w.partnership.id, "Rami", "qualifier"),
    ),
    ("partners", "activate_user"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.activate_user(
            w.partnership.id, w.s.partners.users(w.partnership.id)[0].id
        ),
    ),
    ("partners", "deactivate_user"): (
        P.MANAGE_PARTNERS,
        lambda w: w.s.partners.deactivate_user(
            w.partnership.id, w.s.partners.create_user(w.partnership.id, "Rami", "qualifier").id
        ),
    ),
    # s.workflow
    ("workflow", "current"): (None, lambda w: w.s.workflow.current()),
    ("workflow", "get"): (None, lambda w: w.s.workflow.get(1)),
    ("workflow", "versions"): (None, lambda w: w.s.workflow.versions()),
    ("workflow", "preview"): (None, lambda w: w.s.workflow.preview(sample_workflow())),
    ("workflow", "publish"): (
        P.MANAGE_WORKFLOW,
        lambda w: w.s.workflow.publish(sample_workflow()),
    ),
}

SERVICES = {"users": UsersService, "partners": PartnersService, "workflow": WorkflowService}


def test_the_matrix_covers_every_public_method_of_the_services() -> None:
    for name, cls in SERVICES.items():
        public = {m for m in vars(cls) if not m.startswith("_") and callable(getattr(cls, m))}
        covered = {method for service, method in MATRIX if service == name}
        assert covered == public, f"s.{name}: add {sorted(public - covered)} to MATRIX"


def test_every_role_is_refused_something_except_the_account_manager() -> None:
    needed = {perm for perm, _ in MATRIX.values() if perm is not None}
    for role, perms in DEFAULT_ROLE_PERMISSIONS.items():
        assert (needed <= perms) is (role is Role.ACCOUNT_MANAGER), role


CASES = [pytest.param(role, key, id=f"{role}-{key[0]}.{key[1]}") for role in Role for key in MATRIX]


@pytest.mark.parametrize(("role", "key"), CASES)
def test_a_role_is_refused_exactly_what_its_default_permissions_lack(
    role: Role, key: tuple[str, str]
) -> None:
    permission, call = MATRIX[key]
    world = _world(role)
    if permission is None or permission in DEFAULT_ROLE_PERMISSIONS[role]:
        call(world)
        return
    with pytest.raises(Forbidden) as caught:
        call(world)
    assert caught.value.permission == permission
    assert f"'{permission}' permission" in str(caught.value)
    assert "'Avi' (" in str(caught.value)


# -- per-user grants and revokes, and the organisation's own policy -----------------------------

GUARDED = [key for key, (perm, _) in MATRIX.items() if perm is not None]


@pytest.mark.parametrize("key", GUARDED, ids=lambda k: f"{k[0]}.{k[1]}")
def test_a_grant_lets_a_user_do_what_the_role_may_not(key: tuple[str, str]) -> None:
    permission, call = MATRIX[key]
    assert permission is not None
    world = _world(Role.QUALIFIER)
    assert permission not in DEFAULT_ROLE_PERMISSIONS[Role.QUALIFIER]
    world.admin.users.grant(world.actor.id, permission)
    call(world)


@pytest.mark.parametrize("key", GUARDED, ids=lambda k: f"{k[0]}.{k[1]}")
def test_a_revoke_refuses_a_user_what_the_role_may_do(key: tuple[str, str]) -> None:
    permission, call = MATRIX[key]
    assert permission is not None
    world = _world(Role.ACCOUNT_MANAGER)
    world.admin.users.revoke(world.actor.id, permission)
    with pytest.raises(Forbidden):
        call(world)


def test_a_revoke_of_one_permission_leaves_the_others() -> None:
    world = _world(Role.ACCOUNT_MANAGER)
    world.admin.users.revoke(world.actor.id, P.MANAGE_WORKFLOW)
    with pytest.raises(Forbidden):
        world.s.workflow.publish(sample_workflow())
    world.s.users.create("Ben", Role.QUALIFIER)
    world.s.partners.add_supplier("Ads Media", admin_name="Tom")


def test_reset_permissions_takes_a_grant_back() -> None:
    world = _world(Role.QUALIFIER)
    world.admin.users.grant(world.actor.id, P.MANAGE_WORKFLOW)
    world.s.workflow.publish(sample_workflow())
    world.admin.users.reset_permissions(world.actor.id)
    with pytest.raises(Forbidden):
        world.s.workflow.publish(sample_workflow())


def test_a_changed_role_policy_moves_the_line_for_the_whole_role() -> None:
    world = _world(Role.QUALIFIER)
    with pytest.raises(Forbidden):
        world.s.partners.add_supplier("Ads Media", admin_name="Tom")
    world.admin.users.set_role_permissions(Role.QUALIFIER, [P.MANAGE_PARTNERS])
    world.s.partners.add_supplier("Ads Media", admin_name="Tom")
    world.admin.users.set_role_permissions(Role.CAMPAIGN_MANAGER, [])
    campaign = world.admin.users.create("Carla", Role.CAMPAIGN_MANAGER)
    with pytest.raises(Forbidden):
        world.core.session(campaign.id).partners.add_advertiser("Insure Co", admin_name="Ana")


def test_a_refused_call_changes_nothing() -> None:
    world = _world(Role.SALESPERSON)
    before = (
        world.admin.users.list(),
        world.admin.users.groups(),
        world.admin.partners.list(),
        world.admin.workflow.versions(),
    )
    for permission, call in MATRIX.values():
        if permission is not None:
            with pytest.raises(Forbidden):
                call(world)
    after = (
        world.admin.users.list(),
        world.admin.users.groups(),
        world.admin.partners.list(),
        world.admin.workflow.versions(),
    )
    assert after == before
