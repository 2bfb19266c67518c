"""Nothing is half-written: a statement that fails, a dropped connection, a killed process."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from tests.integration.conftest import BACKENDS, scratch

from leadcore.errors import ConflictError
from leadcore.events._model import NoteAdded
from leadcore.leads import HistoryEntry, HistoryKind, Lead
from leadcore.storage.protocols import UnitOfWork
from leadcore.storage.sql import SqlStorage
from leadcore.tenancy import Organization, Role, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ORG = "org-failures"


def seed(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        uow.organizations.add(Organization(ORG, "Agency", T0))
        uow.users.add(User("user-1", ORG, "Dana", Role.QUALIFIER))
        uow.history.add(HistoryEntry("h-1", ORG, "lead-0", HistoryKind.NOTE, T0, "user-1"))
        uow.commit()


def write_a_bit_of_everything(uow: UnitOfWork, history_id: str) -> None:
    """Writes to several tables; the history entry comes last in the commit."""
    uow.leads.add(Lead("lead-2", ORG, "Avi", T0, T0, phones=("+972505551234",)))
    user = uow.users.get(ORG, "user-1")
    assert user is not None
    uow.users.update(User("user-1", ORG, "Renamed", Role.QUALIFIER))
    uow.do_not_call.add(ORG, "+972505551234")
    uow.events.record(
        NoteAdded(
            event_id="evt-1",
            organization_id=ORG,
            occurred_at=T0,
            actor_id="user-1",
            lead_id="lead-2",
            note_id="n-1",
            text="x",
        )
    )
    uow.history.add(HistoryEntry(history_id, ORG, "lead-2", HistoryKind.NOTE, T0, "user-1"))


def assert_untouched(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        assert uow.leads.get(ORG, "lead-2") is None
        assert uow.leads.matching(ORG, phones=["+972505551234"]) == []
        user = uow.users.get(ORG, "user-1")
        assert user is not None
        assert user.name == "Dana"
        assert uow.do_not_call.list(ORG) == []
        assert uow.events.read(ORG) == []
        assert uow.events.heads() == {}
        assert [e.id for e in uow.history.between(ORG, None, None)] == ["h-1"]


def assert_still_works(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        write_a_bit_of_everything(uow, "h-2")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.leads.get(ORG, "lead-2") is not None
        assert [e.position for e in uow.events.read(ORG)] == [1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_statement_failing_in_the_middle_of_a_commit_writes_nothing(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    seed(storage)
    with storage.unit_of_work() as uow:
        # "h-1" is taken: its insert fails after the lead, user and list rows were sent.
        write_a_bit_of_everything(uow, "h-1")
        with pytest.raises(ConflictError, match="nothing was written"):
            uow.commit()
    assert_untouched(storage)
    assert_still_works(storage)


def _kill_own_connection(admin: Engine, dialect: str) -> Callable[..., None]:
    def hook(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        # On PostgreSQL the insert may be one part of a statement of several (WITH ...).
        if "INSERT INTO LEADCORE_HISTORY" in statement.upper():
            raw = conn.connection.dbapi_connection
            with admin.begin() as c:
                if dialect == "postgresql":
                    pid = raw.info.backend_pid
                    c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                else:
                    c.execute(text(f"KILL {int(raw.thread_id())}"))

    return hook


@pytest.fixture(params=["postgresql", "mariadb"])
def server_storage(request: pytest.FixtureRequest) -> Iterator[tuple[SqlStorage, Engine, str]]:
    """A storage with an engine of its own on a server, and an admin engine beside it."""
    db = scratch(request, request.param)
    db.clear()
    storage = SqlStorage(db.url)
    admin = create_engine(db.url)
    yield storage, admin, request.param
    storage.close()
    admin.dispose()


def test_a_connection_dropped_in_the_middle_of_a_commit_writes_nothing(
    server_storage: tuple[SqlStorage, Engine, str],
) -> None:
    storage, admin, dialect = server_storage
    seed(storage)
    hook = _kill_own_connection(admin, dialect)
    event.listen(storage.engine, "before_cursor_execute", hook)
    try:
        with storage.unit_of_work() as uow:
            write_a_bit_of_everything(uow, "h-2")
            with pytest.raises(DBAPIError):
                uow.commit()
    finally:
        event.remove(storage.engine, "before_cursor_execute", hook)
    assert_untouched(storage)
    # The broken connection is not handed out again: the storage goes on working.
    assert_still_works(storage)


def test_a_pooled_connection_the_server_dropped_is_replaced_at_the_first_read(
    server_storage: tuple[SqlStorage, Engine, str],
) -> None:
    # No ping on every checkout: the first statement meets the dead connection, and the
    # unit of work runs it again on a new one instead of failing.
    storage, admin, dialect = server_storage
    seed(storage)
    with storage.engine.connect() as pooled:
        raw: Any = pooled.connection.dbapi_connection
        killed = raw.info.backend_pid if dialect == "postgresql" else raw.thread_id()
    with admin.begin() as c:
        if dialect == "postgresql":
            c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed})
        else:
            c.execute(text(f"KILL {int(killed)}"))
    with storage.unit_of_work() as uow:
        user = uow.users.get(ORG, "user-1")
        assert user is not None
        assert user.name == "Dana"
    assert_still_works(storage)


_KILLED_WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import UTC, datetime
    from sqlalchemy import event
    from leadcore.storage.sql import SqlStorage
    sys.path.insert(0, sys.argv[2])
    from tests.integration.test_sql_failures import write_a_bit_of_everything

    storage = SqlStorage(sys.argv[1])

    @event.listens_for(storage.engine, "before_cursor_execute")
    def die(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("INSERT INTO LEADCORE_HISTORY"):
            os.kill(os.getpid(), signal.SIGKILL)

    with storage.unit_of_work() as uow:
        write_a_bit_of_everything(uow, "h-2")
        uow.commit()
    """
)


def test_a_process_killed_in_the_middle_of_a_commit_writes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    storage = SqlStorage(url, create=True)
    seed(storage)
    storage.close()
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WRITER, url, str(root)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    reopened = SqlStorage(url)
    try:
        assert_untouched(reopened)
        assert_still_works(reopened)
    finally:
        reopened.close()


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql", "mariadb"])
def test_a_commit_that_waits_too_long_for_a_lock_conflicts_and_writes_nothing(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Another connection holds a lock the commit needs, and keeps it.
    if backend == "sqlite-file":
        url = f"sqlite:///{tmp_path / 'crm.db'}"
        SqlStorage(url, create=True).close()
        take, release = "BEGIN IMMEDIATE", "ROLLBACK"
    else:
        db = scratch(request, backend)
        db.clear()
        url = db.url
        take, release = "BEGIN", "ROLLBACK"
    storage = SqlStorage(url, timeout=1)
    seed(storage)
    blocker = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with blocker.connect() as other:
            other.execute(text(take))
            other.execute(text("UPDATE leadcore_organizations SET revision = revision"))
            with storage.unit_of_work() as uow:
                uow.organizations.update(Organization(ORG, "Renamed", T0))
                uow.do_not_call.add(ORG, "+972505551234")
                with pytest.raises(ConflictError, match="nothing was written"):
                    uow.commit()
            other.execute(text(release))
        with storage.unit_of_work() as uow:
            found = uow.organizations.get(ORG)
            assert found is not None
            assert found.name == "Agency"
            assert uow.do_not_call.list(ORG) == []
    finally:
        blocker.dispose()
        storage.close()
