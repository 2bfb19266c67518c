"""Use cases of suppliers and advertisers (``s.partners``)."""

from __future__ import annotations

import attrs

from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import NotFound, ValidationError
from leadcore.events import PartnerAdded, PartnershipChanged
from leadcore.services._organizations import new_organization
from leadcore.services._shared import ServiceContext, Work, record_event
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy._model import Organization, OrganizationKind, PartnerKind, Partnership, User
from leadcore.tenancy._permissions import Permission

__all__ = ["PartnersService"]


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
