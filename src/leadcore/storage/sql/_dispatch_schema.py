"""The dispatch tables of schema version 2 (see :mod:`leadcore.storage.sql._schema_v2`)."""

from __future__ import annotations

from sqlalchemy import MetaData

__all__ = ["define_dispatch_tables"]


def define_dispatch_tables(metadata: MetaData) -> None:
    """Add the dispatch tables to ``metadata``."""
