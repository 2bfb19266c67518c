"""The memory adapter's outbox."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from leadcore.events._model import Event, StoredEvent
from leadcore.storage._memory_tx import GLOBAL, Transaction

__all__ = ["MemoryEvents"]


class MemoryEvents:
    """Events appended at commit, per organisation, in commit order."""

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def record(self, event: Event) -> None:
        """Record an event (positioned at commit)."""
        self._tx.append("events", event.organization_id, event)

    def read(
        self, organization_id: str, *, after: int = 0, limit: int | None = None
    ) -> Sequence[StoredEvent]:
        """Committed events after a position, in order."""
        head = self._tx.heads("events").get(organization_id, 0)
        stop = head if limit is None else min(head, after + limit)
        out = []
        for position in range(after + 1, stop + 1):
            event: Event | None = self._tx.read("events", organization_id, position)
            if event is not None:
                out.append(StoredEvent(position, event))
        return out

    def heads(self, organization_ids: Collection[str] | None = None) -> dict[str, int]:
        """The last position per organisation (of those named, if named)."""
        found = self._tx.heads("events")
        if organization_ids is None:
            return found
        return {org: found[org] for org in organization_ids if org in found}

    def position(self, consumer: str, organization_id: str) -> int:
        """A consumer's acknowledged position in an organisation."""
        found: int | None = self._tx.read("event_positions", GLOBAL, (consumer, organization_id))
        return found or 0

    def set_position(self, consumer: str, organization_id: str, position: int) -> None:
        """Acknowledge up to ``position``."""
        self._tx.write("event_positions", GLOBAL, (consumer, organization_id), position)
