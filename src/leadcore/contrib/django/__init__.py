"""leadcore in a Django project (extra ``django``).

Add ``"leadcore.contrib.django"`` to ``INSTALLED_APPS`` and
``"leadcore.contrib.django.LeadcoreMiddleware"`` to ``MIDDLEWARE``, and
describe the core in ``settings.LEADCORE``::

    LEADCORE = {
        "URL": "postgresql+psycopg://app@db/crm",   # a storage URL; None: in memory
        "OPTIONS": {"timeout": 10.0},              # SqlStorage options (optional)
        "USER": "myproject.auth.leadcore_user_id", # request -> leadcore user id (optional)
        "CONNECTION": "myproject.db.sa_connection",  # request -> SQLAlchemy connection (optional)
    }

- :func:`get_core` is the project's :class:`~leadcore.Leadcore`, opened on
  first use and closed at exit.
- The middleware sets ``request.leadcore``: the acting user's
  :class:`~leadcore.Session` (opened when first used), or ``None`` when the
  resolver names nobody; it answers every
  :class:`~leadcore.errors.LeadcoreError` a view raises with RFC 9457
  problem details (:func:`problem_json_response`).
- Management commands ``leadcore_migrate``, ``leadcore_check`` and
  ``leadcore_import`` run the ``leadcore`` command line (``--db`` defaults
  to the ``URL`` setting).
"""

from __future__ import annotations

from leadcore.contrib.django._core import (
    connection_provider,
    get_core,
    reset_core,
    user_resolver,
)
from leadcore.contrib.django._middleware import LeadcoreMiddleware, problem_json_response

__all__ = [
    "LeadcoreMiddleware",
    "connection_provider",
    "get_core",
    "problem_json_response",
    "reset_core",
    "user_resolver",
]
