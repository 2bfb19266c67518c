"""Schema version 4: the holders of a lease taken without a lock window.

With a lock window of 0 several agents may hold claims on one lead at once,
each fenced to their own token. The lease row keeps them in ``holders``:
a JSON list of ``[agent id, token]`` pairs, one per agent, in token order.
``NULL`` (a row written before this version) means the latest claim only,
unless it was released: tokens of older claims made without a lock are no
longer honoured, which refuses a write rather than letting a stranger's
token through.

This module is version 4 as released: a later change is a new step.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Column, Connection, MetaData, Text, inspect, text

__all__ = ["HOLDERS", "define_v4", "upgrade_v4"]

HOLDERS: Final = "holders"
_LEASES: Final = "leadcore_dispatch_leases"


def define_v4(metadata: MetaData) -> None:
    """Add the ``holders`` column of version 4 to ``metadata``."""
    metadata.tables[_LEASES].append_column(Column(HOLDERS, Text(), nullable=True))


def upgrade_v4(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Add the column (unless a host's own migrations made it already)."""
    present = {c["name"] for c in inspect(connection).get_columns(_LEASES)}
    if HOLDERS not in present:
        column = after.tables[_LEASES].c[HOLDERS]
        quote = connection.dialect.identifier_preparer.quote
        kind = column.type.compile(dialect=connection.dialect)
        connection.execute(
            text(f"ALTER TABLE {quote(_LEASES)} ADD COLUMN {quote(HOLDERS)} {kind} NULL")
        )
