"""The memory repository of the e-mail log (wired into :class:`MemoryUnitOfWork`)."""

from __future__ import annotations

from leadcore.calendar._emails import Email
from leadcore.calendar._model import ClientRef
from leadcore.storage._email_ports import email_order
from leadcore.storage._memory_tx import Repo

__all__ = ["MemoryEmails"]


class MemoryEmails(Repo[Email]):
    """E-mail records, one row each."""

    table, kind = "emails", "e-mail"

    def add(self, email: Email) -> None:
        """Store a new record."""
        self._add(email.organization_id, email.id, email)

    def get(self, organization_id: str, email_id: str) -> Email | None:
        """The record, or ``None``."""
        return self._get(organization_id, email_id)

    def list(
        self,
        organization_id: str,
        *,
        client: ClientRef | None = None,
        activity_id: str | None = None,
    ) -> list[Email]:
        """Records newest first, optionally of one client or one activity."""
        return [
            e
            for e in self._list(organization_id, email_order)
            if (client is None or client in e.clients)
            and (activity_id is None or activity_id in e.activity_ids)
        ]
