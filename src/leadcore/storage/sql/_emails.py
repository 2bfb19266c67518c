"""The SQL repository of the e-mail log: a record table read newest first by ``sent_us``."""

from __future__ import annotations

from typing import Final

from leadcore.calendar._emails import Email
from leadcore.calendar._model import ClientRef
from leadcore.storage._email_ports import EmailRepository, email_order
from leadcore.storage.sql._codec import encode, micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._tables import record_reader
from leadcore.storage.sql._tenancy import Table
from leadcore.storage.sql._tx import Spec, SqlTransaction

__all__ = ["EMAILS", "SqlEmails", "repository"]

_TABLE: Final = metadata.tables["leadcore_emails"]
_read = record_reader(Email)

EMAILS: Final[Spec[Email]] = Spec(
    "e-mail",
    34,
    _TABLE,
    ("organization_id", "id"),
    lambda email: {"record": encode(email), "sent_us": micros(email.sent_at)},
    _read,
)


class SqlEmails(Table[Email]):
    """E-mail records."""

    spec = EMAILS

    def add(self, email: Email) -> None:
        """Store a new record."""
        self._add_record(email)

    def get(self, organization_id: str, email_id: str) -> Email | None:
        """The record, or ``None``."""
        return self._get(self._key(organization_id, email_id))

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


def repository(tx: SqlTransaction) -> EmailRepository:
    """The e-mail repository of a unit of work."""
    return SqlEmails(tx)
