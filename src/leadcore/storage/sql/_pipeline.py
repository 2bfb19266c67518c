"""SQL repositories of the sales pipeline: accounts, contacts, history, settings."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Collection
from typing import TypeVar

from sqlalchemy import select

from leadcore.leads._conversion import Account, Contact
from leadcore.leads._pipeline import PipelineEntry, PipelineSettings
from leadcore.storage.sql._keys import (
    ACCOUNT_KIND,
    CONTACT_KIND,
    account_keys,
    person_keys,
    value_keys,
)
from leadcore.storage.sql._tables import (
    ACCOUNTS,
    CONTACTS,
    PIPELINE_HISTORY,
    PIPELINE_KEYS,
    PIPELINE_SETTINGS,
)
from leadcore.storage.sql._tenancy import Table
from leadcore.storage.sql._tx import Deleted

__all__ = ["SqlAccounts", "SqlContacts", "SqlPipelineHistory", "SqlPipelineSettings"]

R = TypeVar("R", Account, Contact)


def _matching(
    repository: Table[R],
    kind: str,
    keys_of: Callable[[R], set[str]],
    organization_id: str,
    wanted: set[str],
) -> list[R]:
    """The records of ``kind`` with one of the contact keys ``wanted``, oldest first.

    Two statements per chunk of keys, each led by its key: the key rows give
    the ids, then the records are read by primary key. This unit of work's
    own writes replace what it read; every record returned has one of the
    keys (a record changed meanwhile by another commit is checked again).
    """
    if not wanted:
        return []
    tx, spec = repository._tx, repository.spec
    keys = sorted(wanted)
    k = PIPELINE_KEYS.c
    size, one_of = tx.backend.key_chunk, tx.backend.one_of
    ids: set[str] = set()
    for start in range(0, len(keys), size):
        statement = select(k.record_id).where(
            k.organization_id == organization_id,
            k.kind == kind,
            one_of(k.contact_key, keys[start : start + size]),
        )
        ids.update(row.record_id for row in tx.rows(statement, organization_id, by_keys=True))
    staged = tx.staged(spec)
    committed = sorted(i for i in ids if (organization_id, i) not in staged)
    t = spec.table
    found: dict[str, R] = {}
    for start in range(0, len(committed), size):
        statement = select(t).where(
            t.c.organization_id == organization_id,
            one_of(t.c.id, committed[start : start + size]),
        )
        for row in tx.rows(statement, organization_id, by_keys=True):
            record = spec.decode(row)
            if keys_of(record) & wanted:
                found[record.id] = record
    for key, value in staged.items():
        if key[0] == organization_id and not isinstance(value, Deleted) and keys_of(value) & wanted:
            found[value.id] = value
    return sorted(found.values(), key=lambda r: (r.created_at, r.id))


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

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
        name_keys: Collection[str] = (),
    ) -> builtins.list[Account]:
        """Accounts sharing a phone, an e-mail or a name key, oldest first (by key rows)."""
        wanted = value_keys(phones, emails, name_keys)
        return _matching(self, ACCOUNT_KIND, account_keys, organization_id, wanted)


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

    def matching(
        self,
        organization_id: str,
        *,
        phones: Collection[str] = (),
        emails: Collection[str] = (),
    ) -> builtins.list[Contact]:
        """Contacts sharing a phone or an e-mail, oldest first (by key rows)."""
        wanted = value_keys(phones, emails)
        return _matching(self, CONTACT_KIND, person_keys, organization_id, wanted)


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
