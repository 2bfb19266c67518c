"""What every service shares: the acting user, their permissions, one unit of work per call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs

from leadcore.clock import Clock
from leadcore.errors import Forbidden, NotFound
from leadcore.ids import IdFactory
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.tenancy import Permission, RolePolicy, User, effective_permissions

__all__ = ["Actor", "ServiceContext"]


@attrs.frozen
class Actor:
    """The acting user as of this unit of work, with their effective permissions."""

    user: User
    permissions: frozenset[Permission]

    @property
    def organization_id(self) -> str:
        """The organisation the user acts in."""
        return self.user.organization_id

    @property
    def restricted(self) -> bool:
        """Whether the user may only move leads to next stages."""
        return Permission.RESTRICT_TO_NEXT_STAGES in self.permissions

    def has(self, permission: Permission) -> bool:
        """Whether the user holds ``permission``."""
        return permission in self.permissions

    def require(self, permission: Permission, action: str) -> None:
        """Raise :class:`~leadcore.errors.Forbidden` unless the user holds ``permission``."""
        if permission not in self.permissions:
            raise Forbidden(
                f"user {self.user.name!r} ({self.user.role}) may not {action}: "
                f"it needs the '{permission}' permission",
                permission=str(permission),
            )


@attrs.frozen
class ServiceContext:
    """Wiring shared by the services of one session."""

    storage: Storage
    clock: Clock
    ids: IdFactory
    user_id: str
    organization_id: str

    def now(self) -> datetime:
        """Read the clock (once per use case)."""
        return self.clock.now()

    def actor(self, uow: UnitOfWork) -> Actor:
        """Load the acting user inside ``uow``; ``Forbidden`` if they were deactivated."""
        user = uow.users.get(self.organization_id, self.user_id)
        if user is None:
            raise NotFound("user", self.user_id)
        if not user.active:
            raise Forbidden(f"user {user.name!r} is inactive")
        policy = uow.role_policies.get(self.organization_id) or RolePolicy()
        return Actor(user, effective_permissions(user, policy))

    @contextmanager
    def work(
        self, permission: Permission | None = None, action: str = ""
    ) -> Iterator[tuple[UnitOfWork, Actor]]:
        """Open a unit of work, load the actor and check ``permission``.

        The caller commits; anything not committed is rolled back.
        """
        with self.storage.unit_of_work() as uow:
            actor = self.actor(uow)
            if permission is not None:
                actor.require(permission, action)
            yield uow, actor
