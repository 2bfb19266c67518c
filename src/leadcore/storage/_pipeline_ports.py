"""Repository ports of the sales pipeline (re-exported by :mod:`leadcore.storage.protocols`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leadcore.leads._pipeline import PipelineEntry, PipelineSettings

__all__ = ["PipelineHistoryRepository", "PipelineSettingsRepository"]


class PipelineHistoryRepository(Protocol):
    """The history of accounts and opportunities (append-only)."""

    def add(self, entry: PipelineEntry) -> None:
        """Store a new entry."""
        ...

    def for_subject(self, organization_id: str, subject_id: str) -> Sequence[PipelineEntry]:
        """The entries of one account or opportunity, oldest first, then by id."""
        ...


class PipelineSettingsRepository(Protocol):
    """Pipeline settings, one per organisation."""

    def get(self, organization_id: str) -> PipelineSettings | None:
        """The settings, or ``None`` while the organisation has saved none."""
        ...

    def put(self, organization_id: str, settings: PipelineSettings) -> None:
        """Store the settings."""
        ...
