"""PostgreSQL Row-Level Security: a second wall behind the repositories' own scoping.

With :func:`enable_row_level_security`, every leadcore table (but the schema
version) only shows and accepts the rows of the organisation named by the
transaction-local setting ``leadcore.organization_id``, which
:class:`~leadcore.storage.sql.SqlStorage` sets (``SET LOCAL``, see
:func:`set_local_statement`) before the statements of each organisation
when opened with ``row_level_security=True``. A statement run without the
setting sees no row and may write none.

Two lookups read across organisations by design and get a read-only policy of
their own: the user directory (which organisation a user id is in, asked
before the organisation is known) and the organisations' ``events`` counters
(which organisations have events to deliver). Neither holds more than ids and
counts.

The policies apply to the tables' owner too (``FORCE ROW LEVEL SECURITY``).
Run the application as a role that is neither a superuser nor has
``BYPASSRLS``: such roles skip every policy.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine, text

from leadcore.errors import ValidationError
from leadcore.storage.sql._migrations import metadata

__all__ = [
    "SETTING",
    "enable_row_level_security",
    "row_level_security_ddl",
    "set_local_statement",
]

#: The transaction-local setting that names the organisation a transaction acts in.
SETTING: Final = "leadcore.organization_id"

_CURRENT: Final = f"current_setting('{SETTING}', true)"
#: The longest organisation id the setting takes (ids are far shorter).
_MAX_ID: Final = 200


def set_local_statement(organization_id: str) -> str:
    """The ``SET LOCAL`` naming the organisation a transaction acts in.

    ``SET`` takes no bound parameters, so the id, which is data, is checked
    (text of 1 to 200 characters, no NUL) and written as an escaped string
    literal (``E'...'``: quotes and backslashes doubled, whatever
    ``standard_conforming_strings`` says).

    >>> print(set_local_statement("org-1"))
    SET LOCAL leadcore.organization_id = E'org-1'
    >>> print(set_local_statement("o'brien"))
    SET LOCAL leadcore.organization_id = E'o''brien'
    """
    if not isinstance(organization_id, str) or not 0 < len(organization_id) <= _MAX_ID:
        raise ValidationError(
            "cannot scope the transaction",
            [
                f"organization_id: expected text of 1 to {_MAX_ID} characters, "
                f"got {organization_id!r:.60}"
            ],
        )
    if "\x00" in organization_id:
        raise ValidationError(
            "cannot scope the transaction", ["organization_id: contains a NUL character"]
        )
    literal = organization_id.replace("\\", "\\\\").replace("'", "''")
    return f"SET LOCAL {SETTING} = E'{literal}'"


_NOT_SCOPED: Final = frozenset({"leadcore_schema_version"})
_READ_ALL: Final = {
    "leadcore_user_directory": "true",
    "leadcore_counters": "name = 'events'",
}


def row_level_security_ddl() -> list[str]:
    """The statements that install the policies (idempotent; run them as the tables' owner).

    A host with its own migrations (Alembic) runs these in one of them, e.g.
    ``for s in row_level_security_ddl(): op.execute(s)``.
    """
    out: list[str] = []
    for name in sorted(metadata.tables):
        if name in _NOT_SCOPED:
            continue
        out += [
            f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY",
            f"DROP POLICY IF EXISTS leadcore_organization ON {name}",
            f"CREATE POLICY leadcore_organization ON {name} "
            f"USING (organization_id = {_CURRENT}) "
            f"WITH CHECK (organization_id = {_CURRENT})",
            f"DROP POLICY IF EXISTS leadcore_read_all ON {name}",
        ]
        if name in _READ_ALL:
            out.append(
                f"CREATE POLICY leadcore_read_all ON {name} FOR SELECT USING ({_READ_ALL[name]})"
            )
    return out


def enable_row_level_security(bind: Engine | Connection) -> None:
    """Install the policies on a PostgreSQL database (see the module docs)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            enable_row_level_security(connection)
        return
    for statement in row_level_security_ddl():
        bind.execute(text(statement))
