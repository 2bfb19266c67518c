"""Lead lookups on SQLite read through the index their question names, not a scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from leadcore.leads import Lead
from leadcore.storage.sql import SqlStorage

ORG = "org-1"
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _lead(n: int) -> Lead:
    # One import: every lead created at the same instant, all inside the window.
    at = T0
    return Lead(
        id=f"lead-{n}",
        organization_id=ORG,
        name=f"Lead {n}",
        created_at=at,
        updated_at=at,
        phones=[f"+97250555{n:04d}"],
        emails=[f"lead{n}@example.com"],
    )


def test_a_duplicate_lookup_in_the_window_reads_contact_keys_then_leads_by_key(
    tmp_path: Path,
) -> None:
    storage = SqlStorage(f"sqlite:///{tmp_path / 'plans.db'}", create=True)
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if statement.lstrip().startswith("SELECT") and "leadcore_lead" in statement:
            statements.append((statement, parameters))

    try:
        with storage.unit_of_work() as uow:
            for n in range(200):
                uow.leads.add(_lead(n))
            uow.commit()
        event.listen(storage.engine, "before_cursor_execute", seen)
        with storage.unit_of_work() as uow:
            found = uow.leads.matching(
                ORG,
                phones=["+972505550007"],
                emails=["lead9@example.com"],
                since=T0 - timedelta(days=30),
            )
        event.remove(storage.engine, "before_cursor_execute", seen)
        assert [lead.id for lead in found] == ["lead-7", "lead-9"]
        plans = []
        with storage.engine.connect() as c:
            for statement, parameters in statements:
                rows = c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                plans.append(" | ".join(str(row[-1]) for row in rows))
        assert plans, "no lookup statement was seen"
        for plan in plans:
            # Neither a scan nor the creation-time index, which reads every lead of the window.
            assert "SCAN" not in plan, plan
            assert "ix_leadcore_leads_created" not in plan, plan
    finally:
        storage.close()
