"""Use cases of users, groups and role permissions (``s.users``)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable

import attrs

from leadcore._arguments import checked_arguments
from leadcore._checks import bad_timezone, blank
from leadcore._moved import renamed
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.events import (
    GroupChanged,
    RolePermissionsChanged,
    UserAdded,
    UserChanged,
)
from leadcore.services._shared import ServiceContext, Work, Writer
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy._model import Group, User, effective_permissions
from leadcore.tenancy._permissions import Permission, Role, RolePolicy

__all__ = ["UsersService"]


def _role_problem(value: Role | str, path: str) -> str | None:
    try:
        Role(value)
    except ValueError:
        accepted = ", ".join(r.value for r in Role)
        return f"{path}: {value!r} is not a role; accepted: {accepted}"
    return None


def _role(value: Role | str, path: str) -> Role:
    problem = _role_problem(value, path)
    if problem:
        raise ValidationError("invalid role", [problem])
    return Role(value)


def _permission_problems(values: Iterable[Permission | str], path: str) -> list[str]:
    problems: list[str] = []
    for i, v in enumerate(values):
        try:
            Permission(v)
        except ValueError:
            problems.append(f"{path}[{i}]: {v!r} is not a permission")
    return problems


def _permission_values(values: Iterable[Permission | str], path: str) -> list[Permission]:
    values = list(values)
    problems = _permission_problems(values, path)
    if problems:
        raise ValidationError("invalid permissions", problems)
    return [Permission(v) for v in values]


@checks_text
@checked_arguments
class UsersService:
    """Users, groups and role permissions of the acting user's organisation (``s.users``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- reading ---------------------------------------------------------------

    def me(self) -> User:
        """The acting user."""
        with Work(self._ctx, None, "") as w:
            return w.actor.user

    def get(self, user_id: str) -> User:
        """A user of this organisation; ``NotFound`` otherwise (also for other organisations)."""
        with Work(self._ctx, None, "") as w:
            return self._user(w.uow, user_id)

    def list(self, *, include_inactive: bool = True) -> list[User]:
        """The organisation's users, by name."""
        with Work(self._ctx, None, "") as w:
            users = w.uow.users.list(self._ctx.organization_id)
        return [u for u in users if include_inactive or u.active]

    def permissions(self, user_id: str | None = None) -> frozenset[Permission]:
        """The effective permissions of a user (default: the acting user)."""
        with Work(self._ctx, None, "") as w:
            if user_id is None:
                return w.actor.permissions
            user = self._user(w.uow, user_id)
            return effective_permissions(user, self._policy(w.uow))

    def role_policy(self) -> RolePolicy:
        """The permissions of each role in this organisation."""
        with Work(self._ctx, None, "") as w:
            return self._policy(w.uow)

    # -- changing users --------------------------------------------------------

    def create(
        self,
        name: str,
        role: Role | str,
        *,
        email: str | None = None,
        timezone: str | None = None,
    ) -> User:
        """Create a user of this organisation (needs ``manage_users``)."""
        problems = [
            p
            for p in (
                blank(name, "name"),
                _role_problem(role, "role"),
                bad_timezone(timezone, "timezone") if timezone is not None else None,
            )
            if p
        ]
        if problems:
            raise ValidationError("cannot add the user", problems)
        the_role = Role(role)
        with Work(self._ctx, Permission.MANAGE_USERS, "add users") as w:
            user = User(
                id=self._ctx.ids.new("user"),
                organization_id=self._ctx.organization_id,
                name=name.strip(),
                role=the_role,
                email=email,
                timezone=timezone,
            )
            w.uow.users.add(user)
            w.emit(
                UserAdded,
                user_id=user.id,
                name=user.name,
                role=str(user.role),
            )
            w.uow.commit()
            return user

    def set_role(self, user_id: str, role: Role | str) -> User:
        """Give a user another role (needs ``manage_users``)."""
        the_role = _role(role, "role")
        return self._change(user_id, "change roles", lambda u: attrs.evolve(u, role=the_role))

    def grant(self, user_id: str, *permissions: Permission | str) -> User:
        """Give one user permissions beyond their role (needs ``manage_users``)."""
        perms = set(_permission_values(permissions, "permissions"))
        return self._change(
            user_id,
            "grant permissions",
            lambda u: attrs.evolve(u, grants=u.grants | perms, revokes=u.revokes - perms),
        )

    def revoke(self, user_id: str, *permissions: Permission | str) -> User:
        """Take permissions away from one user, whatever their role (needs ``manage_users``)."""
        perms = set(_permission_values(permissions, "permissions"))
        return self._change(
            user_id,
            "revoke permissions",
            lambda u: attrs.evolve(u, grants=u.grants - perms, revokes=u.revokes | perms),
        )

    def reset_permissions(self, user_id: str) -> User:
        """Drop a user's own grants and revokes: back to their role (needs ``manage_users``)."""
        return self._change(
            user_id,
            "reset permissions",
            lambda u: attrs.evolve(u, grants=frozenset(), revokes=frozenset()),
        )

    def deactivate(self, user_id: str) -> User:
        """Deactivate a user: they can no longer open a session (needs ``manage_users``).

        Refused with ``ConflictError`` when no active user able to manage
        users would remain.
        """
        return self._change(user_id, "deactivate users", lambda u: attrs.evolve(u, active=False))

    def activate(self, user_id: str) -> User:
        """Reactivate a user (needs ``manage_users``)."""
        return self._change(user_id, "activate users", lambda u: attrs.evolve(u, active=True))

    def set_role_permissions(
        self, role: Role | str, permissions: Iterable[Permission | str]
    ) -> None:
        """Change what a role may do in this organisation (needs ``manage_users``)."""
        perms = list(permissions)
        problems = [p for p in (_role_problem(role, "role"),) if p]
        problems += _permission_problems(perms, "permissions")
        if problems:
            raise ValidationError("cannot change the role's permissions", problems)
        the_role = Role(role)
        with Work(self._ctx, Permission.MANAGE_USERS, "change role permissions") as w:
            policy = self._policy(w.uow).with_role(the_role, perms)
            self._check_manager_left(w.uow, policy, {})
            w.uow.role_policies.put(self._ctx.organization_id, policy)
            w.emit(
                RolePermissionsChanged,
                role=str(the_role),
                permissions=sorted(str(p) for p in policy.permissions_of(the_role)),
            )
            w.uow.commit()

    # -- groups ------------------------------------------------------------------

    def groups(self) -> builtins.list[Group]:
        """The organisation's groups, by name."""
        with Work(self._ctx, None, "") as w:
            return list(w.uow.groups.list(self._ctx.organization_id))

    def group(self, group_id: str) -> Group:
        """A group of this organisation."""
        with Work(self._ctx, None, "") as w:
            return self._group(w.uow, group_id)

    def create_group(self, name: str, member_ids: Iterable[str] = ()) -> Group:
        """Create a group of users of this organisation (needs ``manage_users``)."""
        problem = blank(name, "name")
        if problem:
            raise ValidationError("cannot create the group", [problem])
        members = list(member_ids)
        with Work(self._ctx, Permission.MANAGE_USERS, "manage groups") as w:
            for uid in members:
                self._user(w.uow, uid)
            group = Group(
                id=self._ctx.ids.new("group"),
                organization_id=self._ctx.organization_id,
                name=name.strip(),
                member_ids=frozenset(members),
            )
            w.uow.groups.add(group)
            self._group_changed(w, group, "created")
            w.uow.commit()
            return group

    def add_to_group(self, group_id: str, *user_ids: str) -> Group:
        """Add users to a group (needs ``manage_users``)."""
        with Work(self._ctx, Permission.MANAGE_USERS, "manage groups") as w:
            group = self._group(w.uow, group_id)
            for uid in user_ids:
                self._user(w.uow, uid)
            group = attrs.evolve(group, member_ids=group.member_ids | set(user_ids))
            w.uow.groups.update(group)
            self._group_changed(w, group, "members")
            w.uow.commit()
            return group

    def remove_from_group(self, group_id: str, *user_ids: str) -> Group:
        """Remove users from a group (needs ``manage_users``)."""
        with Work(self._ctx, Permission.MANAGE_USERS, "manage groups") as w:
            group = self._group(w.uow, group_id)
            group = attrs.evolve(group, member_ids=group.member_ids - set(user_ids))
            w.uow.groups.update(group)
            self._group_changed(w, group, "members")
            w.uow.commit()
            return group

    def remove_group(self, group_id: str) -> None:
        """Remove a group (needs ``manage_users``); its members stay users."""
        with Work(self._ctx, Permission.MANAGE_USERS, "manage groups") as w:
            group = self._group(w.uow, group_id)
            w.uow.groups.remove(self._ctx.organization_id, group_id)
            self._group_changed(w, group, "deleted")
            w.uow.commit()

    # -- old names, kept for one release ------------------------------------------

    add = renamed("create")
    delete_group = renamed("remove_group")

    # -- helpers -----------------------------------------------------------------

    def _user(self, uow: UnitOfWork, user_id: str) -> User:
        user = uow.users.get(self._ctx.organization_id, user_id)
        if user is None:
            raise NotFound("user", user_id)
        return user

    def _group(self, uow: UnitOfWork, group_id: str) -> Group:
        group = uow.groups.get(self._ctx.organization_id, group_id)
        if group is None:
            raise NotFound("group", group_id)
        return group

    def _policy(self, uow: UnitOfWork) -> RolePolicy:
        return uow.role_policies.get(self._ctx.organization_id) or RolePolicy.default()

    def _group_changed(self, w: Writer, group: Group, change: str) -> None:
        w.emit(
            GroupChanged,
            group_id=group.id,
            name=group.name,
            change=change,
            member_ids=sorted(group.member_ids),
        )

    def _check_manager_left(
        self, uow: UnitOfWork, policy: RolePolicy, replaced: dict[str, User]
    ) -> None:
        for user in uow.users.list(self._ctx.organization_id):
            user = replaced.get(user.id, user)
            if Permission.MANAGE_USERS in effective_permissions(user, policy):
                return
        raise ConflictError(
            "the change would leave the organisation with no active user who can manage users"
        )

    def _change(self, user_id: str, action: str, change: Callable[[User], User]) -> User:
        with Work(self._ctx, Permission.MANAGE_USERS, action) as w:
            before = self._user(w.uow, user_id)
            user = change(before)
            policy = self._policy(w.uow)
            self._check_manager_left(w.uow, policy, {user.id: user})
            w.uow.users.update(user)
            # Rewriting the policy makes concurrent changes of who may manage users conflict
            # (first committer wins): two deactivations checked side by side would otherwise
            # each see the other manager still active and together leave none.
            w.uow.role_policies.put(self._ctx.organization_id, policy)
            if user.active != before.active:
                what = "activated" if user.active else "deactivated"
            elif user.role != before.role:
                what = "role"
            else:
                what = "permissions"
            w.emit(
                UserChanged,
                user_id=user.id,
                change=what,
                role=str(user.role),
                active=user.active,
            )
            w.uow.commit()
            return user
