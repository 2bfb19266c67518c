"""The SQL outbox: events written with the changes they describe, positioned at commit."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

from sqlalchemy import select

from leadcore.events._codec import event_from_dict
from leadcore.events._model import Event, StoredEvent
from leadcore.storage.sql._tables import EVENT_POSITIONS, bounded
from leadcore.storage.sql._tx import CHUNK, COUNTERS, EVENTS, SqlTransaction

__all__ = ["SqlEvents"]


class SqlEvents:
    """Events per organisation, numbered 1, 2, 3... in commit order.

    A commit that records events advances the organisation's ``events``
    counter in its own transaction and inserts the events under the positions
    it got. The counter row stays locked until that transaction ends, so the
    commits of one organisation take their positions one after the other and
    a reader never sees position ``n + 1`` before ``n``; commits of other
    organisations do not wait.
    """

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    def record(self, event: Event) -> None:
        """Record an event (positioned at commit)."""
        bounded(event.organization_id, "event.organization_id")
        bounded(event.event_id, "event.event_id")
        self._tx.record_event(event)

    def read(
        self, organization_id: str, *, after: int = 0, limit: int | None = None
    ) -> Sequence[StoredEvent]:
        """Committed events after a position, in order."""
        if limit is not None and limit <= 0:
            return []
        c = EVENTS.c
        statement = (
            select(c.position, c.record)
            .where(c.organization_id == organization_id, c.position > after)
            .order_by(c.position)
        )
        if limit is not None:
            statement = statement.limit(limit)
        return [
            StoredEvent(int(row.position), event_from_dict(json.loads(row.record)))
            for row in self._tx.rows(statement, organization_id)
        ]

    def heads(self, organization_ids: Collection[str] | None = None) -> dict[str, int]:
        """The last position per organisation (of those named, if named)."""
        c = COUNTERS.c
        statement = select(c.organization_id, c.value).where(c.name == "events")
        if organization_ids is None:
            rows = [row._mapping for row in self._tx.rows(statement, None)]
        else:
            named = sorted(set(organization_ids))
            rows = []
            for start in range(0, len(named), CHUNK):
                chunk = named[start : start + CHUNK]
                scoped = statement.where(c.organization_id.in_(chunk))
                rows += [row._mapping for row in self._tx.rows(scoped, None)]
        return {str(row["organization_id"]): int(row["value"]) for row in rows}

    def position(self, consumer: str, organization_id: str) -> int:
        """A consumer's acknowledged position in an organisation."""
        found = self._tx.get(EVENT_POSITIONS, (organization_id, consumer))
        return found or 0

    def set_position(self, consumer: str, organization_id: str, position: int) -> None:
        """Acknowledge up to ``position``."""
        bounded(consumer, "consumer")
        self._tx.put(EVENT_POSITIONS, (organization_id, consumer), position)
