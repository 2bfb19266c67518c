"""The SQL storage adapter: SQLite, PostgreSQL and MariaDB/MySQL on SQLAlchemy Core.

>>> from leadcore import Leadcore
>>> core = Leadcore.open("sqlite://")                 # SQLite in memory
>>> org, admin = core.create_organization("Agency", admin_name="Dana")
>>> core.session(admin.id).workflow.current().id
'sales'
>>> core.close()

- :class:`SqlStorage`: the adapter (``Leadcore.open(url)`` picks it for
  ``sqlite:///...``, ``postgresql+psycopg://...`` and ``mysql+pymysql://...``).
- :data:`metadata`: the schema, for a host's own Alembic migrations.
- :func:`migrate`: bring a database to the current schema version.
- :class:`DatabaseClock`: the database's time, so that every host judges
  lease expiry by one clock.
- :func:`enable_row_level_security` / :func:`row_level_security_ddl`: the
  optional PostgreSQL Row-Level Security policies.
- :func:`distribute` / :func:`citus_ddl`: the tables distributed by
  organisation on Citus.

``docs/storage.md`` explains choosing a backend, migrations and RLS.
"""

from __future__ import annotations

from leadcore.storage.sql._citus import citus_ddl, distribute
from leadcore.storage.sql._clock import DatabaseClock
from leadcore.storage.sql._migrations import (
    STEPS,
    Step,
    build_metadata,
    current_version,
    metadata,
    migrate,
)
from leadcore.storage.sql._rls import SETTING, enable_row_level_security, row_level_security_ddl
from leadcore.storage.sql._storage import SqlStorage, SqlUnitOfWork

__all__ = [
    "SETTING",
    "STEPS",
    "DatabaseClock",
    "SqlStorage",
    "SqlUnitOfWork",
    "Step",
    "build_metadata",
    "citus_ddl",
    "current_version",
    "distribute",
    "enable_row_level_security",
    "metadata",
    "migrate",
    "row_level_security_ddl",
]
