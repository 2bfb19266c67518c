"""Schema version 7: the e-mail log.

One table, ``leadcore_emails``, of records keyed by ``(organization_id,
id)`` like the other record tables: the e-mail as JSON (headers, the body
excerpt, attachment names, its links to clients and activities) and
``sent_us``, the send instant in microseconds, by which the log is read
newest first.

This module is version 7 as released: a later change is a new step.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, Column, Connection, Index, MetaData

from leadcore.storage.sql._schema import _records

__all__ = ["EMAILS_TABLE", "define_v7", "upgrade_v7"]

EMAILS_TABLE: Final = "leadcore_emails"


def define_v7(metadata: MetaData) -> None:
    """Add the e-mail table of version 7 to ``metadata``."""
    table = _records(metadata, EMAILS_TABLE, Column("sent_us", BigInteger, nullable=False))
    Index("ix_leadcore_emails_sent", table.c.organization_id, table.c.sent_us)


def upgrade_v7(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Create the table (unless a host's own migrations made it already)."""
    after.tables[EMAILS_TABLE].create(connection, checkfirst=True)
