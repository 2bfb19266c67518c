"""``DatabaseClock``: the database server's time, one clock for every host that shares it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from sqlalchemy import text

if TYPE_CHECKING:
    from leadcore.storage.sql._storage import SqlStorage

__all__ = ["DatabaseClock"]

_NOW: Final = {
    # The time of the statement itself, not of the start of its transaction.
    "postgresql": "SELECT clock_timestamp()",
    "mysql": "SELECT UTC_TIMESTAMP(6)",
}


class DatabaseClock:
    """A :class:`~leadcore.clock.Clock` that asks the database for the current time.

    Leases expire at ``claimed_at`` plus the lock window, and whether a lease
    is still live is judged by the clock of the host asking. Hosts whose
    clocks drift apart would disagree; give every host the database's clock
    and they all judge by one::

        storage = SqlStorage("postgresql+psycopg://...")
        core = Leadcore(storage=storage, clock=DatabaseClock(storage))

    PostgreSQL answers ``clock_timestamp()`` and MariaDB/MySQL
    ``UTC_TIMESTAMP(6)``, both to the microsecond. SQLite has no server: its
    time is the local host's, so this clock reads that directly. Each reading
    costs one short query on a pooled connection (the services read the
    clock once per use case).

    >>> from leadcore.storage.sql import SqlStorage
    >>> storage = SqlStorage("sqlite://", create=True)
    >>> DatabaseClock(storage).now().tzinfo
    datetime.timezone.utc
    >>> storage.close()
    """

    def __init__(self, storage: SqlStorage) -> None:
        self._storage = storage
        self._query = _NOW.get(storage.engine.dialect.name)

    def now(self) -> datetime:
        """The database's current instant, timezone-aware, in UTC."""
        if self._query is None:
            return datetime.now(UTC)
        with self._storage.engine.connect() as connection:
            value = connection.execute(text(self._query)).scalar_one()
        if not isinstance(value, datetime):  # pragma: no cover - a driver without datetimes
            value = datetime.fromisoformat(str(value))
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def __repr__(self) -> str:
        return f"DatabaseClock({self._storage!r})"
