"""Roles and permissions: what each internal role may do by default, and how to change it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

__all__ = ["DEFAULT_ROLE_PERMISSIONS", "Permission", "Role", "RolePolicy"]


class Role(enum.StrEnum):
    """The internal roles of an organisation (as in the Leadim help centre)."""

    ACCOUNT_MANAGER = "account_manager"
    CAMPAIGN_MANAGER = "campaign_manager"
    QUALIFIER_MANAGER = "qualifier_manager"
    QUALIFIER = "qualifier"
    SALES_MANAGER = "sales_manager"
    SALESPERSON = "salesperson"


class Permission(enum.StrEnum):
    """Everything a user may be allowed (or, for the restriction, required) to do."""

    MANAGE_WORKFLOW = "manage_workflow"
    """Publish new versions of the organisation's workflows."""
    MANAGE_USERS = "manage_users"
    """Add, change and deactivate users and groups; change role permissions."""
    MANAGE_PARTNERS = "manage_partners"
    """Add suppliers and advertisers; manage partnerships."""
    SEE_ALL_LEADS = "see_all_leads"
    """See every lead of the organisation."""
    SEE_CAMPAIGN_LEADS = "see_campaign_leads"
    """See the leads of the campaigns (projects) the user is a member of."""
    SEE_ROUTED_LEADS = "see_routed_leads"
    """See only the leads routed (assigned) to the user."""
    CREATE_LEADS = "create_leads"
    """Create and import leads."""
    EDIT_LEADS = "edit_leads"
    """Change lead details, add notes and tasks."""
    ASSIGN_LEADS = "assign_leads"
    """Assign and route leads to users."""
    CHANGE_STATUS = "change_status"
    """Move leads between statuses."""
    RESTRICT_TO_NEXT_STAGES = "restrict_to_next_stages"
    """A restriction: the user may only move leads to next stages of their status."""
    CONVERT = "convert"
    """Convert leads to contacts, accounts and opportunities."""
    UNCONVERT = "unconvert"
    """Undo a conversion (audited)."""
    FORWARD_LEADS = "forward_leads"
    """Forward leads to partner organisations and give feedback on received ones."""
    MANAGE_DISPATCH = "manage_dispatch"
    """Manage projects, pools, project rules and agents' dispatch filters."""
    SET_OWN_DISPATCH_FILTERS = "set_own_dispatch_filters"
    """Set one's own dispatch filters (where the project allows it)."""
    DISPATCH = "dispatch"
    """Take leads from dispatch ("next lead")."""
    SEE_TEAM_HISTORY = "see_team_history"
    """See history entries made by others even where a project shows only own history."""
    SEE_OTHERS_CALENDARS = "see_others_calendars"
    """See the details of other users' activities."""
    MANAGE_CALENDAR = "manage_calendar"
    """Manage activity types, statuses and calendar settings."""
    SEE_REPORTS = "see_reports"
    """See reports: funnel, time in status, supplier reports."""


_ALL = frozenset(Permission) - {Permission.RESTRICT_TO_NEXT_STAGES}
_LEAD_WORK = frozenset({Permission.CREATE_LEADS, Permission.EDIT_LEADS, Permission.CHANGE_STATUS})

#: The permissions each role has unless the organisation changes them.
DEFAULT_ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = {
    Role.ACCOUNT_MANAGER: _ALL,
    Role.CAMPAIGN_MANAGER: _LEAD_WORK
    | {
        Permission.SEE_ALL_LEADS,
        Permission.ASSIGN_LEADS,
        Permission.FORWARD_LEADS,
        Permission.MANAGE_DISPATCH,
        Permission.MANAGE_PARTNERS,
        Permission.SEE_TEAM_HISTORY,
        Permission.SEE_OTHERS_CALENDARS,
        Permission.SEE_REPORTS,
        Permission.DISPATCH,
    },
    Role.QUALIFIER_MANAGER: _LEAD_WORK
    | {
        Permission.SEE_CAMPAIGN_LEADS,
        Permission.ASSIGN_LEADS,
        Permission.FORWARD_LEADS,
        Permission.MANAGE_DISPATCH,
        Permission.SEE_TEAM_HISTORY,
        Permission.SEE_OTHERS_CALENDARS,
        Permission.SEE_REPORTS,
        Permission.DISPATCH,
    },
    Role.QUALIFIER: _LEAD_WORK
    | {
        Permission.SEE_CAMPAIGN_LEADS,
        Permission.RESTRICT_TO_NEXT_STAGES,
        Permission.DISPATCH,
    },
    Role.SALES_MANAGER: _LEAD_WORK
    | {
        Permission.SEE_ALL_LEADS,
        Permission.ASSIGN_LEADS,
        Permission.CONVERT,
        Permission.UNCONVERT,
        Permission.SEE_TEAM_HISTORY,
        Permission.SEE_OTHERS_CALENDARS,
        Permission.MANAGE_CALENDAR,
        Permission.SEE_REPORTS,
        Permission.DISPATCH,
    },
    Role.SALESPERSON: _LEAD_WORK
    | {
        Permission.SEE_ROUTED_LEADS,
        Permission.CONVERT,
        Permission.RESTRICT_TO_NEXT_STAGES,
        Permission.DISPATCH,
    },
}


def _permission_set(value: Iterable[Permission | str]) -> frozenset[Permission]:
    return frozenset(Permission(v) for v in value)


def _role_map(
    value: Mapping[Role, Iterable[Permission]] | Mapping[str, Iterable[str]],
) -> Mapping[Role, frozenset[Permission]]:
    # Read-only: stores keep and hand out policies without copying them.
    return MappingProxyType({Role(k): _permission_set(v) for k, v in value.items()})


@attrs.frozen
class RolePolicy:
    """The permissions of each role in one organisation.

    Starts from :data:`DEFAULT_ROLE_PERMISSIONS`; an organisation changes a
    role with :meth:`with_role`.

    >>> policy = RolePolicy().with_role("qualifier", {"change_status", "dispatch"})
    >>> Permission.RESTRICT_TO_NEXT_STAGES in policy.permissions_of(Role.QUALIFIER)
    False
    """

    roles: Mapping[Role, frozenset[Permission]] = attrs.field(
        factory=lambda: dict(DEFAULT_ROLE_PERMISSIONS), converter=_role_map
    )
    """Each role with the permissions it has in this organisation."""

    def permissions_of(self, role: Role) -> frozenset[Permission]:
        """The permissions of ``role`` (the default set if the policy does not name it)."""
        found = self.roles.get(role)
        return DEFAULT_ROLE_PERMISSIONS[role] if found is None else found

    def with_role(self, role: Role | str, permissions: Iterable[Permission | str]) -> RolePolicy:
        """Return a policy in which ``role`` has exactly ``permissions``."""
        roles = dict(self.roles)
        roles[Role(role)] = _permission_set(permissions)
        return RolePolicy(roles)

    @staticmethod
    def default() -> RolePolicy:
        """The policy of an organisation that changed no role: :data:`DEFAULT_ROLE_PERMISSIONS`.

        One shared instance (policies are immutable), so that the use cases of an
        organisation without a policy of its own do not build one each.

        >>> RolePolicy.default() == RolePolicy()
        True
        """
        return _DEFAULT_POLICY


_DEFAULT_POLICY: Final = RolePolicy()
