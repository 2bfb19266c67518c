"""How many statements a use case sends, counted with ``before_cursor_execute``: never timed.

Each ceiling is what the use case sends today with a warm configuration cache
(a second call of the same kind), so a change that adds a round trip fails
here. SQLite counts its ``BEGIN IMMEDIATE``/``COMMIT`` too.
The aims are ``leads.create`` 6, ``leads.change_status`` 5 and a claim on
PostgreSQL 4. On PostgreSQL and MariaDB ``leads.create`` is at 3 (the
configuration check, one read of the lead id and contact keys, one statement
of every write: data-modifying CTEs on PostgreSQL, a compound statement on
MariaDB) and ``leads.change_status`` at 5 (the configuration check, the read
of the lead, one statement of the record writes, one ``UPDATE`` of the queue
row's lead columns, one statement of the events). On SQLite, where a
statement is a call into the library rather than a round trip, each table
the commit writes costs a statement. Lower a ceiling when a change reaches it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.storage.sql import SqlStorage

CEILINGS = {
    # backend: (leads.create, leads.change_status, dispatch.next)
    "sqlite-file": (11, 11, 13),
    "postgresql": (3, 5, 4),
    "mariadb": (3, 5, 6),
}


def _count(storage: SqlStorage, run: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def keep(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split())[:120])

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    return seen


def _centre(storage: SqlStorage) -> tuple[Session, Session, str]:
    core = Leadcore(storage=storage, clock=ManualClock())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    agent = manager.users.create("Dana", "qualifier").id
    project = manager.leads.create_project("Spring", rules=ProjectRules(), member_ids=[agent])
    manager.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")], order=["hot"])
    for i in range(3):
        manager.leads.create(f"Lead {i}", project_id=project.id, pool_id="hot")
    return manager, core.session(agent), project.id


@pytest.mark.parametrize("backend", sorted(CEILINGS))
def test_a_use_case_sends_no_more_statements_than_its_ceiling(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    manager, agent, project_id = _centre(storage)
    create, change, claim = CEILINGS[backend]
    # Warm: every call below is the second of its kind.
    lead = manager.leads.create("Warm", project_id=project_id, pool_id="hot")
    manager.leads.change_status(lead.id, "new")
    assert agent.dispatch.next(project_id) is not None

    sent = _count(storage, lambda: manager.leads.create("Noa", project_id=project_id))
    assert len(sent) <= create, sent
    sent = _count(storage, lambda: manager.leads.change_status(lead.id, "contacted", note="hi"))
    assert len(sent) <= change, sent
    sent = _count(storage, lambda: agent.dispatch.next(project_id))
    assert len(sent) <= claim, sent


def test_a_commit_on_a_hosts_postgresql_engine_waits_for_locks_no_longer_than_the_timeout(
    make_storage: Callable[[str], SqlStorage],
) -> None:
    # The storage's engine is the test run's (a host's): the timeout is set per
    # transaction, by the first configuration read when there is one.
    storage = make_storage("postgresql")
    manager, _, project_id = _centre(storage)
    settings: list[str] = []

    def keep(connection: Any, *_: Any) -> None:
        settings.append(connection.exec_driver_sql("SHOW lock_timeout").scalar_one())

    event.listen(storage.engine, "commit", keep)
    try:
        manager.leads.create("Noa", project_id=project_id)
    finally:
        event.remove(storage.engine, "commit", keep)
    assert settings
    assert set(settings) == {"30s"}
