"""Versioned migrations: applied to an empty database they produce exactly ``metadata``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    create_engine,
    inspect,
    select,
    text,
)
from tests.integration.conftest import empty_database

from leadcore import Leadcore
from leadcore.dispatch import Pool, PoolKind
from leadcore.errors import ValidationError
from leadcore.storage.sql import (
    STEPS,
    SqlStorage,
    Step,
    build_metadata,
    current_version,
    metadata,
    migrate,
)

DATABASES = ("sqlite-file", "postgresql", "mariadb")


@pytest.fixture(params=DATABASES)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engines(backend: str, tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two new, empty databases of the backend."""
    with empty_database(backend, tmp_path) as one, empty_database(backend, tmp_path) as two:
        first, second = create_engine(one), create_engine(two)
        yield first, second
        first.dispose()
        second.dispose()


@pytest.fixture
def engine(backend: str, tmp_path: Path) -> Iterator[Engine]:
    """A new, empty database of the backend."""
    with empty_database(backend, tmp_path) as url:
        made = create_engine(url)
        yield made
        made.dispose()


def describe(engine: Engine) -> dict[str, Any]:
    """Every table as the database reports it: columns, primary key, indexes, options."""
    found = inspect(engine)
    dialect = engine.dialect
    out: dict[str, Any] = {}
    for name in sorted(found.get_table_names()):
        options = found.get_table_options(name)
        out[name] = {
            "columns": [
                (c["name"], c["type"].compile(dialect), c["nullable"])
                for c in found.get_columns(name)
            ],
            "primary key": found.get_pk_constraint(name)["constrained_columns"],
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in found.get_indexes(name)
            ),
            "options": {k: v for k, v in options.items() if k.endswith(("engine", "collate"))},
        }
    return out


def _same_kind(model: Column[Any], reflected: Any, dialect_name: str) -> bool:
    kind = model.type
    if isinstance(kind, Boolean):
        # MariaDB/MySQL keep booleans as TINYINT(1).
        return (
            isinstance(reflected, Boolean | Integer)
            if dialect_name == "mysql"
            else (isinstance(reflected, Boolean))
        )
    if isinstance(kind, String):
        return isinstance(reflected, String) and (
            kind.length is None or getattr(reflected, "length", None) == kind.length
        )
    return isinstance(reflected, kind._type_affinity or type(kind))


def test_migrating_an_empty_database_produces_exactly_the_metadata(
    engines: tuple[Engine, Engine],
) -> None:
    migrated, created = engines
    assert migrate(migrated) == STEPS[-1].version
    metadata.create_all(created)

    # What the steps built is what ``metadata`` builds, down to types and collations.
    assert describe(migrated) == describe(created)

    # And it is the model itself: tables, columns, types, keys and indexes.
    found = inspect(migrated)
    assert sorted(found.get_table_names()) == sorted(metadata.tables)
    for table in metadata.sorted_tables:
        columns = {c["name"]: c for c in found.get_columns(table.name)}
        assert list(columns) == [c.name for c in table.columns], table.name
        for column in table.columns:
            reflected = columns[column.name]
            assert reflected["nullable"] == column.nullable, (table.name, column.name)
            assert _same_kind(column, reflected["type"], migrated.dialect.name), (
                table.name,
                column.name,
                reflected["type"],
            )
        assert found.get_pk_constraint(table.name)["constrained_columns"] == [
            c.name for c in table.primary_key.columns
        ]
        assert sorted(
            (i["name"], tuple(i["column_names"])) for i in found.get_indexes(table.name)
        ) == sorted((i.name, tuple(c.name for c in i.columns)) for i in table.indexes)


def test_a_version_1_database_with_data_upgrades_to_exactly_the_metadata(
    engines: tuple[Engine, Engine],
) -> None:
    upgraded, created = engines
    assert migrate(upgraded, steps=STEPS[:1]) == 1
    # Written as version 1 wrote: no dispatch, calendar or forwarding tables to keep.
    version_1 = SqlStorage(upgraded)
    version_1._store.writers = ()
    with Leadcore(storage=version_1) as core:
        _, admin = core.create_organization("Agency", admin_name="Dana")
        s = core.session(admin.id)
        agent = s.users.create("Omer", "qualifier")
        project = s.leads.create_project("Spring", member_ids=[agent.id])
        lead = s.leads.create(
            "Yael Cohen", phones=["+972505551234"], project_id=project.id, pool_id="fresh"
        )

    assert migrate(upgraded) == STEPS[-1].version
    metadata.create_all(created)
    assert describe(upgraded) == describe(created)
    with upgraded.connect() as c:
        assert current_version(c) == STEPS[-1].version
    # The leads written at version 1 are all there, and dispatch hands them out.
    with Leadcore(storage=SqlStorage(upgraded)) as core:
        s = core.session(admin.id)
        assert s.leads.get(lead.id) == lead
        s.dispatch.set_pools(project.id, [Pool("fresh", PoolKind.PROJECT, "Fresh")])
        claim = core.session(agent.id).dispatch.next(project.id)
        assert claim is not None
        assert claim.lead_id == lead.id


def _add_column(connection: Connection, before: MetaData, after: MetaData) -> None:
    column = after.tables["leadcore_projects"].c.archived_us
    ddl = column.type.compile(connection.dialect)
    connection.execute(text(f"ALTER TABLE leadcore_projects ADD COLUMN archived_us {ddl}"))


def _define_column(model: MetaData) -> None:
    model.tables["leadcore_projects"].append_column(Column("archived_us", Integer, nullable=True))


def _versions(engine: Engine) -> list[int]:
    table = build_metadata().tables["leadcore_schema_version"]
    with engine.connect() as c:
        return sorted(c.execute(select(table.c.version)).scalars().all())


def test_steps_apply_once_in_order_even_when_processes_migrate_at_once(engine: Engine) -> None:
    latest = STEPS[-1].version

    # Several processes starting together: one migrates, the others find it done.
    results: list[int | BaseException] = []
    start = threading.Barrier(4)

    def run() -> None:
        start.wait()
        try:
            results.append(migrate(engine))
        except BaseException as exc:  # reported by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [latest] * 4
    assert _versions(engine) == [s.version for s in STEPS]

    # Again: nothing to do.
    tables = sorted(inspect(engine).get_table_names())
    assert migrate(engine) == latest
    assert sorted(inspect(engine).get_table_names()) == tables

    # A later step is applied once, after the others, and matches its model.
    steps = (*STEPS, Step(latest + 1, "projects: archive time", _define_column, _add_column))
    assert migrate(engine, steps=steps) == latest + 1
    assert migrate(engine, steps=steps) == latest + 1
    assert _versions(engine) == [*(s.version for s in STEPS), latest + 1]
    with engine.connect() as c:
        assert current_version(c) == latest + 1
    columns = [c["name"] for c in inspect(engine).get_columns("leadcore_projects")]
    assert columns == [c.name for c in build_metadata(steps).tables["leadcore_projects"].columns]
    # Replaying a longer list of steps leaves the released model untouched.
    assert "archived_us" not in metadata.tables["leadcore_projects"].c

    # This code does not know version latest + 1: it refuses to touch the database.
    with pytest.raises(ValidationError, match="newer than this leadcore"):
        migrate(engine)
