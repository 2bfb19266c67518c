"""Use cases of users, groups, role permissions and partners (``s.users``, ``s.partners``)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from leadcore._arguments import checked_arguments
from leadcore._checks import bad_region, bad_timezone, blank
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.events import (
    GroupChanged,
    OrganizationCreated,
    PartnerAdded,
    PartnershipChanged,
    RolePermissionsChanged,
    UserAdded,
    UserChanged,
    WorkflowPublished,
)
from leadcore.ids import IdFactory
from leadcore.services._shared import (
    LEADS,
    Actor,
    ServiceContext,
    record_event,
)
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy._model import (
    Group,
    Organization,
    OrganizationKind,
    PartnerKind,
    Partnership,
    User,
    effective_permissions,
)
from leadcore.tenancy._permissions import Permission, Role, RolePolicy
from leadcore.workflow import Workflow, sample_workflow

__all__ = ["PartnersService", "UsersService", "new_organization"]


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


def new_organization(
    uow: UnitOfWork,
    ids: IdFactory,
    now: datetime,
    *,
    name: str,
    admin_name: str,
    admin_email: str | None,
    default_region: str | None,
    timezone: str,
    kind: OrganizationKind,
    created_by: str | None,
    workflow: Workflow | None = None,
) -> tuple[Organization, User]:
    """Create an organisation, its first user (an account manager) and its lead workflow.

    The workflow (default: the bundled sales workflow) becomes version 1 of
    the organisation's ``"leads"`` workflow. Everything is written in ``uow``.
    """
    problems = [
        p
        for p in (
            blank(name, "name"),
            blank(admin_name, "admin_name"),
            bad_region(default_region, "default_region"),
            bad_timezone(timezone, "timezone"),
        )
        if p
    ]
    if problems:
        raise ValidationError("cannot create the organisation", problems)
    org = Organization(
        id=ids.new("org"),
        name=name.strip(),
        created_at=now,
        kind=kind,
        default_region=default_region,
        timezone=timezone,
        created_by=created_by,
    )
    admin = User(
        id=ids.new("user"),
        organization_id=org.id,
        name=admin_name.strip(),
        role=Role.ACCOUNT_MANAGER,
        email=admin_email,
    )
    uow.organizations.add(org)
    uow.users.add(admin)
    first = attrs.evolve(workflow if workflow is not None else sample_workflow(), version=1)
    uow.workflows.add(org.id, LEADS, first)
    for cls, fields in (
        (
            OrganizationCreated,
            {"name": org.name, "kind": str(kind), "admin_id": admin.id, "created_by": created_by},
        ),
        (UserAdded, {"user_id": admin.id, "name": admin.name, "role": str(admin.role)}),
        (WorkflowPublished, {"kind": LEADS, "workflow_id": first.id, "version": 1}),
    ):
        record_event(uow, ids, cls, organization_id=org.id, actor_id=None, now=now, **fields)
    return org, admin


@checks_text
@checked_arguments
class UsersService:
    """Users, groups and role permissions of the acting user's organisation (``s.users``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- reading ---------------------------------------------------------------

    def me(self) -> User:
        """The acting user."""
        with self._ctx.work() as (_, actor):
            return actor.user

    def get(self, user_id: str) -> User:
        """A user of this organisation; ``NotFound`` otherwise (also for other organisations)."""
        with self._ctx.work() as (uow, _):
            return self._user(uow, user_id)

    def list(self, *, include_inactive: bool = True) -> list[User]:
        """The organisation's users, by name."""
        with self._ctx.work() as (uow, _):
            users = uow.users.list(self._ctx.organization_id)
        return [u for u in users if include_inactive or u.active]

    def permissions(self, user_id: str | None = None) -> frozenset[Permission]:
        """The effective permissions of a user (default: the acting user)."""
        with self._ctx.work() as (uow, actor):
            if user_id is None:
                return actor.permissions
            user = self._user(uow, user_id)
            return effective_permissions(user, self._policy(uow))

    def role_policy(self) -> RolePolicy:
        """The permissions of each role in this organisation."""
        with self._ctx.work() as (uow, _):
            return self._policy(uow)

    # -- changing users --------------------------------------------------------

    def add(
        self,
        name: str,
        role: Role | str,
        *,
        email: str | None = None,
        timezone: str | None = None,
    ) -> User:
        """Add a user to this organisation (needs ``manage_users``)."""
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
        with self._ctx.work(Permission.MANAGE_USERS, "add users") as (uow, actor):
            user = User(
                id=self._ctx.ids.new("user"),
                organization_id=self._ctx.organization_id,
                name=name.strip(),
                role=the_role,
                email=email,
                timezone=timezone,
            )
            uow.users.add(user)
            self._ctx.record(
                uow,
                actor,
                self._ctx.now(),
                UserAdded,
                user_id=user.id,
                name=user.name,
                role=str(user.role),
            )
            uow.commit()
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
        with self._ctx.work(Permission.MANAGE_USERS, "change role permissions") as (uow, actor):
            policy = self._policy(uow).with_role(the_role, perms)
            self._check_manager_left(uow, policy, {})
            uow.role_policies.put(self._ctx.organization_id, policy)
            self._ctx.record(
                uow,
                actor,
                self._ctx.now(),
                RolePermissionsChanged,
                role=str(the_role),
                permissions=sorted(str(p) for p in policy.permissions_of(the_role)),
            )
            uow.commit()

    # -- groups ------------------------------------------------------------------

    def groups(self) -> builtins.list[Group]:
        """The organisation's groups, by name."""
        with self._ctx.work() as (uow, _):
            return list(uow.groups.list(self._ctx.organization_id))

    def group(self, group_id: str) -> Group:
        """A group of this organisation."""
        with self._ctx.work() as (uow, _):
            return self._group(uow, group_id)

    def create_group(self, name: str, member_ids: Iterable[str] = ()) -> Group:
        """Create a group of users of this organisation (needs ``manage_users``)."""
        problem = blank(name, "name")
        if problem:
            raise ValidationError("cannot create the group", [problem])
        members = list(member_ids)
        with self._ctx.work(Permission.MANAGE_USERS, "manage groups") as (uow, actor):
            for uid in members:
                self._user(uow, uid)
            group = Group(
                id=self._ctx.ids.new("group"),
                organization_id=self._ctx.organization_id,
                name=name.strip(),
                member_ids=frozenset(members),
            )
            uow.groups.add(group)
            self._group_changed(uow, actor, group, "created")
            uow.commit()
            return group

    def add_to_group(self, group_id: str, *user_ids: str) -> Group:
        """Add users to a group (needs ``manage_users``)."""
        with self._ctx.work(Permission.MANAGE_USERS, "manage groups") as (uow, actor):
            group = self._group(uow, group_id)
            for uid in user_ids:
                self._user(uow, uid)
            group = attrs.evolve(group, member_ids=group.member_ids | set(user_ids))
            uow.groups.update(group)
            self._group_changed(uow, actor, group, "members")
            uow.commit()
            return group

    def remove_from_group(self, group_id: str, *user_ids: str) -> Group:
        """Remove users from a group (needs ``manage_users``)."""
        with self._ctx.work(Permission.MANAGE_USERS, "manage groups") as (uow, actor):
            group = self._group(uow, group_id)
            group = attrs.evolve(group, member_ids=group.member_ids - set(user_ids))
            uow.groups.update(group)
            self._group_changed(uow, actor, group, "members")
            uow.commit()
            return group

    def delete_group(self, group_id: str) -> None:
        """Delete a group (needs ``manage_users``)."""
        with self._ctx.work(Permission.MANAGE_USERS, "manage groups") as (uow, actor):
            group = self._group(uow, group_id)
            uow.groups.remove(self._ctx.organization_id, group_id)
            self._group_changed(uow, actor, group, "deleted")
            uow.commit()

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

    def _group_changed(self, uow: UnitOfWork, actor: Actor, group: Group, change: str) -> None:
        self._ctx.record(
            uow,
            actor,
            self._ctx.now(),
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
        with self._ctx.work(Permission.MANAGE_USERS, action) as (uow, actor):
            before = self._user(uow, user_id)
            user = change(before)
            policy = self._policy(uow)
            self._check_manager_left(uow, policy, {user.id: user})
            uow.users.update(user)
            # Rewriting the policy makes concurrent changes of who may manage users conflict
            # (first committer wins): two deactivations checked side by side would otherwise
            # each see the other manager still active and together leave none.
            uow.role_policies.put(self._ctx.organization_id, policy)
            if user.active != before.active:
                what = "activated" if user.active else "deactivated"
            elif user.role != before.role:
                what = "role"
            else:
                what = "permissions"
            self._ctx.record(
                uow,
                actor,
                self._ctx.now(),
                UserChanged,
                user_id=user.id,
                change=what,
                role=str(user.role),
                active=user.active,
            )
            uow.commit()
            return user


@checks_text
@checked_arguments
class PartnersService:
    """Suppliers and advertisers of the acting user's organisation (``s.partners``).

    A partner is an organisation of its own, with its own statuses, users and
    data; this organisation sees only its partnership record of it.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def add_supplier(
        self,
        name: str,
        *,
        admin_name: str,
        admin_email: str | None = None,
        default_region: str | None = None,
        timezone: str | None = None,
    ) -> tuple[Organization, User]:
        """Create a basic organisation that supplies leads to this one, with its admin.

        Returns the new organisation and its first user (an account
        manager), as :meth:`Leadcore.create_organization
        <leadcore.Leadcore.create_organization>` does.
        """
        return self._add(
            PartnerKind.SUPPLIER, name, admin_name, admin_email, default_region, timezone
        )

    def add_advertiser(
        self,
        name: str,
        *,
        admin_name: str,
        admin_email: str | None = None,
        default_region: str | None = None,
        timezone: str | None = None,
    ) -> tuple[Organization, User]:
        """Create a basic organisation that receives leads from this one, with its admin."""
        return self._add(
            PartnerKind.ADVERTISER, name, admin_name, admin_email, default_region, timezone
        )

    def list(self, kind: PartnerKind | str | None = None) -> list[Partnership]:
        """The partnership records of this organisation, by partner name; optionally one kind."""
        wanted = None
        if kind is not None:
            try:
                wanted = PartnerKind(kind)
            except ValueError:
                accepted = ", ".join(k.value for k in PartnerKind)
                raise ValidationError(
                    "invalid partner kind",
                    [f"kind: {kind!r} is not a partner kind; accepted: {accepted}"],
                ) from None
        with self._ctx.work() as (uow, _):
            rows = uow.partnerships.list(self._ctx.organization_id)
        return [p for p in rows if wanted is None or p.kind is wanted]

    def get(self, partnership_id: str) -> Partnership:
        """One partnership record of this organisation."""
        with self._ctx.work() as (uow, _):
            return self._get(uow, partnership_id)

    def deactivate(self, partnership_id: str) -> Partnership:
        """End a partnership on both sides (needs ``manage_partners``)."""
        return self._set_active(partnership_id, False)

    def activate(self, partnership_id: str) -> Partnership:
        """Resume a partnership on both sides (needs ``manage_partners``)."""
        return self._set_active(partnership_id, True)

    def _get(self, uow: UnitOfWork, partnership_id: str) -> Partnership:
        found = uow.partnerships.get(self._ctx.organization_id, partnership_id)
        if found is None:
            raise NotFound("partnership", partnership_id)
        return found

    def _set_active(self, partnership_id: str, active: bool) -> Partnership:
        with self._ctx.work(Permission.MANAGE_PARTNERS, "manage partners") as (uow, actor):
            now = self._ctx.now()
            mine = attrs.evolve(self._get(uow, partnership_id), active=active)
            uow.partnerships.update(mine)
            self._ctx.record(
                uow,
                actor,
                now,
                PartnershipChanged,
                partnership_id=mine.id,
                partner_id=mine.partner_id,
                active=active,
            )
            # The partner's own record of the same link is the one cross-organisation write.
            for theirs in uow.partnerships.list(mine.partner_id):
                if theirs.link_id == mine.link_id:
                    uow.partnerships.update(attrs.evolve(theirs, active=active))
                    record_event(
                        uow,
                        self._ctx.ids,
                        PartnershipChanged,
                        organization_id=theirs.organization_id,
                        actor_id=None,
                        now=now,
                        partnership_id=theirs.id,
                        partner_id=theirs.partner_id,
                        active=active,
                    )
            uow.commit()
            return mine

    def _add(
        self,
        kind: PartnerKind,
        name: str,
        admin_name: str,
        admin_email: str | None,
        default_region: str | None,
        timezone: str | None,
    ) -> tuple[Organization, User]:
        action = f"add {kind}s"
        with self._ctx.work(Permission.MANAGE_PARTNERS, action) as (uow, actor):
            me = uow.organizations.get(self._ctx.organization_id)
            if me is None:  # pragma: no cover - the actor was just loaded from it
                raise NotFound("organization", self._ctx.organization_id)
            now = self._ctx.now()
            org, admin = new_organization(
                uow,
                self._ctx.ids,
                now,
                name=name,
                admin_name=admin_name,
                admin_email=admin_email,
                default_region=default_region if default_region is not None else me.default_region,
                timezone=timezone or me.timezone,
                kind=OrganizationKind.BASIC,
                created_by=me.id,
            )
            link = self._ctx.ids.new("link")
            for owner, partner, side, by in (
                (me, org, kind, actor.user.id),
                (org, me, kind.reverse, None),
            ):
                record = Partnership(
                    id=self._ctx.ids.new("partnership"),
                    organization_id=owner.id,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    kind=side,
                    link_id=link,
                    created_at=now,
                )
                uow.partnerships.add(record)
                record_event(
                    uow,
                    self._ctx.ids,
                    PartnerAdded,
                    organization_id=owner.id,
                    actor_id=by,
                    now=now,
                    partnership_id=record.id,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    kind=str(side),
                )
            uow.commit()
            return org, admin
