"""SQL repositories of organisations, users, groups, partnerships, role policies and workflows.

Each answers exactly like its twin in :mod:`leadcore.storage.memory`: the same
errors at the same calls, lists in the same order (sorted here, in Python, by
the very keys the memory adapter sorts by).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import func, select

from leadcore.errors import ConflictError, NotFound
from leadcore.storage.sql._tables import (
    DIRECTORY,
    GROUPS,
    ORGANIZATIONS,
    PARTNERSHIPS,
    ROLE_POLICIES,
    USERS,
    WORKFLOWS,
    bounded,
)
from leadcore.storage.sql._tx import Deleted, Key, Spec, SqlTransaction
from leadcore.tenancy import Group, Organization, Partnership, RolePolicy, User
from leadcore.workflow import Workflow

__all__ = [
    "SqlGroups",
    "SqlOrganizations",
    "SqlPartnerships",
    "SqlRolePolicies",
    "SqlUsers",
    "SqlWorkflows",
    "Table",
]

R = TypeVar("R")


class _Owned(Protocol):
    """A record keyed by its organisation and its id."""

    @property
    def organization_id(self) -> str: ...

    @property
    def id(self) -> str: ...


class Table(Generic[R]):
    """Records of one kind keyed by ``(organisation, id)``: the shared moves of a repository."""

    spec: Spec[R]

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def _key(self, *parts: str) -> Key:
        for name, part in zip(self.spec.key, parts, strict=False):
            bounded(part, f"{self.spec.kind}.{name}")
        return parts

    def _add(self, key: Key, record: R) -> None:
        if self._tx.get(self.spec, key) is not None:
            raise ConflictError(f"{self.spec.kind} {key[-1]!r} already exists")
        self._tx.put(self.spec, key, record)

    def _get(self, key: Key) -> R | None:
        return self._tx.get(self.spec, key)

    def _update(self, key: Key, record: R) -> None:
        if self._tx.get(self.spec, key) is None:
            raise NotFound(self.spec.kind, key[-1])
        self._tx.put(self.spec, key, record)

    def _add_record(self, record: R) -> None:
        """Store a new record under its organisation and id."""
        owned = cast(_Owned, record)
        self._add(self._key(owned.organization_id, owned.id), record)

    def _update_record(self, record: R) -> None:
        """Replace the record stored under its organisation and id."""
        owned = cast(_Owned, record)
        self._update((owned.organization_id, owned.id), record)

    def _list(self, organization_id: str, order: Callable[[R], Any]) -> list[R]:
        rows = self._tx.scan(self.spec, organization_id)
        rows.sort(key=order)
        return rows

    def _having(
        self, organization_id: str, name: str, value: str, order: Callable[[R], Any]
    ) -> list[R]:
        """The organisation's records whose column and attribute ``name`` is ``value``, sorted."""
        column = self.spec.table.c[name]
        rows = self._tx.scan(
            self.spec,
            organization_id,
            [column == value],
            lambda _, record: bool(getattr(record, name) == value),
        )
        rows.sort(key=order)
        return rows


class SqlOrganizations(Table[Organization]):
    """Organisations."""

    spec = ORGANIZATIONS

    def add(self, organization: Organization) -> None:
        """Store a new organisation."""
        self._add(self._key(organization.id), organization)

    def get(self, organization_id: str) -> Organization | None:
        """The organisation, or ``None``."""
        return self._get((organization_id,))

    def update(self, organization: Organization) -> None:
        """Replace an organisation."""
        self._update((organization.id,), organization)


class SqlUsers(Table[User]):
    """Users, with the directory of which organisation each user id is in."""

    spec = USERS

    def add(self, user: User) -> None:
        """Store a new user; its id is unique across organisations."""
        key = self._key(user.organization_id, user.id)
        if self._tx.get(DIRECTORY, (user.id,)) is not None:
            raise ConflictError(f"user {user.id!r} already exists")
        self._add(key, user)
        self._tx.put(DIRECTORY, (user.id,), user.organization_id)

    def get(self, organization_id: str, user_id: str) -> User | None:
        """The user, or ``None``."""
        return self._get((organization_id, user_id))

    def list(self, organization_id: str) -> list[User]:
        """Users by name, then id."""
        return self._list(organization_id, lambda u: (u.name, u.id))

    def update(self, user: User) -> None:
        """Replace a user of its organisation."""
        self._update((user.organization_id, user.id), user)

    def organization_of(self, user_id: str) -> str | None:
        """The organisation of a user id, or ``None``."""
        return self._tx.get(DIRECTORY, (user_id,))


