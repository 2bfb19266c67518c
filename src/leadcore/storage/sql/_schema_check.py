"""What a database holds before leadcore opens it, and when it may change it.

:meth:`Leadcore.open <leadcore.Leadcore.open>` must not turn any database a
URL names into a leadcore database. :func:`prepare_schema` creates the schema
only in an empty database; it refuses a database at an older schema version,
or one that holds other tables and no leadcore schema, with
:class:`~leadcore.errors.SchemaNotReady`, unless the caller asked to migrate.
``leadcore migrate`` shows the same state with :func:`inspect_schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import attrs
from sqlalchemy import Connection, Engine, inspect

from leadcore.errors import SchemaNotReady
from leadcore.storage.sql._migrations import STEPS, Step, current_version, migrate_guarded

__all__ = ["SchemaState", "create_schema", "inspect_schema", "prepare_schema"]

_PREFIX: Final = "leadcore_"
_VERSION_TABLE: Final = "leadcore_schema_version"
_SHOWN: Final = 5


@attrs.frozen
class SchemaState:
    """The schema of one database, compared with the steps this leadcore knows."""

    version: int
    """The database's schema version (0: none recorded)."""
    latest: int
    """The version this leadcore's steps reach."""
    pending: tuple[Step, ...]
    """The steps a migration would apply, in order."""
    other_tables: tuple[str, ...]
    """Tables that are not leadcore's, sorted."""
    has_version_table: bool
    """Whether leadcore's version table exists (it is created first)."""

    @property
    def empty(self) -> bool:
        """No table at all, or only leadcore's own while a first migration is under way."""
        return self.version == 0 and not self.other_tables

    @property
    def current(self) -> bool:
        """The database is at the version this leadcore uses."""
        return self.version == self.latest


def inspect_schema(connection: Connection, steps: Sequence[Step] = STEPS) -> SchemaState:
    """The schema state of the database ``connection`` is on."""
    names = inspect(connection).get_table_names()
    version = current_version(connection)
    latest = steps[-1].version if steps else 0
    return SchemaState(
        version=version,
        latest=latest,
        pending=tuple(s for s in steps if s.version > version),
        other_tables=tuple(
            sorted(n for n in names if not n.startswith(_PREFIX) and not n.startswith("sqlite_"))
        ),
        has_version_table=_VERSION_TABLE in names,
    )


def _foreign(state: SchemaState, remedy: str) -> SchemaNotReady:
    shown = ", ".join(state.other_tables[:_SHOWN])
    more = len(state.other_tables) - _SHOWN
    if more > 0:
        shown += f" and {more} more"
    return SchemaNotReady(
        "database holds other tables and no leadcore schema",
        [f"tables: {_count(len(state.other_tables), 'table')} not leadcore's ({shown}); {remedy}"],
        version=state.version,
        latest=state.latest,
    )


def refusal(state: SchemaState, *, migrate: bool) -> SchemaNotReady | None:
    """Why the database may not be opened (or created) as it is, or ``None``."""
    if state.current:
        return None
    if state.version > state.latest:
        return SchemaNotReady(
            "database schema is newer than this leadcore",
            [
                f"schema version: the database is at {state.version}, this leadcore knows "
                f"up to {state.latest}; upgrade leadcore"
            ],
            version=state.version,
            latest=state.latest,
        )
    if migrate or state.empty:
        return None
    if state.version > 0:
        return SchemaNotReady(
            "database schema is out of date",
            [
                f"schema version: the database is at {state.version}, this leadcore uses "
                f"{state.latest} ({_count(len(state.pending), 'pending step')}); apply them with "
                "'leadcore migrate --db URL --apply' or open with migrate=True"
            ],
            version=state.version,
            latest=state.latest,
        )
    return _foreign(
        state,
        "name an empty database, or open with migrate=True to add leadcore's tables beside them",
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def prepare_schema(engine: Engine, *, migrate: bool = False, steps: Sequence[Step] = STEPS) -> int:
    """Make the database ready for leadcore, or refuse; return its schema version.

    An up-to-date database is left alone; an empty one gets the current schema;
    an older one, or one with other tables and no leadcore schema, is migrated
    only with ``migrate=True`` and otherwise refused with
    :class:`~leadcore.errors.SchemaNotReady`; a newer one is always refused.
    """
    with engine.connect() as connection:
        state = inspect_schema(connection, steps)
    if state.current:
        return state.version
    error = refusal(state, migrate=migrate)
    if error is not None:
        raise error

    def guard(connection: Connection) -> None:
        # Another process may have changed the database since it was looked at.
        error = refusal(inspect_schema(connection, steps), migrate=migrate)
        if error is not None:
            raise error

    return migrate_guarded(engine, steps, guard)


def create_schema(
    engine: Engine, *, beside_other_tables: bool = False, steps: Sequence[Step] = STEPS
) -> int:
    """``SqlStorage(create=True)``: create or update leadcore's schema; return its version.

    An empty database gets the schema and one holding leadcore's schema is
    brought up to date, but a database that holds other tables and no
    leadcore schema is refused with :class:`~leadcore.errors.SchemaNotReady`
    unless ``beside_other_tables``: a URL naming the wrong database must not
    get leadcore's tables.
    """

    def guard(connection: Connection) -> None:
        state = inspect_schema(connection, steps)
        if state.version == 0 and state.other_tables and not beside_other_tables:
            raise _foreign(
                state,
                "name an empty database or one with leadcore's schema, or pass "
                "beside_other_tables=True to add leadcore's tables beside them",
            )

    with engine.connect() as connection:
        guard(connection)  # refused before the migration lock is taken
    return migrate_guarded(engine, steps, guard)
