"""Query plans of lead lists and status counts at 10^6 leads, on PostgreSQL and MariaDB.

The repository's own statements are captured while it answers (a SQLAlchemy
cursor hook), then explained on the same database with the same parameters,
so the plans shown are those of the queries leadcore really sends.

    python benchmarks/sql_plans.py [--leads N]

The servers come from ``LEADCORE_BENCH_POSTGRES_URL`` and
``LEADCORE_BENCH_MYSQL_URL``; a database whose variable is unset is skipped
with a line saying so. Each run seeds a scratch schema (PostgreSQL) or
database (MariaDB) with set-based SQL and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from leadcore.leads._model import Lead
from leadcore.leads._query import LeadQuery
from leadcore.storage.sql import SqlStorage, migrate
from leadcore.storage.sql._codec import encode

ORG = "org-1"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
STATUSES = ("new", "contacted", "callback", "qualified", "won", "lost")  # and no status

# (title, what the repository is asked)
Call = Callable[[Any], object]
QUERIES: list[tuple[str, Call]] = [
    (
        "default list: done statuses hidden, newest first, 50 a page",
        lambda uow: uow.leads.query(ORG, LeadQuery(exclude_status_ids={"won", "lost"}, limit=50)),
    ),
    (
        "status tab: one status, newest first",
        lambda uow: uow.leads.query(ORG, LeadQuery(status_ids={"callback"}, limit=50)),
    ),
    (
        "one project's leads",
        lambda uow: uow.leads.query(ORG, LeadQuery(project_id="project-3", limit=50)),
    ),
    (
        "an agent's leads (assigned to them)",
        lambda uow: uow.leads.query(ORG, LeadQuery(assignee_id="user-6", limit=50)),
    ),
    (
        "status counts of the organisation (the tabs)",
        lambda uow: uow.leads.count_by_status(ORG, LeadQuery()),
    ),
    (
        "status counts of one project",
        lambda uow: uow.leads.count_by_status(ORG, LeadQuery(project_id="project-3")),
    ),
]


def _template() -> str:
    lead = Lead(id="lead-TEMPLATE", organization_id=ORG, name="Lead", created_at=T0, updated_at=T0)
    return encode(lead)


_PG_SEED = """
INSERT INTO leadcore_leads (organization_id, id, revision, version, created_us, status_id,
    project_id, pool_id, supplier_id, channel, converted, search, record)
SELECT CASE WHEN i % 10 = 0 THEN 'org-2' ELSE 'org-1' END, 'lead-' || i, 1, 1,
       :t0 + i * 1000000,
       (ARRAY[NULL, 'new', 'contacted', 'callback', 'qualified', 'won', 'lost'])[1 + i % 7],
       'project-' || (i % 10), NULL, CASE WHEN i % 3 = 0 THEN 'supplier-1' END,
       (ARRAY['facebook', 'google', 'site'])[1 + i % 3], false, 'lead ' || i,
       replace(:template, 'lead-TEMPLATE', 'lead-' || i)
FROM generate_series(1::bigint, :n) AS i
"""
_PG_ASSIGN = """
INSERT INTO leadcore_lead_assignees (organization_id, user_id, lead_id, created_us)
SELECT 'org-1', 'user-' || (i % 20), 'lead-' || i, :t0 + i * 1000000
FROM generate_series(1::bigint, :n) AS i WHERE i % 10 <> 0 AND i % 5 = 1
"""
_MY_SEED = """
INSERT INTO leadcore_leads (organization_id, id, revision, version, created_us, status_id,
    project_id, pool_id, supplier_id, channel, converted, search, record)
SELECT IF(seq % 10 = 0, 'org-2', 'org-1'), CONCAT('lead-', seq), 1, 1, :t0 + seq * 1000000,
       IF(seq % 7 = 0, NULL, ELT(seq % 7, 'new', 'contacted', 'callback', 'qualified', 'won',
          'lost')),
       CONCAT('project-', seq % 10), NULL, IF(seq % 3 = 0, 'supplier-1', NULL),
       ELT(1 + seq % 3, 'facebook', 'google', 'site'), 0, CONCAT('lead ', seq),
       REPLACE(:template, 'lead-TEMPLATE', CONCAT('lead-', seq))
