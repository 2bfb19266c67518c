"""Repository port of the e-mail log (re-exported by :mod:`leadcore.storage.protocols`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leadcore.calendar._emails import Email
from leadcore.calendar._model import ClientRef

__all__ = ["EmailRepository", "email_order"]


def email_order(email: Email) -> tuple[float, str]:
    """The order of the log: newest ``sent_at`` first, then by id."""
    return -email.sent_at.timestamp(), email.id


class EmailRepository(Protocol):
    """E-mail records of an organisation."""

    def add(self, email: Email) -> None:
        """Store a new e-mail record; ``ConflictError`` if its id is taken."""
        ...

    def get(self, organization_id: str, email_id: str) -> Email | None:
        """The record, or ``None`` (also for another organisation's)."""
        ...

    def list(
        self,
        organization_id: str,
        *,
        client: ClientRef | None = None,
        activity_id: str | None = None,
    ) -> Sequence[Email]:
        """The organisation's records, newest first (:func:`email_order`).

        ``client`` keeps those linked to that client, ``activity_id`` those
        linked to that activity.
        """
        ...
