"""Schema version 8: contact keys of accounts and contacts.

One table, ``leadcore_pipeline_keys``: a row per ``(organization_id, kind,
contact_key, record_id)``, ``kind`` being ``"account"`` or ``"contact"`` and
``contact_key`` the hash of a phone, an e-mail or (for an account) a name key,
as leads have in ``leadcore_lead_contacts``. The duplicate check of a new
account or contact looks its keys up there instead of reading every account
or contact of the organisation.

The step creates the table and fills it from the accounts and contacts
already stored, one organisation at a time (on PostgreSQL each in its own
``leadcore.organization_id`` setting, so the rows are found under Row-Level
Security too). Run again (a MariaDB step that failed half-way), it writes the
rows of each organisation afresh.

This module is version 8 as released: a later change is a new step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from sqlalchemy import Column, Connection, MetaData, String, Table, delete, select, text, union

from leadcore.leads._conversion import Account, Contact
from leadcore.storage.sql._bulk import insert_many
from leadcore.storage.sql._codec import decode
from leadcore.storage.sql._keys import ACCOUNT_KIND, CONTACT_KIND, account_keys, person_keys
from leadcore.storage.sql._schema import _id, _org, _table

__all__ = ["PIPELINE_KEYS_TABLE", "define_v8", "upgrade_v8"]

PIPELINE_KEYS_TABLE: Final = "leadcore_pipeline_keys"
_DIRECTORY: Final = "leadcore_user_directory"
_ORGANIZATIONS: Final = "leadcore_organizations"


def _account_keys(record: str) -> set[str]:
    return account_keys(decode(record, Account))


def _person_keys(record: str) -> set[str]:
    return person_keys(decode(record, Contact))


#: The tables filled from, the ``kind`` of their rows, and the keys of a stored record.
_SOURCES: Final[tuple[tuple[str, str, Callable[[str], set[str]]], ...]] = (
    ("leadcore_accounts", ACCOUNT_KIND, _account_keys),
    ("leadcore_contacts", CONTACT_KIND, _person_keys),
)
#: Records read per statement while filling the table.
_PAGE: Final = 1000


def define_v8(metadata: MetaData) -> None:
    """Add the key table of version 8 to ``metadata``."""
    _table(
        metadata,
        PIPELINE_KEYS_TABLE,
        _org(primary_key=True),
        _id("kind", primary_key=True),
        Column("contact_key", String(64), primary_key=True),
        _id("record_id", primary_key=True),
    )


def upgrade_v8(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Create the table (unless a host's own migrations made it) and fill it."""
    keys = after.tables[PIPELINE_KEYS_TABLE]
    keys.create(connection, checkfirst=True)
    postgres = connection.dialect.name == "postgresql"
    for org in _organizations(connection, after):
        if postgres:
            connection.execute(
                text("SELECT set_config('leadcore.organization_id', :org, true)"), {"org": org}
            )
        connection.execute(delete(keys).where(keys.c.organization_id == org))
        for name, kind, keys_of in _SOURCES:
            rows: list[dict[str, Any]] = []
            for record_id, record in _records(connection, after.tables[name], org):
                rows.extend(
                    {"organization_id": org, "kind": kind, "contact_key": k, "record_id": record_id}
                    for k in sorted(keys_of(record))
                )
                if len(rows) >= _PAGE:
                    insert_many(connection, keys, rows)
                    rows = []
            insert_many(connection, keys, rows)


def _organizations(connection: Connection, model: MetaData) -> list[str]:
    """Every organisation with accounts or contacts (or users: seen under Row-Level Security)."""
    tables = [model.tables[n] for n in (_DIRECTORY, _ORGANIZATIONS, *(s[0] for s in _SOURCES))]
    found = union(*(select(t.c.organization_id) for t in tables))
    return sorted(str(org) for org in connection.execute(found).scalars())


def _records(connection: Connection, table: Table, org: str) -> Iterator[tuple[str, str]]:
    """The ids and stored records of the organisation in ``table``, a page at a time by id."""
    last: str | None = None
    while True:
        statement = (
            select(table.c.id, table.c.record)
            .where(table.c.organization_id == org)
            .order_by(table.c.id)
            .limit(_PAGE)
        )
        if last is not None:
            statement = statement.where(table.c.id > last)
        page = connection.execute(statement).all()
        for row in page:
            yield row.id, row.record
        if len(page) < _PAGE:
            return
        last = page[-1].id