FROM seq_1_to_{n}
"""
_MY_ASSIGN = """
INSERT INTO leadcore_lead_assignees (organization_id, user_id, lead_id, created_us)
SELECT 'org-1', CONCAT('user-', seq % 20), CONCAT('lead-', seq), :t0 + seq * 1000000
FROM seq_1_to_{n} WHERE seq % 10 <> 0 AND seq % 5 = 1
"""


@contextmanager
def _scratch(kind: str, base: str) -> Iterator[str]:
    name = f"leadcore_plans_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            if kind == "postgresql":
                c.execute(text(f'CREATE SCHEMA "{name}"'))
            else:
                c.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        if kind == "postgresql":
            url = make_url(base).update_query_dict({"options": f"-csearch_path={name}"})
        else:
            url = make_url(base).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            if kind == "postgresql":
                c.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                c.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def _seed(kind: str, engine: Engine, n: int) -> float:
    started = time.perf_counter()
    params = {"t0": int(T0.timestamp() * 1_000_000), "template": _template(), "n": n}
    with engine.begin() as c:
        if kind == "postgresql":
            c.execute(text(_PG_SEED), params)
            c.execute(text(_PG_ASSIGN), params)
        else:
            c.execute(text(_MY_SEED.format(n=n)), params)
            c.execute(text(_MY_ASSIGN.format(n=n)), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        if kind == "postgresql":
            # VACUUM sets the visibility map, so index-only scans are possible.
            c.execute(text("VACUUM ANALYZE leadcore_leads"))
            c.execute(text("VACUUM ANALYZE leadcore_lead_assignees"))
        else:
            c.execute(text("ANALYZE TABLE leadcore_leads, leadcore_lead_assignees"))
    return time.perf_counter() - started


def _captured(storage: SqlStorage, call: Call) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def hook(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "leadcore_leads" in statement:
            seen.append((statement, parameters))

    event.listen(storage.engine, "before_cursor_execute", hook)
    try:
        with storage.unit_of_work() as uow:
            call(uow)
    finally:
        event.remove(storage.engine, "before_cursor_execute", hook)
    return seen


def _explain(kind: str, engine: Engine, statement: str, parameters: Any) -> list[str]:
    if kind == "postgresql":
        prefix = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) "
    else:
        # MariaDB's ANALYZE runs the statement and reports the rows each step really read.
        prefix = "ANALYZE "
    with engine.connect() as c:
        result = c.exec_driver_sql(prefix + statement, parameters)
        rows = result.all()
        if kind == "postgresql":
            return [str(r[0]) for r in rows]
        keys = list(result.keys())
        wanted = ("table", "type", "key", "r_rows", "Extra")
        return ["  ".join(f"{k}={r[keys.index(k)]}" for k in wanted if k in keys) for r in rows]


def plans(kind: str, base: str, n: int) -> None:
    label = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}[kind]
    with _scratch(kind, base) as url:
        storage = SqlStorage(url)
        try:
            migrate(storage.engine)
            seconds = _seed(kind, storage.engine, n)
            print(f"\n### {label}: {n:,} leads (seeded and analysed in {seconds:.1f} s)\n")
            for title, call in QUERIES:
                print(f"**{title}**\n\n```")
                for statement, parameters in _captured(storage, call)[:1]:
                    for line in _explain(kind, storage.engine, statement, parameters):
                        print(line)
                print("```\n")
        finally:
            storage.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="leads to seed")
    args = parser.parse_args(argv)
    for kind, env in (
        ("postgresql", "LEADCORE_BENCH_POSTGRES_URL"),
        ("mariadb", "LEADCORE_BENCH_MYSQL_URL"),
    ):
        base = os.environ.get(env, "").strip()
        if not base:
            print(f"\n### {kind}: skipped: {env} is not set", file=sys.stdout)
            continue
        plans(kind, base, args.leads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
