"""SQL repositories of the sales pipeline: account and opportunity history, settings."""

from __future__ import annotations

from leadcore.leads._pipeline import PipelineEntry, PipelineSettings
from leadcore.storage.sql._tables import PIPELINE_HISTORY, PIPELINE_SETTINGS
from leadcore.storage.sql._tenancy import Table

__all__ = ["SqlPipelineHistory", "SqlPipelineSettings"]


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
