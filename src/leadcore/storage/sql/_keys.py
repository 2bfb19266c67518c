"""Contact keys: the fixed-length hashes duplicate lookups find records by."""

from __future__ import annotations

import functools
import hashlib

__all__ = ["contact_key"]


# Cached: an import computes the keys of each lead when it looks up, stages and writes it.
@functools.lru_cache(maxsize=1 << 16)
def contact_key(kind: str, value: str) -> str:
    """The fixed-length key of a contact value (``phone`` / ``email`` / ``name``)."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()
