"""The writers of derived tables are passed to a transaction, not registered on import."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from sqlalchemy import Connection, func, select

from leadcore import Leadcore
from leadcore.storage import sql
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._dispatch_queue import write_queue
from leadcore.storage.sql._dispatch_records import QUEUE
from leadcore.storage.sql._storage import DERIVED_WRITERS
from leadcore.storage.sql._tables import DO_NOT_CALL
from leadcore.storage.sql._tx import DerivedWriter, SqlTransaction


def test_importing_the_sql_modules_changes_no_writers() -> None:
    for module in pkgutil.iter_modules(sql.__path__):
        importlib.import_module(f"{sql.__name__}.{module.name}")
    assert not hasattr(SqlTransaction, "derived_writers")
    assert (write_queue,) == DERIVED_WRITERS
    storage = SqlStorage("sqlite://", create=True)
    try:
        with storage.unit_of_work() as uow:
            assert uow.tx.writers == (write_queue,)
    finally:
        storage.close()


def test_a_transaction_runs_exactly_the_writers_it_is_given() -> None:
    storage = SqlStorage("sqlite://", create=True)
    calls: list[tuple[str, SqlTransaction]] = []

    def writer(name: str) -> DerivedWriter:
        def write(tx: SqlTransaction, connection: Connection) -> None:
            calls.append((name, tx))

        return write

    try:
        tx = SqlTransaction(storage._store, [writer("first"), writer("second")])
        tx.put(DO_NOT_CALL, ("org-1", "+972501234567"), "+972501234567")
        tx.commit()
        assert calls == [("first", tx), ("second", tx)]
        tx.close()
        bare = SqlTransaction(storage._store)
        bare.put(DO_NOT_CALL, ("org-1", "+972501234568"), "+972501234568")
        bare.commit()
        bare.close()
        assert len(calls) == 2
    finally:
        storage.close()


def _queued(storage: SqlStorage) -> int:
    with storage.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(QUEUE)).scalar_one())


def test_without_the_queue_writer_a_commit_queues_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    for writers, queued in (((), 0), (DERIVED_WRITERS, 1)):
        storage = SqlStorage(url, create=True)
        storage._store.writers = writers
        with Leadcore(storage=storage) as core:
            _, admin = core.create_organization("Agency", admin_name="Dana")
            s = core.session(admin.id)
            project = s.leads.create_project("Spring")
            s.leads.create("Yael Cohen", project_id=project.id, pool_id="fresh")
            assert _queued(storage) == queued
        (tmp_path / "crm.db").unlink()
