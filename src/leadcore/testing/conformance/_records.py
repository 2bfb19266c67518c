"""Sample records for the conformance suite: look-alike data in several organisations."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from leadcore.tenancy import (
    Group,
    Organization,
    OrganizationKind,
    PartnerKind,
    Partnership,
    Permission,
    Role,
    User,
)
from leadcore.workflow import Workflow

__all__ = ["T0", "Records"]

#: The instant every sample record was created at (aware, UTC).
T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class Records:
    """Builds sample records whose ids are unique to one test.

    Every id carries a random tag, so the suite also runs against a backend
    that is not emptied between tests; names, on the other hand, repeat
    across organisations on purpose (two agencies both have a "Dana"), so
    that a record returned in the wrong organisation cannot pass for the
    right one by its name.
    """

    def __init__(self, tag: str | None = None) -> None:
        self.tag = tag if tag is not None else uuid.uuid4().hex[:10]

    def id(self, kind: str, n: int | str) -> str:
        """The id ``kind-<tag>-n``."""
        return f"{kind}-{self.tag}-{n}"

    def organization(self, n: int | str, name: str = "Agency") -> Organization:
        """A full organisation ``org-<tag>-n``."""
        return Organization(
            id=self.id("org", n),
            name=name,
            created_at=T0,
            kind=OrganizationKind.FULL,
            default_region="IL",
            timezone="Asia/Jerusalem",
        )

    def user(
        self,
        organization: Organization | str,
        n: int | str,
        name: str = "Dana",
        role: Role = Role.QUALIFIER,
        *,
        active: bool = True,
        grants: Iterable[Permission] = (),
        revokes: Iterable[Permission] = (),
    ) -> User:
        """A user ``user-<tag>-n`` of ``organization``."""
        return User(
            id=self.id("user", n),
            organization_id=_org_id(organization),
            name=name,
            role=role,
            active=active,
            email=f"{n}@example.org",
            grants=frozenset(grants),
            revokes=frozenset(revokes),
            timezone="Europe/Bucharest",
        )

    def group(
        self,
        organization: Organization | str,
        n: int | str,
        name: str = "Night shift",
        members: Iterable[User] = (),
    ) -> Group:
        """A group ``group-<tag>-n`` of ``organization``."""
        return Group(
            id=self.id("group", n),
            organization_id=_org_id(organization),
            name=name,
            member_ids=frozenset(u.id for u in members),
        )

    def partnership(
        self,
        organization: Organization | str,
        partner: Organization | str,
        n: int | str,
        partner_name: str = "Leads Ltd",
        kind: PartnerKind = PartnerKind.SUPPLIER,
        *,
        link: int | str = 1,
        active: bool = True,
    ) -> Partnership:
        """A partnership record ``partnership-<tag>-n`` kept by ``organization``."""
        return Partnership(
            id=self.id("partnership", n),
            organization_id=_org_id(organization),
            partner_id=_org_id(partner),
            partner_name=partner_name,
            kind=kind,
            link_id=self.id("link", link),
            created_at=T0,
            active=active,
        )

    @staticmethod
    def workflow(version: int = 1, first_name: str = "New", workflow_id: str = "leads") -> Workflow:
        """A small workflow; organisations share its status ids, names may differ."""
        return Workflow.from_dict(
            {
                "id": workflow_id,
                "name": f"{first_name} first",
                "version": version,
                "status": [
                    {
                        "id": "new",
                        "name": first_name,
                        "color": "#1E88E5",
                        "category": "todo",
                        "next": ["won", "lost"],
                    },
                    {"id": "won", "name": "Won", "color": "#43A047", "category": "done"},
                    {"id": "lost", "name": "Lost", "color": "#E53935", "category": "done"},
                ],
            }
        )


def _org_id(organization: Organization | str) -> str:
    return organization if isinstance(organization, str) else organization.id
