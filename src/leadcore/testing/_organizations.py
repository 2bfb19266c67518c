"""Organisations for tests: one user in every role, and plans of facade calls that build many."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

import attrs

from leadcore.errors import NotFound, ValidationError
from leadcore.tenancy import Organization, PartnerKind, Role, User

if TYPE_CHECKING:
    from leadcore.core import Leadcore, Session

__all__ = [
    "AddPartner",
    "AddUser",
    "CreateOrganization",
    "OrganizationPlan",
    "PlanStep",
    "StaffedOrganization",
    "staff_organization",
]

_STAFF = {
    Role.CAMPAIGN_MANAGER: "Maya",
    Role.QUALIFIER_MANAGER: "Quentin",
    Role.QUALIFIER: "Quinn",
    Role.SALES_MANAGER: "Sam",
    Role.SALESPERSON: "Sasha",
}

_ROLE_NAMES = frozenset(r.value for r in Role)


def _users(value: Sequence[User]) -> tuple[User, ...]:
    return tuple(value)


@attrs.frozen
class StaffedOrganization:
    """An organisation built for a test, with its users and a way to act as each.

    ``admin`` is its first user (an account manager); ``users`` lists every
    user, the admin first.
    """

    core: Leadcore = attrs.field(repr=False)
    organization: Organization
    admin: User
    users: tuple[User, ...] = attrs.field(converter=_users)

    @property
    def id(self) -> str:
        """The organisation id."""
        return self.organization.id

    def user(self, role: Role | str) -> User:
        """The first user of ``role``; :class:`~leadcore.errors.NotFound` when there is none."""
        wanted = Role(role)
        for user in self.users:
            if user.role is wanted:
                return user
        raise NotFound(f"user with role {wanted} in organisation", self.organization.name)

    def session(self, who: User | Role | str | None = None) -> Session:
        """A session acting as ``who``: a user, the first user of a role, or the admin (``None``).

        A string is read as a role when it names one, else as a user id.
        """
        if who is None:
            return self.core.session(self.admin.id)
        if isinstance(who, User):
            return self.core.session(who.id)
        if isinstance(who, Role) or who in _ROLE_NAMES:
            return self.core.session(self.user(who).id)
        return self.core.session(who)


def staff_organization(
    core: Leadcore,
    name: str = "Agency",
    *,
    admin_name: str = "Dana",
    default_region: str | None = "IL",
    timezone: str = "Asia/Jerusalem",
    names: Mapping[Role, str] | None = None,
) -> StaffedOrganization:
    """Create an organisation with one user in every role: the admin, then one per other role.

    ``names`` overrides the default user name of a role.

    >>> from leadcore import Leadcore
    >>> org = staff_organization(Leadcore.open())
    >>> [str(u.role) for u in org.users]  # doctest: +NORMALIZE_WHITESPACE
    ['account_manager', 'campaign_manager', 'qualifier_manager', 'qualifier',
     'sales_manager', 'salesperson']
    >>> org.session("qualifier").users.me().name
    'Quinn'
    """
    chosen = {**_STAFF, **(names or {})}
    organization, admin = core.create_organization(
        name, admin_name=admin_name, default_region=default_region, timezone=timezone
    )
    s = core.session(admin.id)
    users = [admin]
    users.extend(s.users.create(chosen[role], role) for role in Role if role in _STAFF)
    return StaffedOrganization(core, organization, admin, users)


# -- plans --------------------------------------------------------------------------------


@attrs.frozen
class CreateOrganization:
    """``core.create_organization(name, admin_name=..., default_region=..., timezone=...)``."""

    name: str
    admin_name: str
    default_region: str | None = None
    timezone: str = "UTC"

    def __str__(self) -> str:
        where = ", ".join(x for x in (self.default_region, self.timezone) if x)
        return f"create organisation {self.name!r} with admin {self.admin_name!r} ({where})"


@attrs.frozen
class AddUser:
    """``s.users.create(name, role)`` by the admin of organisation number ``organization``."""

    organization: int
    name: str
    role: Role

    def __str__(self) -> str:
        return f"organisation {self.organization} adds {self.role} {self.name!r}"


@attrs.frozen
class AddPartner:
    """``s.partners.add_supplier`` / ``add_advertiser`` by the admin of ``organization``.

    The partner is a new organisation; it takes the next number.
    """

    organization: int
    kind: PartnerKind
    name: str
    admin_name: str

    def __str__(self) -> str:
        return (
            f"organisation {self.organization} adds {self.kind} {self.name!r} "
            f"with admin {self.admin_name!r}"
        )


#: One facade call of a plan.
PlanStep: TypeAlias = CreateOrganization | AddUser | AddPartner


def _steps(value: Sequence[PlanStep]) -> tuple[PlanStep, ...]:
    return tuple(value)


@attrs.frozen
class OrganizationPlan:
    """Facade calls that build organisations, their users and partnerships, in order.

    Organisations are numbered from 0 in the order they are created
    (:class:`CreateOrganization` and :class:`AddPartner` each create one);
    the other steps refer to them by number. ``str(plan)`` lists the calls.

    >>> from leadcore import Leadcore
    >>> plan = OrganizationPlan([
    ...     CreateOrganization("Agency", "Dana", "IL", "Asia/Jerusalem"),
    ...     AddPartner(0, PartnerKind.SUPPLIER, "Leads Ltd", "Avi"),
    ...     AddUser(1, "Noa", Role.QUALIFIER),
    ... ])
    >>> agency, supplier = plan.apply(Leadcore.open())
    >>> [p.kind.value for p in agency.session().partners.list()]
    ['supplier']
    >>> [u.name for u in supplier.users]
    ['Avi', 'Noa']
    """

    steps: tuple[PlanStep, ...] = attrs.field(converter=_steps)

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        count = 0
        for i, step in enumerate(self.steps):
            if isinstance(step, AddUser | AddPartner) and not 0 <= step.organization < count:
                problems.append(
                    f"steps[{i}].organization: {step.organization} is not one of the "
                    f"{count} organisations created before it"
                )
            if isinstance(step, CreateOrganization | AddPartner):
                count += 1
        if problems:
            raise ValidationError("the organisation plan is invalid", problems)

    def apply(self, core: Leadcore) -> tuple[StaffedOrganization, ...]:
        """Make the calls on ``core``; return every organisation created, in order."""
        built: list[tuple[Organization, User, list[User]]] = []
        for step in self.steps:
            if isinstance(step, CreateOrganization):
                org, admin = core.create_organization(
                    step.name,
                    admin_name=step.admin_name,
                    default_region=step.default_region,
                    timezone=step.timezone,
                )
                built.append((org, admin, [admin]))
                continue
            _, admin, users = built[step.organization]
            s = core.session(admin.id)
            if isinstance(step, AddUser):
                users.append(s.users.create(step.name, step.role))
            else:
                add = (
                    s.partners.add_supplier
                    if step.kind is PartnerKind.SUPPLIER
                    else s.partners.add_advertiser
                )
                org, partner_admin = add(step.name, admin_name=step.admin_name)
                built.append((org, partner_admin, [partner_admin]))
        return tuple(StaffedOrganization(core, org, admin, users) for org, admin, users in built)

    def __str__(self) -> str:
        return "\n".join(f"{i}. {step}" for i, step in enumerate(self.steps, start=1))
