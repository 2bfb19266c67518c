"""Real databases for the SQL adapter's tests: scratch schemas that the tests create and drop.

This folder holds every test that opens a database (SQLite ones always run, as
they need no server), runs the demo, or drains work on many threads;
``tests/unit`` opens none.

- ``LEADCORE_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
  and ``LEADCORE_TEST_MYSQL_URL`` (e.g. ``mysql+pymysql://root@127.0.0.1:3306/test``)
  name the servers. Without one, its tests skip and say why, unless
  ``LEADCORE_REQUIRE_DATABASES=1`` (CI), which makes a missing server a failure.
- Each run works in schemas (PostgreSQL) and databases (MariaDB) of its own,
  with unique names, created here and dropped afterwards; nothing relies on
  what an earlier run left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Final

import attrs
import pytest
from sqlalchemy import Engine, create_engine, delete, text
from sqlalchemy.engine import make_url

from leadcore.storage.sql import SqlStorage, enable_row_level_security, metadata, migrate

POSTGRES_ENV: Final = "LEADCORE_TEST_POSTGRES_URL"
MYSQL_ENV: Final = "LEADCORE_TEST_MYSQL_URL"
REQUIRE_ENV: Final = "LEADCORE_REQUIRE_DATABASES"

BACKENDS: Final = ("sqlite-memory", "sqlite-file", "postgresql", "postgresql-rls", "mariadb")
"""Every SQL backend; ``postgresql-rls`` is PostgreSQL with Row-Level Security, as an app role."""


def server_url(env: str) -> str:
    """The URL in ``env``; skip (or fail, when databases are required) without it."""
    url = os.environ.get(env, "").strip()
    if url:
        return url
    message = f"{env} is not set: no database server to run this test against"
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{message}, and {REQUIRE_ENV}=1 requires one")
    pytest.skip(message)


def unique(prefix: str) -> str:
    """A name no other run uses."""
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A new empty schema; yields a URL whose connections use it (dropped afterwards)."""
    schema = unique("leadcore_test")
    admin = create_engine(base)
    try:
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
        # Commits wait for no disk flush here: the tests check behaviour, not power cuts.
        options = f"-csearch_path={schema} -csynchronous_commit=off"
        url = make_url(base).update_query_dict({"options": options})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def mysql_database(base: str) -> Iterator[str]:
    """A new empty database; yields its URL (dropped afterwards)."""
    name = unique("leadcore_test")
    admin = create_engine(base)
    try:
        with admin.begin() as c:
            c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@contextmanager
def empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database of ``backend`` (without leadcore's tables)."""
    if backend == "sqlite-memory":
        yield "sqlite://"
    elif backend == "sqlite-file":
        yield f"sqlite:///{tmp_path / unique('crm')}.db"
    elif backend == "postgresql":
        with postgres_schema(server_url(POSTGRES_ENV)) as url:
            yield url
    elif backend == "mariadb":
        with mysql_database(server_url(MYSQL_ENV)) as url:
            yield url
    else:  # pragma: no cover - a typo in a test
        raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")


@contextmanager
def postgres_app_role(owner_url: str) -> Iterator[str]:
    """A new login role that may use the tables but owns nothing; yields its URL.

    It is neither a superuser nor ``BYPASSRLS``: the Row-Level Security
    policies apply to it.
    """
    role = unique("leadcore_app")
    owner = create_engine(owner_url)
    url = make_url(owner_url)
    schema = str(url.query["options"]).split("search_path=", 1)[1].split()[0]
    try:
        with owner.begin() as c:
            c.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT"))
            c.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}'))
            c.execute(
                text(
                    f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{schema}" '
                    f"TO {role}"
                )
            )
        yield url.set(username=role, password=None).render_as_string(hide_password=False)
    finally:
        with owner.begin() as c:
            c.execute(text(f"DROP OWNED BY {role}"))
            c.execute(text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


@attrs.define
class ScratchDatabase:
    """A migrated database shared by the tests of one run, emptied before each test."""

    url: str
    engine: Engine
    owner: Engine
    """Connects as the tables' owner (the same as ``engine`` but under RLS)."""
    row_level_security: bool = False

    def clear(self) -> None:
        """Delete every row of leadcore's tables (the schema version stays)."""
        with self.owner.begin() as c:
            for table in reversed(metadata.sorted_tables):
                if table.name != "leadcore_schema_version":
                    c.execute(delete(table))

    def storage(self) -> SqlStorage:
        """A storage on the emptied database (sharing this run's connection pool)."""
        self.clear()
        return SqlStorage(self.engine, row_level_security=self.row_level_security)


@contextmanager
def _scratch(
    make: Callable[[str], AbstractContextManager[str]], env: str
) -> Iterator[ScratchDatabase]:
    with make(server_url(env)) as url:
        engine = create_engine(url)
        migrate(engine)
        try:
            yield ScratchDatabase(url, engine, engine)
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def postgresql() -> Iterator[ScratchDatabase]:
    """A migrated PostgreSQL schema for this run."""
    with _scratch(postgres_schema, POSTGRES_ENV) as db:
        yield db


@pytest.fixture(scope="session")
def postgresql_rls() -> Iterator[ScratchDatabase]:
    """A PostgreSQL schema with Row-Level Security, used through an application role."""
    with postgres_schema(server_url(POSTGRES_ENV)) as owner_url:
        owner = create_engine(owner_url)
        migrate(owner)
        enable_row_level_security(owner)
        try:
            with postgres_app_role(owner_url) as app_url:
                app = create_engine(app_url)
                try:
                    yield ScratchDatabase(app_url, app, owner, row_level_security=True)
                finally:
                    app.dispose()
        finally:
            owner.dispose()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[ScratchDatabase]:
    """A migrated MariaDB/MySQL database for this run."""
    with _scratch(mysql_database, MYSQL_ENV) as db:
        yield db


def scratch(request: pytest.FixtureRequest, backend: str) -> ScratchDatabase:
    """The shared scratch database of a server backend (``postgresql``, ``mariadb``...)."""
    found: ScratchDatabase = request.getfixturevalue(backend.replace("-", "_"))
    return found


@pytest.fixture
def make_storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], SqlStorage]]:
    """Open a new, empty storage of a backend by name; every one is closed after the test."""
    opened: list[SqlStorage] = []

    def make(backend: str) -> SqlStorage:
        if backend == "sqlite-memory":
            storage = SqlStorage("sqlite://", create=True)
        elif backend == "sqlite-file":
            storage = SqlStorage(f"sqlite:///{tmp_path / unique('crm')}.db", create=True)
        elif backend in BACKENDS:
            storage = scratch(request, backend).storage()
        else:  # pragma: no cover - a typo in a test
            raise ValueError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
        opened.append(storage)
        return storage

    yield make
    for storage in opened:
        storage.close()


def new_storage(request: pytest.FixtureRequest, backend: str, prefix: str = "crm") -> SqlStorage:
    """A storage of ``backend``: SQLite in memory or in a new file, else on the backend's
    scratch database (see :func:`scratch`)."""
    if backend == "sqlite-memory":
        return SqlStorage("sqlite://", create=True)
    if backend == "sqlite-file":
        path = request.getfixturevalue("tmp_path") / f"{unique(prefix)}.db"
        return SqlStorage(f"sqlite:///{path}", create=True)
    return scratch(request, backend).storage()


#: A worker process that has not finished by then is stuck: fail rather than hang the run.
HANG_GUARD: Final = 300.0


def run_together(script: str, argvs: Sequence[Sequence[str]]) -> list[str]:
    """Run ``python -c script`` once per argument list, all starting their work together.

    Each worker prints ``ready`` once it is set up, then waits for a line on
    standard input; every worker gets it at once. Returns what each printed
    after that; a worker that fails (or outlives :data:`HANG_GUARD`) fails the test.
    """
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    try:
        for w in workers:
            assert w.stdout is not None
            assert w.stdout.readline().strip() == "ready", w.stderr.read() if w.stderr else ""
        for w in workers:
            assert w.stdin is not None
            w.stdin.write("go\n")
            w.stdin.flush()
        outputs = []
        for w in workers:
            out, err = w.communicate(timeout=HANG_GUARD)
            assert w.returncode == 0, err
            outputs.append(out)
        return outputs
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
