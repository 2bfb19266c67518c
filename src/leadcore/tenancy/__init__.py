"""Organisations isolated from each other, their users, roles, permissions and partners.

Pure records and rules; the services that store them live in
:mod:`leadcore.services.users` and :mod:`leadcore.services.partners`.

>>> from leadcore.tenancy import Role, Permission, RolePolicy
>>> Permission.MANAGE_WORKFLOW in RolePolicy().permissions_of(Role.ACCOUNT_MANAGER)
True
"""

from __future__ import annotations

from leadcore.tenancy._model import (
    Group,
    Organization,
    OrganizationKind,
    PartnerKind,
    Partnership,
    User,
    effective_permissions,
)
from leadcore.tenancy._permissions import (
    DEFAULT_ROLE_PERMISSIONS,
    Permission,
    Role,
    RolePolicy,
)

__all__ = [
    "DEFAULT_ROLE_PERMISSIONS",
    "Group",
    "Organization",
    "OrganizationKind",
    "PartnerKind",
    "Partnership",
    "Permission",
    "Role",
    "RolePolicy",
    "User",
    "effective_permissions",
]
