"""Versioned schema migrations: ordered steps, a version table, and one runner.

Each :class:`Step` says how it changes the schema twice: ``define`` applies
the change to a SQLAlchemy ``MetaData`` (so :data:`metadata`, the current
schema, is the replay of every step), and ``upgrade`` applies it to a
database. Steps are never edited once released; a schema change is a new
step at the end.

:func:`migrate` brings a database to the latest version. It records each
applied step in ``leadcore_schema_version`` and holds a lock while it works
(an advisory lock on PostgreSQL, a named lock on MariaDB/MySQL, the write lock
on SQLite), so processes that start together migrate once.

A host that manages its schema with Alembic includes :data:`metadata` in its
``target_metadata`` instead; see ``docs/storage.md``.
"""

from __future__ import annotations

import functools
import logging
import zlib
from collections.abc import Callable, Sequence
from typing import Final

import attrs
from sqlalchemy import Connection, Engine, MetaData, Table, func, insert, inspect, select, text

from leadcore.errors import ValidationError
from leadcore.storage.sql._schema import define_v1, schema_version_table
from leadcore.storage.sql._schema_v2 import define_v2, upgrade_v2
from leadcore.storage.sql._schema_v3 import define_v3, upgrade_v3
from leadcore.storage.sql._schema_v4 import define_v4, upgrade_v4
from leadcore.storage.sql._schema_v5 import define_v5, upgrade_v5
from leadcore.storage.sql._schema_v6 import define_v6, upgrade_v6
from leadcore.storage.sql._schema_v7 import define_v7, upgrade_v7
from leadcore.storage.sql._schema_v8 import define_v8, upgrade_v8

__all__ = ["STEPS", "Step", "build_metadata", "current_version", "metadata", "migrate"]

logger = logging.getLogger(__name__)

#: Checks the database under the migration lock before any step runs (raises to refuse).
Guard = Callable[[Connection], None]


@attrs.frozen
class Step:
    """One schema version: how it changes the model, and how it changes a database."""

    version: int
    description: str
    define: Callable[[MetaData], None]
    """Apply the change to a ``MetaData`` holding the previous version."""
    upgrade: Callable[[Connection, MetaData, MetaData], None]
    """Apply the change to a database: ``(connection, before, after)`` models."""


def _create_new_tables(connection: Connection, before: MetaData, after: MetaData) -> None:
    """Create the tables ``after`` has and ``before`` has not (with their indexes)."""
    new = [t for name, t in after.tables.items() if name not in before.tables]
    # checkfirst: a database whose tables a host created from ``metadata`` (Alembic)
    # is adopted as it is, and only the version is recorded.
    after.create_all(connection, tables=new, checkfirst=True)


#: Every schema version, oldest first.
STEPS: Final[tuple[Step, ...]] = (
    Step(1, "leadcore tables", define_v1, _create_new_tables),
    Step(2, "dispatch, calendar and forwarding tables", define_v2, upgrade_v2),
    Step(3, "index for the status counts of a project", define_v3, upgrade_v3),
    Step(4, "holders of a lease taken without a lock window", define_v4, upgrade_v4),
    Step(5, "iCalendar UID of imported activities", define_v5, upgrade_v5),
    Step(6, "accounts, contacts and opportunities on their own", define_v6, upgrade_v6),
    Step(7, "the e-mail log", define_v7, upgrade_v7),
    Step(8, "contact keys of accounts and contacts", define_v8, upgrade_v8),
)


def build_metadata(steps: Sequence[Step] = STEPS, *, upto: int | None = None) -> MetaData:
    """The schema after replaying ``steps`` (up to version ``upto``) on an empty model.

    The model is shared between callers asking for the same one: do not change it.
    """
    return _replay(tuple(steps), upto)


@functools.lru_cache(maxsize=32)
def _replay(steps: tuple[Step, ...], upto: int | None) -> MetaData:
    model = MetaData()
    schema_version_table(model)
    for step in steps:
        if upto is not None and step.version > upto:
            break
        step.define(model)
    return model


#: The current schema: include it in a host's Alembic ``target_metadata``.
metadata: Final = build_metadata()

_VERSION_TABLE: Final = "leadcore_schema_version"
_LOCK_NAME: Final = "leadcore_schema_migration"


def _version_table(model: MetaData) -> Table:
    return model.tables[_VERSION_TABLE]


def current_version(connection: Connection) -> int:
    """The schema version of the database (0: leadcore's tables are not there)."""
    if not inspect(connection).has_table(_VERSION_TABLE):
        return 0
    found = connection.execute(select(func.max(_version_table(metadata).c.version))).scalar()
    return int(found or 0)


def _check(steps: Sequence[Step]) -> None:
    versions = [s.version for s in steps]
    if versions != list(range(1, len(versions) + 1)):
        raise ValidationError(
            "invalid migration steps",
            [f"steps: versions must count 1, 2, 3... in order, got {versions}"],
        )


def migrate(engine: Engine, *, steps: Sequence[Step] = STEPS) -> int:
    """Bring the database of ``engine`` to the latest schema version; return that version.

    Applying it to an up-to-date database changes nothing. On PostgreSQL and
    SQLite each step runs in a transaction with its version row; MariaDB/MySQL
    commits each DDL statement on its own, so a failed step there leaves the
    version unrecorded and is re-run (its statements check what exists).
    """
    return migrate_guarded(engine, steps, None)


def migrate_guarded(engine: Engine, steps: Sequence[Step], guard: Guard | None) -> int:
    """:func:`migrate`, with ``guard`` run under the lock before anything changes."""
    _check(steps)
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "sqlite":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                version = _apply(connection, steps, guard)
                connection.exec_driver_sql("COMMIT")
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            return version
        if dialect == "postgresql":
            with connection.begin():
                key = zlib.crc32(_LOCK_NAME.encode())
                connection.execute(select(func.pg_advisory_xact_lock(key)))
                return _apply(connection, steps, guard)
        connection.execute(text("SELECT GET_LOCK(:name, 600)"), {"name": _LOCK_NAME})
        try:
            version = _apply(connection, steps, guard)
            connection.commit()
            return version
        finally:
            connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _LOCK_NAME})
            connection.commit()


def _apply(connection: Connection, steps: Sequence[Step], guard: Guard | None) -> int:
    if guard is not None:
        guard(connection)
    model = build_metadata(steps)
    table = _version_table(model)
    table.create(connection, checkfirst=True)
    version = current_version(connection)
    latest = steps[-1].version if steps else 0
    if version > latest:
        raise ValidationError(
            "database schema is newer than this leadcore",
            [f"schema version: the database is at {version}, this leadcore knows up to {latest}"],
        )
    if version < latest:
        logger.info(
            "migrating the schema from version %d to %d",
            version,
            latest,
            extra={"schema_version": version, "target_version": latest},
        )
    for step in steps[version:]:
        logger.info(
            "schema step %d: %s",
            step.version,
            step.description,
            extra={"schema_version": step.version, "description": step.description},
        )
        before = build_metadata(steps, upto=step.version - 1)
        after = build_metadata(steps, upto=step.version)
        step.upgrade(connection, before, after)
        connection.execute(insert(table).values(version=step.version, description=step.description))
    return latest
