"""The adapter conformance suite, run against the reference in-memory storage."""

from __future__ import annotations

from leadcore.storage.memory import MemoryStorage
from leadcore.testing.conformance import StorageConformance


class TestMemoryStorage(StorageConformance[MemoryStorage]):
    def make_storage(self) -> MemoryStorage:
        return MemoryStorage()
