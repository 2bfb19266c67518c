"""``Leadcore.open(url)`` changes a database only when safe or asked to; ``leadcore migrate``.

On every backend: an empty database gets the schema, an up-to-date one is
used as it is, one at an older version or one that holds other tables is
refused with ``SchemaNotReady`` (and left exactly as it was) unless
``migrate=True``; ``leadcore migrate --db URL`` shows the pending steps and
``--apply`` applies them.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from tests.integration.conftest import empty_database

from leadcore import Leadcore
from leadcore.cli import main
from leadcore.errors import SchemaNotReady
from leadcore.storage.sql import STEPS, SqlStorage, current_version, migrate

DATABASES = ("sqlite-file", "postgresql", "mariadb")
LATEST = STEPS[-1].version


@pytest.fixture(params=DATABASES)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path) as found:
        yield found


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    made = create_engine(url)
    yield made
    made.dispose()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _version(engine: Engine) -> int:
    with engine.connect() as connection:
        return current_version(connection)


def _add_other_table(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE invoices (id INTEGER PRIMARY KEY)"))


def test_an_empty_database_gets_the_current_schema(url: str, engine: Engine) -> None:
    with Leadcore.open(url) as core:
        _, admin = core.create_organization("Agency", admin_name="Dana")
    assert _version(engine) == LATEST
    with Leadcore.open(url) as again:  # up to date: opened as it is
        assert again.session(admin.id).users.get(admin.id).name == "Dana"


def test_a_database_with_other_tables_is_refused_and_left_alone(url: str, engine: Engine) -> None:
    _add_other_table(engine)
    with pytest.raises(SchemaNotReady, match="invoices") as caught:
        Leadcore.open(url)
    assert (caught.value.version, caught.value.latest) == (0, LATEST)
    assert "migrate=True" in str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    assert _tables(engine) == {"invoices"}


def test_migrate_true_adds_the_schema_beside_other_tables(url: str, engine: Engine) -> None:
    _add_other_table(engine)
    with Leadcore.open(url, migrate=True):
        pass
    assert "invoices" in _tables(engine)
    assert _version(engine) == LATEST


def test_an_older_schema_is_refused_until_migrated(url: str, engine: Engine) -> None:
    migrate(engine, steps=STEPS[:3])
    with pytest.raises(SchemaNotReady, match="leadcore migrate") as caught:
        Leadcore.open(url)
    assert (caught.value.version, caught.value.latest) == (3, LATEST)
    assert _version(engine) == 3
    with Leadcore.open(url, migrate=True):
        pass
    assert _version(engine) == LATEST


def test_a_newer_schema_is_refused_even_with_migrate(url: str, engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO leadcore_schema_version (version, description) VALUES (:v, 'x')"),
            {"v": LATEST + 1},
        )
    with pytest.raises(SchemaNotReady, match="newer"):
        Leadcore.open(url, migrate=True)


# -- SqlStorage(url, create=True) goes through the same check ---------------------------


def test_create_true_refuses_a_database_with_other_tables_and_leaves_it_alone(
    url: str, engine: Engine
) -> None:
    _add_other_table(engine)
    with pytest.raises(SchemaNotReady, match="invoices") as caught:
        SqlStorage(url, create=True)
    assert (caught.value.version, caught.value.latest) == (0, LATEST)
    assert "beside_other_tables=True" in str(caught.value)
    assert _tables(engine) == {"invoices"}


def test_create_true_beside_other_tables_adds_the_schema(url: str, engine: Engine) -> None:
    _add_other_table(engine)
    SqlStorage(url, create=True, beside_other_tables=True).close()
    assert "invoices" in _tables(engine)
    assert _version(engine) == LATEST


def test_create_true_uses_a_database_with_leadcore_s_schema_and_other_tables(
    url: str, engine: Engine
) -> None:
    migrate(engine, steps=STEPS[:3])
    _add_other_table(engine)  # the host's tables, added after leadcore's
    SqlStorage(url, create=True).close()
    assert _version(engine) == LATEST


def test_create_true_on_an_empty_database_creates_the_schema(url: str, engine: Engine) -> None:
    SqlStorage(url, create=True).close()
    assert _version(engine) == LATEST


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def test_the_migrate_command_shows_then_applies_the_pending_steps(url: str, engine: Engine) -> None:
    migrate(engine, steps=STEPS[:3])
    status, out, _ = _cli("migrate", "--db", url)
    assert status == 1
    assert "schema version: 3" in out
    assert [line.split()[0] for line in out.splitlines() if line.startswith("  ")] == [
        str(s.version) for s in STEPS[3:]
    ]
    assert _version(engine) == 3  # showing changes nothing
    status, out, _ = _cli("migrate", "--db", url, "--apply")
    assert status == 0
    assert _version(engine) == LATEST
    status, out, _ = _cli("migrate", "--db", url)
    assert (status, "up to date" in out) == (0, True)


def test_applying_steps_logs_each_one(
    url: str, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    migrate(engine, steps=STEPS[:3])
    with caplog.at_level(logging.INFO, logger="leadcore.storage.sql"):
        migrate(engine)
    steps = [r for r in caplog.records if r.getMessage().startswith("schema step")]
    assert [r.schema_version for r in steps] == [s.version for s in STEPS[3:]]  # type: ignore[attr-defined]


def test_the_migrate_command_names_an_unusable_url() -> None:
    status, _, err = _cli("migrate", "--db", "nosuch://x")
    assert status == 2
    assert "nosuch://x" in err
