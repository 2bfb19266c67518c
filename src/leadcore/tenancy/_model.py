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
    """The organisation's id."""
    name: str
    """Its name."""
    created_at: datetime
    """When it was created."""
    kind: OrganizationKind = OrganizationKind.FULL
    """``full``, or ``basic`` for a partner account another organisation created."""
    default_region: str | None = None
    """How phone numbers without a country code are read."""
    timezone: str = "UTC"
    """The organisation's IANA time zone."""
    created_by: str | None = None
    """The organisation that created this basic account, if any."""


@attrs.frozen
class User:
    """A person who works in exactly one organisation.

    ``grants`` and ``revokes`` adjust the role's permissions for this user
    alone (a revoke wins over the role and over a grant).
    """

    id: str
    """The user's id, unique across organisations."""
    organization_id: str
    """The one organisation the user works in."""
    name: str
    """The user's name."""
    role: Role = attrs.field(converter=Role)
    """One of the six internal roles; it brings the role's permissions."""
    active: bool = True
    """An inactive user can open no session and do nothing."""
    email: str | None = None
    """Used as the user's address in iCalendar exports."""
    grants: frozenset[Permission] = attrs.field(factory=frozenset, converter=_permissions)
    """Permissions this user has beyond the role's."""
    revokes: frozenset[Permission] = attrs.field(factory=frozenset, converter=_permissions)
    """Permissions this user lacks despite the role (a revoke wins)."""
    timezone: str | None = None
    """The user's IANA time zone, if it differs from the organisation's."""


def effective_permissions(user: User, policy: RolePolicy) -> frozenset[Permission]:
    """What ``user`` may do under ``policy``: role permissions, plus grants, minus revokes.

    An inactive user may do nothing.
    """
    if not user.active:
        return frozenset()
    return (policy.permissions_of(user.role) | user.grants) - user.revokes


@attrs.frozen
class Group:
    """A set of users of one organisation (for shared reminders and team calendars)."""

    id: str
    """The group's id."""
    organization_id: str
    """The organisation it belongs to."""
    name: str
    """Its name."""
    member_ids: frozenset[str] = attrs.field(factory=frozenset, converter=_ids)
    """The users in the group."""


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
    """The id of this side's record."""
    organization_id: str
    """The organisation whose record this is."""
    partner_id: str
    """The partner organisation."""
    partner_name: str
    """The partner's name."""
    kind: PartnerKind = attrs.field(converter=PartnerKind)
    """What the partner is to this organisation: a supplier or an advertiser."""
    link_id: str
    """Shared by the two sides' records of the same partnership."""
    created_at: datetime
    """When the partnership was made."""
    active: bool = True
    """Whether leads may flow; deactivating ends it on both sides."""
