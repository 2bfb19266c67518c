"""Use cases of suppliers and advertisers (``s.partners``)."""

from __future__ import annotations

import builtins

import attrs

from leadcore._arguments import checked_arguments
from leadcore._checks import blank
from leadcore._text import checks_text
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.events import PartnerAdded, PartnershipChanged, UserAdded, UserChanged
from leadcore.services._organizations import new_organization
from leadcore.services._shared import ServiceContext, Work, record_event
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy._model import (
    Organization,
    OrganizationKind,
    PartnerKind,
    Partnership,
    User,
    effective_permissions,
)
from leadcore.tenancy._permissions import Permission, Role, RolePolicy

__all__ = ["PartnersService"]


@checks_text
@checked_arguments
class PartnersService:
    """Suppliers and advertisers of the acting user's organisation (``s.partners``).

    A partner is an organisation of its own, with its own statuses, users and
    data; this organisation sees only its partnership record of it.

    A supplier or advertiser added here starts as a *basic* account, whose
    users this organisation may also manage (:meth:`users`,
    :meth:`create_user`, :meth:`deactivate_user`, :meth:`activate_user`,
    with ``manage_partners``). Once the partner buys a full account
    (:meth:`Leadcore.upgrade_organization
    <leadcore.Leadcore.upgrade_organization>`), it manages its users alone
    and each of these calls raises :class:`~leadcore.errors.Forbidden`.
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

    def list(self, kind: PartnerKind | str | None = None) -> builtins.list[Partnership]:
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
        with Work(self._ctx, None, "") as w:
            rows = w.uow.partnerships.list(self._ctx.organization_id)
        return [p for p in rows if wanted is None or p.kind is wanted]

    def get(self, partnership_id: str) -> Partnership:
        """One partnership record of this organisation."""
        with Work(self._ctx, None, "") as w:
            return self._get(w.uow, partnership_id)

    def deactivate(self, partnership_id: str) -> Partnership:
        """End a partnership on both sides (needs ``manage_partners``)."""
        return self._set_active(partnership_id, False)

    def activate(self, partnership_id: str) -> Partnership:
        """Resume a partnership on both sides (needs ``manage_partners``)."""
        return self._set_active(partnership_id, True)

    # -- the users of a basic account this organisation created ----------------

    def users(self, partnership_id: str) -> builtins.list[User]:
        """The users of the basic account behind a partnership, by name (``manage_partners``)."""
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage partner users") as w:
            org = self._managed(w.uow, partnership_id)
            return builtins.list(w.uow.users.list(org.id))

    def create_user(
        self, partnership_id: str, name: str, role: Role | str, *, email: str | None = None
    ) -> User:
        """Create a user in the basic account behind a partnership (``manage_partners``).

        The user works in the partner's organisation, not in this one.
        """
        problems = [p for p in (blank(name, "name"),) if p]
        if role not in {r.value for r in Role}:
            accepted = ", ".join(r.value for r in Role)
            problems.append(f"role: {role!r} is not a role; accepted: {accepted}")
        if problems:
            raise ValidationError("cannot add the user", problems)
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage partner users") as w:
            org = self._managed(w.uow, partnership_id)
            user = User(
                id=self._ctx.ids.new("user"),
                organization_id=org.id,
                name=name.strip(),
                role=Role(role),
                email=email,
            )
            w.uow.users.add(user)
            record_event(
                w.uow,
                self._ctx.ids,
                UserAdded,
                organization_id=org.id,
                actor_id=None,
                now=w.now,
                user_id=user.id,
                name=user.name,
                role=str(user.role),
            )
            w.uow.commit()
            return user

    def deactivate_user(self, partnership_id: str, user_id: str) -> User:
        """Deactivate a user of the basic account behind a partnership (``manage_partners``).

        Refused with ``ConflictError`` when the account would be left with no
        active user able to manage users.
        """
        return self._change_user(partnership_id, user_id, active=False)

    def activate_user(self, partnership_id: str, user_id: str) -> User:
        """Reactivate a user of the basic account behind a partnership (``manage_partners``)."""
        return self._change_user(partnership_id, user_id, active=True)

    def _managed(self, uow: UnitOfWork, partnership_id: str) -> Organization:
        """The basic organisation this one created behind ``partnership_id``; else ``Forbidden``."""
        partnership = self._get(uow, partnership_id)
        org = uow.organizations.get(partnership.partner_id)
        if org is None:  # pragma: no cover - a partnership always names a stored organisation
            raise NotFound("partnership", partnership_id)
        if org.kind is not OrganizationKind.BASIC or org.created_by != self._ctx.organization_id:
            raise Forbidden(
                f"partnership {partnership_id!r}: {partnership.partner_name!r} is a full account "
                "that manages its own users; only a basic account this organisation created "
                "can be managed from here",
                permission=str(Permission.MANAGE_PARTNERS),
            )
        return org

    def _change_user(self, partnership_id: str, user_id: str, *, active: bool) -> User:
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage partner users") as w:
            org = self._managed(w.uow, partnership_id)
            before = w.uow.users.get(org.id, user_id)
            if before is None:
                raise NotFound("user", user_id)
            user = attrs.evolve(before, active=active)
            policy = w.uow.role_policies.get(org.id) or RolePolicy.default()
            if not any(
                Permission.MANAGE_USERS in effective_permissions(u, policy)
                for u in (user if u.id == user.id else u for u in w.uow.users.list(org.id))
            ):
                raise ConflictError(
                    "the change would leave the partner's account with no active user "
                    "who can manage users"
                )
            w.uow.users.update(user)
            # Rewriting the policy makes two concurrent deactivations conflict (as in s.users).
            w.uow.role_policies.put(org.id, policy)
            record_event(
                w.uow,
                self._ctx.ids,
                UserChanged,
                organization_id=org.id,
                actor_id=None,
                now=w.now,
                user_id=user.id,
                change="activated" if active else "deactivated",
                role=str(user.role),
                active=active,
            )
            w.uow.commit()
            return user

    def _get(self, uow: UnitOfWork, partnership_id: str) -> Partnership:
        found = uow.partnerships.get(self._ctx.organization_id, partnership_id)
        if found is None:
            raise NotFound("partnership", partnership_id)
        return found

    def _set_active(self, partnership_id: str, active: bool) -> Partnership:
        with Work(self._ctx, Permission.MANAGE_PARTNERS, "manage partners") as w:
            mine = attrs.evolve(self._get(w.uow, partnership_id), active=active)
            w.uow.partnerships.update(mine)
            w.emit(
                PartnershipChanged,
                partnership_id=mine.id,
                partner_id=mine.partner_id,
                active=active,
            )
            # The partner's own record of the same link is the one cross-organisation write.
            for theirs in w.uow.partnerships.list(mine.partner_id):
                if theirs.link_id == mine.link_id:
                    w.uow.partnerships.update(attrs.evolve(theirs, active=active))
                    record_event(
                        w.uow,
                        self._ctx.ids,
                        PartnershipChanged,
                        organization_id=theirs.organization_id,
                        actor_id=None,
                        now=w.now,
                        partnership_id=theirs.id,
                        partner_id=theirs.partner_id,
                        active=active,
                    )
            w.uow.commit()
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
        with Work(self._ctx, Permission.MANAGE_PARTNERS, action) as w:
            me = w.uow.organizations.get(self._ctx.organization_id)
            if me is None:  # pragma: no cover - the actor was just loaded from it
                raise NotFound("organization", self._ctx.organization_id)
            org, admin = new_organization(
                w.uow,
                self._ctx.ids,
                w.now,
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
                (me, org, kind, w.actor.user.id),
                (org, me, kind.reverse, None),
            ):
                record = Partnership(
                    id=self._ctx.ids.new("partnership"),
                    organization_id=owner.id,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    kind=side,
                    link_id=link,
                    created_at=w.now,
                )
                w.uow.partnerships.add(record)
                record_event(
                    w.uow,
                    self._ctx.ids,
                    PartnerAdded,
                    organization_id=owner.id,
                    actor_id=by,
                    now=w.now,
                    partnership_id=record.id,
                    partner_id=partner.id,
                    partner_name=partner.name,
                    kind=str(side),
                )
            w.uow.commit()
            return org, admin
