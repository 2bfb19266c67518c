"""What every service shares: the acting user, their permissions, one unit of work per call."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

import attrs

from leadcore.clock import Clock
from leadcore.errors import ConflictError, Forbidden, NotFound
from leadcore.events._model import Event
from leadcore.ids import IdFactory
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.tenancy import Permission, RolePolicy, User, effective_permissions

__all__ = ["Actor", "ServiceContext", "record_event", "retry_on_conflict"]

EV = TypeVar("EV", bound=Event)
R = TypeVar("R")


def retry_on_conflict(run: Callable[[], R], attempts: int) -> R:
    """Run a use case, again after a ``ConflictError`` (which wrote nothing), up to ``attempts``.

    For use cases whose conflicts are races worth retrying (two intakes of the
    same number, two agents shown the same lead), never for a caller's stale
    ``expected_version``.
    """
    for attempt in range(attempts):
        try:
            return run()
        except ConflictError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def record_event(
    uow: UnitOfWork,
    ids: IdFactory,
    cls: type[EV],
    *,
    organization_id: str,
    actor_id: str | None,
    now: datetime,
    **fields: Any,
) -> EV:
    """Build an event and record it in ``uow`` (it is committed with the change, or not at all)."""
    event = cls(
        event_id=ids.new("evt"),
        organization_id=organization_id,
        occurred_at=now,
        actor_id=actor_id,
        **fields,
    )
    uow.events.record(event)
    return event


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
    after_commit: Callable[[], object] | None = None
    """Called after every use case that ended without an error (event delivery)."""

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
        policy = uow.role_policies.get(self.organization_id) or RolePolicy.default()
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
        if self.after_commit is not None:
            self.after_commit()

    def record(
        self, uow: UnitOfWork, actor: Actor, now: datetime, cls: type[EV], **fields: Any
    ) -> EV:
        """Record an event of this organisation, caused by ``actor``, in ``uow``."""
        return record_event(
            uow,
            self.ids,
            cls,
            organization_id=self.organization_id,
            actor_id=actor.user.id,
            now=now,
            **fields,
        )
