"""Storage: the repository protocols and the adapters that implement them.

- :mod:`leadcore.storage.protocols`: the ports (``Storage``, ``UnitOfWork``, repositories).
- :mod:`leadcore.storage.memory`: ``MemoryStorage``, the thread-safe embedded default.
"""

from __future__ import annotations

from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Capabilities, Storage, UnitOfWork

__all__ = ["Capabilities", "MemoryStorage", "Storage", "UnitOfWork"]
