"""In-memory repositories of the sales pipeline: account and opportunity history, settings."""

from __future__ import annotations

from leadcore.leads._pipeline import PipelineEntry, PipelineSettings
from leadcore.storage._memory_tx import Repo

__all__ = ["MemoryPipelineHistory", "MemoryPipelineSettings"]


class MemoryPipelineHistory(Repo[PipelineEntry]):
    """History entries of accounts and opportunities."""

    table, kind = "pipeline_history", "pipeline history entry"

    def add(self, entry: PipelineEntry) -> None:
        """Store an entry; ``ConflictError`` if its id is taken in the organisation."""
        self._add(entry.organization_id, entry.id, entry)

    def for_subject(self, organization_id: str, subject_id: str) -> list[PipelineEntry]:
        """One subject's entries, oldest first, then by id."""
        return [
            e
            for e in self._list(organization_id, lambda e: (e.at, e.id))
            if e.subject_id == subject_id
        ]


class MemoryPipelineSettings(Repo[PipelineSettings]):
    """Pipeline settings."""

    table, kind = "pipeline_settings", "pipeline settings"

    def get(self, organization_id: str) -> PipelineSettings | None:
        """The settings, or ``None``."""
        return self._get(organization_id, "settings")

    def put(self, organization_id: str, settings: PipelineSettings) -> None:
        """Store the settings."""
        self._tx.write(self.table, organization_id, "settings", settings)
