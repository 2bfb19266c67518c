"""Schema version 3: an index for the status counts of one project.

A project's status tabs count its leads per status. With only the
``(organization, project, created, id)`` index, PostgreSQL reads every lead
row of the project (or the whole table in parallel) to learn their statuses;
``(organization, project, status)`` answers the count from the index alone.
The query plans are in ``docs/performance.md``.

This module is version 3 as released: a later change is a new step.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Index, MetaData

__all__ = ["PROJECT_STATUS_INDEX", "define_v3", "upgrade_v3"]

PROJECT_STATUS_INDEX: Final = "ix_leadcore_leads_project_status"


def define_v3(metadata: MetaData) -> None:
    """Add the index of version 3 to ``metadata``."""
    c = metadata.tables["leadcore_leads"].c
    Index(PROJECT_STATUS_INDEX, c.organization_id, c.project_id, c.status_id)


def upgrade_v3(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Create the index (unless a host's own migrations made it already)."""
    (index,) = (i for i in after.tables["leadcore_leads"].indexes if i.name == PROJECT_STATUS_INDEX)
    index.create(connection, checkfirst=True)
