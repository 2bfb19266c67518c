"""SQL repositories of the sales pipeline: accounts, contacts, history, settings."""

from __future__ import annotations

import builtins

from leadcore.leads._conversion import Account, Contact
from leadcore.leads._pipeline import PipelineEntry, PipelineSettings
from leadcore.storage.sql._tables import ACCOUNTS, CONTACTS, PIPELINE_HISTORY, PIPELINE_SETTINGS
from leadcore.storage.sql._tenancy import Table

__all__ = ["SqlAccounts", "SqlContacts", "SqlPipelineHistory", "SqlPipelineSettings"]


class SqlAccounts(Table[Account]):
    """Accounts."""

    spec = ACCOUNTS

    def add(self, account: Account) -> None:
        """Store an account."""
        self._add_record(account)

    def get(self, organization_id: str, account_id: str) -> Account | None:
        """The account, or ``None``."""
        return self._get((organization_id, account_id))

    def list(self, organization_id: str) -> builtins.list[Account]:
        """Accounts by name."""
        return self._list(organization_id, lambda a: (a.name, a.id))

    def update(self, account: Account) -> None:
        """Replace an account."""
        self._update_record(account)


class SqlContacts(Table[Contact]):
    """Contacts."""

    spec = CONTACTS

    def add(self, contact: Contact) -> None:
        """Store a contact."""
        self._add_record(contact)

    def get(self, organization_id: str, contact_id: str) -> Contact | None:
        """The contact, or ``None``."""
        return self._get((organization_id, contact_id))

    def for_account(self, organization_id: str, account_id: str) -> list[Contact]:
        """An account's contacts by name."""
        return self._having(organization_id, "account_id", account_id, lambda c: (c.name, c.id))

    def update(self, contact: Contact) -> None:
        """Replace a contact."""
        self._update_record(contact)

    def list(self, organization_id: str) -> builtins.list[Contact]:
        """Contacts by name."""
        return self._list(organization_id, lambda c: (c.name, c.id))


class SqlPipelineHistory(Table[PipelineEntry]):
    """History entries of accounts and opportunities."""

    spec = PIPELINE_HISTORY

    def add(self, entry: PipelineEntry) -> None:
        """Store an entry; ``ConflictError`` if its id is taken."""
        self._add_record(entry)

    def for_subject(self, organization_id: str, subject_id: str) -> list[PipelineEntry]:
        """One subject's entries, oldest first, then by id."""
        return self._having(organization_id, "subject_id", subject_id, lambda e: (e.at, e.id))


class SqlPipelineSettings(Table[PipelineSettings]):
    """Pipeline settings."""

    spec = PIPELINE_SETTINGS

    def get(self, organization_id: str) -> PipelineSettings | None:
        """The settings, or ``None``."""
        return self._get((organization_id,))

    def put(self, organization_id: str, settings: PipelineSettings) -> None:
        """Store the settings."""
        self._tx.put(self.spec, self._key(organization_id), settings)
