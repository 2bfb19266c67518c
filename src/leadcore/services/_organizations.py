"""Organisations: a new one with its first user and lead workflow; a basic one made full.

Used by :meth:`Leadcore.create_organization <leadcore.Leadcore.create_organization>`,
:meth:`Leadcore.upgrade_organization <leadcore.Leadcore.upgrade_organization>`
and by ``s.partners`` when it creates a supplier or an advertiser.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from leadcore._checks import bad_region, bad_timezone, blank
from leadcore.errors import NotFound, ValidationError
from leadcore.events import (
    OrganizationCreated,
    OrganizationUpgraded,
    UserAdded,
    WorkflowPublished,
)
from leadcore.ids import IdFactory
from leadcore.services._shared import LEADS, record_event
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy._model import Organization, OrganizationKind, User
from leadcore.tenancy._permissions import Role
from leadcore.workflow import Workflow, sample_workflow

__all__ = ["new_organization", "upgrade_organization"]


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


def upgrade_organization(
    uow: UnitOfWork, ids: IdFactory, now: datetime, organization_id: str
) -> Organization:
    """Make a basic organisation full, in ``uow``; its users, data and partnerships stay.

    Its creator keeps the partnership but loses every say over the account.
    Raises :class:`~leadcore.errors.NotFound` for an unknown organisation and
    :class:`~leadcore.errors.ValidationError` for one that is already full.
    """
    org = uow.organizations.get(organization_id)
    if org is None:
        raise NotFound("organization", organization_id)
    if org.kind is OrganizationKind.FULL:
        raise ValidationError(
            "cannot upgrade the organisation",
            [f"organization_id: {org.name!r} ({org.id}) is already a full account"],
        )
    full = attrs.evolve(org, kind=OrganizationKind.FULL)
    uow.organizations.update(full)
    owners = [full.id] + ([org.created_by] if org.created_by is not None else [])
    for owner in owners:
        record_event(
            uow,
            ids,
            OrganizationUpgraded,
            organization_id=owner,
            actor_id=None,
            now=now,
            upgraded_id=full.id,
            created_by=org.created_by,
        )
    return full
