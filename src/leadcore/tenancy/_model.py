"""Organisations, users, groups and partnerships: pure records."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from leadcore.tenancy._permissions import Permission, Role, RolePolicy

__all__ = [
    "Group",
    "Organization",
    "OrganizationKind",
    "PartnerKind",
    "Partnership",
    "User",
    "effective_permissions",
]


def _permissions(value: Iterable[Permission | str]) -> frozenset[Permission]:
    return frozenset(Permission(v) for v in value)


def _ids(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


class OrganizationKind(enum.StrEnum):
    """A full account, or a basic one created for a supplier or advertiser by a partner."""

    FULL = "full"
    BASIC = "basic"


@attrs.frozen
class Organization:
    """An account: its own statuses, users and data, isolated from every other.

    ``default_region`` (ISO 3166 alpha-2, e.g. ``"IL"``) is used to read phone
    numbers written without a country code; ``timezone`` is an IANA name.
    """

    id: str
    name: str
    created_at: datetime
    kind: OrganizationKind = OrganizationKind.FULL
    default_region: str | None = None
    timezone: str = "UTC"
    created_by: str | None = None
    """The organisation that created this basic account, if any."""


@attrs.frozen
class User:
    """A person who works in exactly one organisation.

    ``grants`` and ``revokes`` adjust the role's permissions for this user
    alone (a revoke wins over the role and over a grant).
    """

    id: str
    organization_id: str
    name: str
    role: Role = attrs.field(converter=Role)
    active: bool = True
    email: str | None = None
    grants: frozenset[Permission] = attrs.field(factory=frozenset, converter=_permissions)
    revokes: frozenset[Permission] = attrs.field(factory=frozenset, converter=_permissions)
    timezone: str | None = None


def effective_permissions(user: User, policy: RolePolicy) -> frozenset[Permission]:
    """What ``user`` may do under ``policy``: role permissions, plus grants, minus revokes.

    An inactive user may do nothing.
    """
    if not user.active:
        return frozenset()
    return (policy.permissions_of(user.role) | user.grants) - user.revokes


@attrs.frozen
class Group:
    """A set of users of one organisation (for shared reminders and team history)."""

    id: str
    organization_id: str
    name: str
    member_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_ids)


class PartnerKind(enum.StrEnum):
    """What the partner organisation is *to this organisation*."""

    SUPPLIER = "supplier"
    """Sends leads to this organisation."""
    ADVERTISER = "advertiser"
    """Receives leads from this organisation."""

    @property
    def reverse(self) -> PartnerKind:
        """What this organisation is to the partner."""
        return PartnerKind.ADVERTISER if self is PartnerKind.SUPPLIER else PartnerKind.SUPPLIER


@attrs.frozen
class Partnership:
    """One organisation's view of a partner: each side keeps its own record.

    The agency's record says the supplier is a ``supplier``; the supplier's
    record of the same relation says the agency is an ``advertiser``. Both
    share ``link_id``.
    """

    id: str
    organization_id: str
    partner_id: str
    partner_name: str
    kind: PartnerKind = attrs.field(converter=PartnerKind)
    link_id: str
    created_at: datetime
    active: bool = True
