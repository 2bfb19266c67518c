"""Citus: every organisation's rows on one node, the tables colocated by organisation.

Every tenant table's primary key and indexes start with ``organization_id``
(a test over :data:`~leadcore.storage.sql.metadata` keeps it so), so Citus
can distribute each table by that column and colocate them all: every
statement of a use case, which acts in one organisation, goes to one node.
The few tables read before the organisation is known, or shared by all
(the user directory, the schema version), become reference tables, copied
to every node.

Run :func:`distribute` once, on the coordinator, after the tables are
created (:func:`~leadcore.storage.sql.migrate`) and before they hold rows
worth moving; ``leadcore schema --citus`` prints the same statements.

>>> print(citus_ddl()[0])
SELECT create_reference_table('leadcore_schema_version');
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine, text

from leadcore.storage.sql._migrations import metadata

__all__ = [
    "ANCHOR_TABLE",
    "DISTRIBUTION_COLUMN",
    "REFERENCE_TABLES",
    "citus_ddl",
    "distribute",
    "tenant_tables",
]

#: The column every tenant table is distributed by.
DISTRIBUTION_COLUMN: Final = "organization_id"

#: Tables copied to every node: read across organisations, or not an organisation's.
REFERENCE_TABLES: Final = ("leadcore_schema_version", "leadcore_user_directory")

#: The tenant table distributed first; every other one is colocated with it.
ANCHOR_TABLE: Final = "leadcore_organizations"


def tenant_tables() -> list[str]:
    """Every table distributed by organisation: the anchor first, then by name."""
    rest = sorted(n for n in metadata.tables if n not in REFERENCE_TABLES and n != ANCHOR_TABLE)
    return [ANCHOR_TABLE, *rest]


def citus_ddl() -> list[str]:
    """The statements that distribute leadcore's tables on Citus, in the order to run them."""
    out = [f"SELECT create_reference_table('{name}');" for name in REFERENCE_TABLES]
    out.append(f"SELECT create_distributed_table('{ANCHOR_TABLE}', '{DISTRIBUTION_COLUMN}');")
    out += [
        f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
        f"colocate_with => '{ANCHOR_TABLE}');"
        for name in tenant_tables()[1:]
    ]
    return out


def distribute(bind: Engine | Connection) -> None:
    """Distribute leadcore's tables on a Citus coordinator, in one transaction (module docs)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            distribute(connection)
        return
    for statement in citus_ddl():
        bind.execute(text(statement.rstrip(";")))