class SqlGroups(Table[Group]):
    """Groups."""

    spec = GROUPS

    def add(self, group: Group) -> None:
        """Store a new group."""
        self._add(self._key(group.organization_id, group.id), group)

    def get(self, organization_id: str, group_id: str) -> Group | None:
        """The group, or ``None``."""
        return self._get((organization_id, group_id))

    def list(self, organization_id: str) -> list[Group]:
        """Groups by name, then id."""
        return self._list(organization_id, lambda g: (g.name, g.id))

    def update(self, group: Group) -> None:
        """Replace a group."""
        self._update((group.organization_id, group.id), group)

    def remove(self, organization_id: str, group_id: str) -> None:
        """Delete a group."""
        key = (organization_id, group_id)
        if self._get(key) is None:
            raise NotFound(self.spec.kind, group_id)
        self._tx.delete(self.spec, key)


class SqlPartnerships(Table[Partnership]):
    """Partnership records."""

    spec = PARTNERSHIPS

    def add(self, partnership: Partnership) -> None:
        """Store a new partnership record."""
        self._add(self._key(partnership.organization_id, partnership.id), partnership)

    def get(self, organization_id: str, partnership_id: str) -> Partnership | None:
        """The record, or ``None``."""
        return self._get((organization_id, partnership_id))

    def list(self, organization_id: str) -> list[Partnership]:
        """Records by partner name, then id."""
        return self._list(organization_id, lambda p: (p.partner_name, p.id))

    def update(self, partnership: Partnership) -> None:
        """Replace a record."""
        self._update((partnership.organization_id, partnership.id), partnership)


class SqlRolePolicies(Table[RolePolicy]):
    """Role policies, one per organisation."""

    spec = ROLE_POLICIES

    def get(self, organization_id: str) -> RolePolicy | None:
        """The policy, or ``None``."""
        return self._get((organization_id,))

    def put(self, organization_id: str, policy: RolePolicy) -> None:
        """Store the policy."""
        self._tx.put(self.spec, self._key(organization_id), policy)


class SqlWorkflows(Table[Workflow]):
    """Workflow versions, one slot per kind."""

    spec = WORKFLOWS

    def _latest(self, organization_id: str, kind: str) -> int:
        t = self.spec.table

        def committed() -> int:
            found = self._tx.rows(
                select(func.max(t.c.version)).where(
                    t.c.organization_id == organization_id, t.c.kind == kind
                ),
                organization_id,
            )
            return int(found[0][0] or 0)

        latest = self._tx.config_value(organization_id, ("latest workflow", kind), committed)
        for (org, k, version), value in self._tx.staged(self.spec).items():
            if org == organization_id and k == kind and not isinstance(value, Deleted):
                latest = max(latest, int(version))
        return latest

    def add(self, organization_id: str, kind: str, workflow: Workflow) -> None:
        """Store a new version (the latest + 1)."""
        latest = self._latest(organization_id, kind)
        if workflow.version != latest + 1:
            raise ConflictError(
                f"{kind} workflow version {workflow.version} cannot follow version {latest}"
            )
        key = (*self._key(organization_id, kind), workflow.version)
        self._tx.put(self.spec, key, workflow)

    def get(self, organization_id: str, kind: str, version: int | None = None) -> Workflow | None:
        """The version asked for (default: the latest), or ``None``."""
        if version is None:
            version = self._latest(organization_id, kind)
        return self._get((organization_id, kind, version))

    def versions(self, organization_id: str, kind: str) -> list[Workflow]:
        """Every version, oldest first."""
        t = self.spec.table
        found = self._tx.scan(
            self.spec, organization_id, [t.c.kind == kind], keep=lambda key, _: key[1] == kind
        )
        found.sort(key=lambda wf: wf.version)
        return found
