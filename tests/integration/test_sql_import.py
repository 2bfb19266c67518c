"""Set-based import on SQL: statements per batch, not per row; the same report as memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Table, event, func, select
from sqlalchemy.exc import IntegrityError

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds
from leadcore.leads import ImportInterrupted, ImportOutcome
from leadcore.storage.protocols import Storage
from leadcore.storage.sql import SqlStorage
from leadcore.storage.sql._backend import backend_for
from leadcore.storage.sql._bulk import insert_many
from leadcore.storage.sql._tables import CONTACT_KEYS

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
BACKENDS = ("sqlite-file", "postgresql", "mariadb")


def _rows(n: int) -> list[dict[str, object]]:
    """``n`` rows: every fifth repeats an earlier phone or address, every 50th is invalid."""
    rows: list[dict[str, object]] = []
    for i in range(n):
        if i % 50 == 49:
            rows.append({"name": "", "phone": "not a number"})
        elif i % 5 == 4:
            earlier = i - 3
            if i % 2:
                rows.append({"name": f"Again {i}", "phone": f"053-{earlier:07d}"})
            else:
                rows.append({"name": f"Again {i}", "email": f"LEAD{earlier}@example.com"})
        else:
            rows.append(
                {"name": f"Lead {i}", "phone": f"053-{i:07d}", "email": f"lead{i}@example.com"}
            )
    return rows


def _session(storage: Storage) -> tuple[Leadcore, Session]:
    core = Leadcore(storage, ManualClock(T0), SequentialIds())
    _, admin = core.create_organization("Bench", admin_name="Admin", default_region="IL")
    s = core.session(admin.id)
    s.leads.add_blocked_number("053-0000002")
    return core, s


def _count_statements(storage: SqlStorage) -> tuple[list[str], Callable[[], None]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(storage.engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(storage.engine, "before_cursor_execute", count)


#: The most statements one batch of an import may send, on any backend.
PER_BATCH = 40


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_import_issues_statements_per_batch_not_per_row(
    make_storage: Callable[[str], SqlStorage], backend: str
) -> None:
    per_size: dict[int, int] = {}
    for n in (1, 1000, 5000):
        storage = make_storage(backend)
        _, s = _session(storage)
        rows = _rows(n)
        seen, stop = _count_statements(storage)
        try:
            report = s.leads.import_many(rows, batch_size=1000)
        finally:
            stop()
        assert len(report.rows) == n
        assert report.batches == -(-n // 1000)
        per_size[n] = len(seen)
    # One batch costs a fixed number of statements, whatever its size...
    assert per_size[1000] <= PER_BATCH, per_size
    assert per_size[1] <= per_size[1000], per_size
    # ...and five batches at most five times that (never one per row). On PostgreSQL
    # the count depends on whether a table takes COPY (not counted) or, under Row-Level
    # Security, an INSERT: the bound is the ceiling's, not the first batch's count.
    assert per_size[5000] <= 5 * PER_BATCH, per_size


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("batch_size", [1, 7, 1000])
def test_an_import_reports_and_stores_what_the_memory_storage_does(
    make_storage: Callable[[str], SqlStorage], backend: str, batch_size: int
) -> None:
    rows = _rows(60)
    answers = []
    for storage in (None, make_storage(backend)):
        core, s = _session(storage) if storage is not None else _session(Leadcore.open().storage)
        report = s.leads.import_many(iter(rows), batch_size=batch_size)
        leads = sorted(
            (lead.id, lead.duplicate_of, lead.do_not_call, lead.phones, lead.emails)
            for lead in s.leads.list(include_done=True, limit=100_000).items
        )
        kinds = [stored.event for stored in core.events.read(s.organization_id, limit=100_000)]
        answers.append((report.rows, report.batches, leads, kinds))
    assert answers[0] == answers[1]
    report_rows = answers[0][0]
    assert {r.outcome for r in report_rows} == set(ImportOutcome)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failing_batch_leaves_the_earlier_batches_committed(
    make_storage: Callable[[str], SqlStorage], backend: str
) -> None:
    _, s = _session(make_storage(backend))

    def rows() -> Iterator[dict[str, object]]:
        yield from _rows(5)
        raise OSError("the file is cut short")

    with pytest.raises(ImportInterrupted) as caught:
        s.leads.import_many(rows(), batch_size=2)
    assert caught.value.report.batches == 2
    assert len(caught.value.report.rows) == 4
    assert isinstance(caught.value.__cause__, OSError)
    assert len(s.leads.list(include_done=True, limit=100_000).items) == 4


def test_key_list_lookups_are_never_prepared_with_a_generic_plan_on_postgresql(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage("postgresql")
    _, s = _session(storage)
    # More batches than psycopg's threshold of five runs before it prepares a statement.
    s.leads.import_many(_rows(80), batch_size=10)
    with storage.engine.connect() as c:
        # The pool hands the import's connection back: it holds what it prepared.
        prepared = c.exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
        threshold = getattr(c.connection.driver_connection, "prepare_threshold", None)
    lookups = [
        sql
        for (sql,) in prepared
        if sql.startswith("SELECT")
        and ("leadcore_contact_keys" in sql or "leadcore_lead_contacts" in sql)
        and (" IN (" in sql or "ANY (" in sql)
    ]
    assert lookups == []
    assert threshold == 5


def test_a_lookup_by_thousands_of_keys_is_one_statement_of_one_array_on_postgresql(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage("postgresql")
    _, s = _session(storage)
    s.leads.import_many(_rows(50))
    org = s.organization_id
    phones = [f"+97250{i:07d}" for i in range(3000)]
    sent: list[tuple[str, Any]] = []

    def keep(*args: Any) -> None:
        sent.append((str(args[2]), args[3]))

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        with storage.unit_of_work() as uow:
            uow.leads.matching(org, phones=phones, emails=["lead1@example.com"])
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    lookups = [(sql, params) for sql, params in sent if "leadcore_lead_contacts" in sql]
    [(sql, params)] = lookups
    assert "= ANY (" in sql
    assert len(params) == 2  # the organisation and one array of 3,001 keys


def test_under_row_level_security_an_import_stores_what_the_memory_storage_does(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    # COPY FROM does not take tables with Row-Level Security: the rows go in another way.
    test_an_import_reports_and_stores_what_the_memory_storage_does(
        make_storage, "postgresql-rls", 1000
    )


def test_a_taken_key_in_a_bulk_insert_is_the_conflict_an_insert_raises_on_postgresql(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    storage = make_storage("postgresql")
    table = _bulk_table()
    rows = [{"organization_id": "o", "contact_key": f"k{i}", "revision": 1} for i in range(20)]
    with storage.engine.begin() as connection:
        insert_many(connection, table, rows)
    with storage.engine.begin() as connection, pytest.raises(IntegrityError) as caught:
        insert_many(connection, table, [*rows[10:], {**rows[0], "contact_key": "new"}])
    backend = backend_for(storage.engine.url, row_level_security=False, timeout=5.0)
    assert backend.is_duplicate(caught.value)
    with storage.engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    assert count == 20


def _bulk_table() -> Table:
    return CONTACT_KEYS.table
