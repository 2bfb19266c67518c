"""The configuration records of each organisation, decoded once and shared by units of work."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["ConfigCache"]


class ConfigCache:
    """Decoded configuration records of each organisation, shared by a storage's units of work.

    Configuration (the specs marked ``cached``: organisations, users, role policies, workflows,
    projects, lead settings, pools, agent filters) is read on every use case and
    written rarely. Every commit that writes some advances the organisation's
    ``config`` counter in the same transaction. A unit of work reads that
    counter once (one small query instead of one per record) and uses the
    records cached at that generation; a different generation starts afresh.

    A record read after the counter is at least as new as the generation it is
    cached under, so a reader never sees configuration older than its unit of
    work's start, exactly as when it reads the row itself. Rows changed behind
    leadcore's back (raw SQL) must advance the counter too, or this process
    keeps answering from the cache.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orgs: dict[str, tuple[int, dict[Any, Any]]] = {}

    def at(self, organization_id: str, generation: int) -> dict[Any, Any]:
        """The organisation's entries valid at ``generation`` (a new, empty one if it moved on).

        A unit of work that read an older generation than the cache holds gets
        a throw-away mapping, so that what it reads cannot displace newer entries.
        """
        with self._lock:
            held = self._orgs.get(organization_id)
            if held is not None and held[0] == generation:
                return held[1]
            entries: dict[Any, Any] = {}
            if held is None or held[0] < generation:
                self._orgs[organization_id] = (generation, entries)
            return entries
