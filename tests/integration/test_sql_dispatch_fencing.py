"""What the fence of a write under a claim costs on each SQL backend: one read, one write.

Every write made under a claim reads the lead's lease once (the token check)
and writes it once (the compare-and-set on the row's revision, in the
commit's own transaction); the queue's lock columns are written only when
the lock moved. The adapter-independent checks (a parked writer, random
agent threads, window 0, invisible leads) are in the conformance suite
(``DispatchFencingTests``), which runs on every backend here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.dispatch import Pool, PoolKind, ProjectRules
from leadcore.storage.sql import SqlStorage

BACKENDS = ("sqlite-file", "postgresql", "mariadb")
LEASES = "leadcore_dispatch_leases"
QUEUE = "leadcore_dispatch_queue"


def _statements(storage: SqlStorage, run: Callable[[], object]) -> list[str]:
    """The statements ``run`` sends, each as its verb and the tables it names."""
    seen: list[str] = []

    def keep(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        run()
    finally:
        event.remove(storage.engine, "before_cursor_execute", keep)
    return seen


def _verbs_on(table: str, statements: list[str]) -> list[str]:
    """The verbs of the statements that read or write ``table``, in order.

    A PostgreSQL commit sends its writes as the parts of one statement
    (``WITH w0 AS (UPDATE ...), ...``), a MariaDB commit as a compound
    statement (``BEGIN NOT ATOMIC UPDATE ...; ... END``): each part counts as
    a statement.
    """
    verbs: list[str] = []
    for s in statements:
        if s.startswith("WITH w0 AS ("):
            parts = re.findall(r"AS \((INSERT INTO|UPDATE|DELETE FROM) (\S+)", s)
            verbs.extend(verb.split()[0] for verb, name in parts if name == table)
        elif s.startswith("BEGIN NOT ATOMIC"):
            parts = re.findall(r"(?:^BEGIN NOT ATOMIC|;) (INSERT INTO|UPDATE|DELETE FROM) (\S+)", s)
            verbs.extend(verb.split()[0] for verb, name in parts if name == table)
        elif f" {table}" in s:
            verbs.append(s.split()[0])
    return verbs


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_write_under_a_claim_reads_and_writes_the_lease_once(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    storage = make_storage(backend)
    core = Leadcore(storage=storage, clock=ManualClock())
    _, admin = core.create_organization("Agency", admin_name="Maya")
    manager = core.session(admin.id)
    agent = manager.users.create("Dana", "qualifier").id
    project = manager.leads.create_project("Spring", rules=ProjectRules(), member_ids=[agent])
    manager.dispatch.set_pools(project.id, [Pool("hot", PoolKind.PROJECT, "Hot")], order=["hot"])
    lead = manager.leads.create("lead", project_id=project.id, pool_id="hot").id
    d = core.session(agent).dispatch
    claim = d.next(project.id)
    assert claim is not None
    token = claim.token
    writes: list[tuple[str, Callable[[], object]]] = [
        ("add_note", lambda: d.add_note(lead, token, "hello")),
        ("change_status", lambda: d.change_status(lead, token, "new")),
        ("log_call", lambda: d.log_call(lead, token, outcome="busy")),
        ("renew", lambda: d.renew(lead, token)),
        ("release", lambda: d.release(lead, token)),
    ]
    for kind, write in writes:
        sent = _statements(storage, write)
        on_lease = _verbs_on(LEASES, sent)
        # One read for the check, then the compare-and-set as the one write of the lease
        # (a status change or a call also re-reads it when its commit rebuilds the queue).
        assert on_lease[:2] == ["SELECT", "UPDATE"], (kind, sent)
        assert on_lease.count("UPDATE") == 1, (kind, sent)
        if kind == "add_note":
            # A note leaves the lock as it was: the queue is not written.
            assert _verbs_on(QUEUE, sent) == [], sent
