"""What every part of :class:`~leadcore.services.leads.LeadsService` shares: the wiring."""

from __future__ import annotations

from leadcore.services._shared import ServiceContext, Work
from leadcore.tenancy import Permission

__all__ = ["LeadsPart"]


class LeadsPart:
    """The session's wiring, and one unit of work per use case."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def _writer(self, permission: Permission | None, action: str) -> Work:
        return Work(self._ctx, permission, action)
