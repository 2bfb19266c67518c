"""Thin integrations with web frameworks; each is an optional extra.

- :mod:`leadcore.contrib.fastapi` (extra ``fastapi``): a lifespan that opens
  the core, a dependency giving the acting user's session, problem-details
  error handlers.
- :mod:`leadcore.contrib.django` (extra ``django``): an app reading
  ``settings.LEADCORE``, a middleware setting ``request.leadcore``, the same
  error mapping, management commands.

Importing this package imports neither framework; the shared mapping of
errors to HTTP problem details lives in :mod:`leadcore.contrib._problems`.
"""

from __future__ import annotations

__all__: list[str] = []
