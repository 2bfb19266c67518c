"""Identifiers of stored records.

Record ids are opaque strings. :class:`RandomIds` (the default) makes
collision-free ids; :class:`SequentialIds` makes readable, deterministic ones
for tests and the demo::

    >>> ids = SequentialIds()
    >>> ids.new("lead"), ids.new("lead"), ids.new("user")
    ('lead-1', 'lead-2', 'user-1')
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from collections import defaultdict
from typing import Protocol, runtime_checkable

__all__ = ["ID_PATTERN", "IdFactory", "RandomIds", "SequentialIds", "is_valid_id"]

#: Definition ids (workflow ids, status ids): lower-case ASCII, digits, ``_`` and ``-``.
ID_PATTERN = re.compile(r"[a-z0-9_-]{1,64}")


def is_valid_id(value: object) -> bool:
    """Tell whether ``value`` is a valid definition id (``[a-z0-9_-]{1,64}``)."""
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


@runtime_checkable
class IdFactory(Protocol):
    """Makes new record ids; ``kind`` is a short prefix such as ``"lead"``."""

    def new(self, kind: str) -> str:
        """Return an id never returned before by this factory."""
        ...


class RandomIds:
    """Ids of the form ``lead-3f2a...`` from UUID4: unique across hosts."""

    def new(self, kind: str) -> str:
        """Return ``f"{kind}-{uuid4().hex}"``."""
        return f"{kind}-{uuid.uuid4().hex}"


class SequentialIds:
    """Ids of the form ``lead-1``, ``lead-2``, counted per kind; thread-safe."""

    def __init__(self) -> None:
        self._counters: defaultdict[str, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1)
        )
        self._lock = threading.Lock()

    def new(self, kind: str) -> str:
        """Return the next id of ``kind``."""
        with self._lock:
            return f"{kind}-{next(self._counters[kind])}"
