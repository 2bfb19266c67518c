"""Imports running at once, in threads and in processes: no repeat of a number is missed.

Every process imports its own file of rows whose numbers overlap the others',
in small batches, all starting together. A batch that loses its races more
often than the service retries it is imported again from where the report says
the import stopped, as a client would. Afterwards every number has exactly one
lead that is not a duplicate, and every other lead with that number names it.
"""

from __future__ import annotations

import json
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import pytest
from tests.integration.conftest import run_together, scratch, unique

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock
from leadcore.errors import ConflictError
from leadcore.leads import ImportInterrupted, Lead
from leadcore.storage.sql import SqlStorage

T0: Final = datetime(2026, 3, 2, 9, tzinfo=UTC)
WORKERS: Final = 4
ROWS: Final = 150
NUMBERS: Final = [f"053-{i:07d}" for i in range(12)]
#: A worker that has not finished by then is stuck: fail rather than hang the run.
HANG_GUARD: Final = 300.0


def _files(rows: int = ROWS) -> list[list[dict[str, str]]]:
    """One file per worker; worker ``t`` steps through the numbers ``t + 1`` at a time."""
    return [
        [
            {"name": f"W{t} row {i}", "phone": NUMBERS[(i * (t + 1)) % len(NUMBERS)]}
            for i in range(rows)
        ]
        for t in range(WORKERS)
    ]


def check_one_first_lead_per_number(leads: Sequence[Lead], rows: int = ROWS) -> None:
    """Every number has one lead that is not a duplicate, and the others name it."""
    assert len(leads) == WORKERS * rows
    by_number: dict[str, list[Lead]] = {}
    for lead in leads:
        [phone] = lead.phones
        by_number.setdefault(phone, []).append(lead)
    assert len(by_number) == len(NUMBERS)
    for phone, same in by_number.items():
        firsts = [lead for lead in same if lead.duplicate_of is None]
        assert len(firsts) == 1, (phone, [(x.name, x.duplicate_of) for x in same])
        assert {x.duplicate_of for x in same if x is not firsts[0]} == {firsts[0].id}


def import_until_done(s: Session, rows: Sequence[Mapping[str, str]]) -> int:
    """Import ``rows`` in batches of 5, again from where an import stopped; the retries."""
    done = retries = 0
    while done < len(rows):
        try:
            s.leads.import_many(rows[done:], batch_size=5)
            done = len(rows)
        except ImportInterrupted as stopped:
            done += len(stopped.report.rows)
            retries += 1
        except ConflictError:
            retries += 1  # the first batch lost its races: nothing of it was written
        assert retries <= 200, "an import never got through"
    return retries


_WORKER: Final = textwrap.dedent(
    """
    import json
    import sys
    from datetime import UTC, datetime

    url, rls, user_id, rows, root = sys.argv[1:6]
    sys.path.insert(0, root)

    from leadcore import Leadcore, ManualClock
    from leadcore.storage.sql import SqlStorage
    from tests.integration.test_sql_import_concurrency import import_until_done

    storage = SqlStorage(url, row_level_security=rls == "1")
    core = Leadcore(storage=storage, clock=ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
    s = core.session(user_id)
    print("ready", flush=True)
    sys.stdin.readline()
    rows = json.loads(rows)
    retries = import_until_done(s, rows)
    core.close()
    print(f"imported {len(rows)} retries {retries}", flush=True)
    """
)

#: Where ``tests`` can be imported from, for the workers.
_ROOT: Final = str(Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("backend", ["postgresql", "postgresql-rls", "mariadb", "sqlite-file"])
def test_imports_in_processes_at_once_flag_every_repeat_against_one_first_lead(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "sqlite-file":
        url = f"sqlite:///{tmp_path / unique('import')}.db"
        storage, rls = SqlStorage(url, create=True), False
    else:
        db = scratch(request, backend)
        url, storage, rls = db.url, db.storage(), db.row_level_security
    core = Leadcore(storage=storage, clock=ManualClock(T0))
    try:
        _, admin = core.create_organization("Bench", admin_name="Admin", default_region="IL")
        flag = "1" if rls else "0"
        argvs = [[url, flag, admin.id, json.dumps(rows), _ROOT] for rows in _files()]
        for out in run_together(_WORKER, argvs):
            assert out.startswith(f"imported {ROWS} "), out
        check_one_first_lead_per_number(core.session(admin.id).leads.list(limit=1000).items)
    finally:
        core.close()


@pytest.mark.parametrize("backend", ["sqlite-file", "postgresql", "mariadb"])
def test_imports_in_threads_at_once_flag_every_repeat_against_one_first_lead(
    backend: str, make_storage: Callable[[str], SqlStorage]
) -> None:
    core = Leadcore(make_storage(backend), ManualClock(T0))
    _, admin = core.create_organization("Bench", admin_name="Admin", default_region="IL")
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def run(rows: list[dict[str, str]]) -> None:
        s = core.session(admin.id)
        start.wait()
        try:
            import_until_done(s, rows)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(rows,)) for rows in _files(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    check_one_first_lead_per_number(core.session(admin.id).leads.list(limit=1000).items, 30)
