"""SQL dispatch benchmarks: claim latency on SQLite, claims/s on PostgreSQL under many agents.

- **SQLite, one agent at a time**: a file database of 1,000,000 leads
  (``LEADCORE_BENCH_SQLITE_LEADS`` to change it), the call centre of
  ``bench_dispatch`` (200 agents, two pools, ``no_status_first``); each
  ``s.dispatch.next`` is timed on its own: median and p99 per claim.
- **PostgreSQL, 1, 4 and 16 concurrent agents**, each a process of its own
  (``multiprocessing``, spawn), all claiming through ``s.dispatch.next`` for
  a fixed time: claims per second of the whole. Nobody releases, so every
  lease stays live for the lock window (10 minutes, longer than the run): a
  lead handed out twice is a **double claim**, and the benchmark counts them
  from the lead ids every agent reports. The 16 agents run once more as
  threads of one worker process per CPU, as a web application serves them.
- **CPU per claim**: every agent process reports its CPU time, and the
  PostgreSQL server processes' CPU time is read from ``/proc`` before and
  after (when the server runs on this machine); with the CPUs' count, that
  bounds the claims per second the machine can give at that cost.
- **The baseline**, in the same database and the same run: the plain queue
  one writes without leadcore, one table and one statement,
  ``UPDATE ... WHERE id = (SELECT id ... ORDER BY priority, id LIMIT 1 FOR
  UPDATE SKIP LOCKED) RETURNING id``, one transaction per claim, driven by
  the same number of processes for the same time, double claims counted the
  same way. It writes no lease, no claim log, no event and checks nothing.

PostgreSQL runs when ``LEADCORE_BENCH_POSTGRES_URL`` names a database
(``postgresql+psycopg://postgres@127.0.0.1:5432/test``); the benchmark
creates a scratch database next to it and drops it afterwards. Without the
URL its rows say "skipped: no database". The leadcore rows need the SQL
dispatch repository: while ``SqlStorage(...).capabilities.dispatch`` is
false they say "skipped: SQL dispatch not available", and the baseline
still runs.

Leads are seeded through ``uow.leads.add``, many to a unit of work (the
benchmark is about handing them out); the baseline's rows with one
``INSERT ... SELECT FROM generate_series``. Both seeding rates are reported.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty
from typing import Any

import bench_dispatch as shape
from _harness import Config, Row

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.errors import ConflictError

TITLE = "Dispatch (SQL)"

POSTGRES_URL_ENV = "LEADCORE_BENCH_POSTGRES_URL"
SQLITE_LEADS_ENV = "LEADCORE_BENCH_SQLITE_LEADS"
POSTGRES_LEADS_ENV = "LEADCORE_BENCH_POSTGRES_LEADS"
NO_DISPATCH = "SQL dispatch not available"
NO_DATABASE = f"no database ({POSTGRES_URL_ENV} is not set)"
#: Leads per unit of work while seeding.
SEED_BATCH = 10_000
AGENT_COUNTS = (1, 4, 16)
_START_TIMEOUT = 300.0


def _count(env: str, default: int) -> int:
    value = os.environ.get(env)
    return int(value.replace("_", "")) if value else default


# -- leadcore on SQL ----------------------------------------------------------------------


def _dispatch_available(url: str, *, migrate: bool = False) -> bool:
    # ``migrate``: the scratch database already holds the baseline's table, so leadcore
    # adds its own beside it.
    core = Leadcore.open(url, migrate=migrate)
    try:
        return core.storage.capabilities.dispatch
    finally:
        core.close()


def seed_call_centre(core: Leadcore, n: int, agents: int) -> tuple[list[str], str, float]:
    """``bench_dispatch``'s call centre of ``n`` leads: agent ids, project id, seconds.

    The seconds are those of writing the leads alone.
    """
    org, admin = core.create_organization("Bench", admin_name="Manager")
    manager = core.session(admin.id)
    ids = [manager.users.create(f"Agent {i}", "qualifier").id for i in range(agents)]
    project = manager.leads.create_project("Campaign", rules=shape.RULES, member_ids=ids)
    manager.dispatch.set_pools(project.id, shape.POOLS.pools, order=shape.POOLS.order)
    version = manager.workflow.current().version
    leads = shape._shape(n, ids)
    start = time.perf_counter()
    for first in range(0, n, SEED_BATCH):
        with core.storage.unit_of_work() as uow:
            for x in leads[first : first + SEED_BATCH]:
                uow.leads.add(shape.lead_of(x, org.id, project.id, version))
            uow.commit()
        _analyze(core)
    return ids, project.id, time.perf_counter() - start


def _analyze(core: Leadcore) -> None:
    """Refresh PostgreSQL's statistics of the growing tables, as autovacuum would in time.

    Without them, the key lookups of the next batch are planned for empty tables
    and scan the whole table (seeding 100,000 leads took minutes instead of seconds).
    """
    from leadcore.storage.sql import SqlStorage

    storage = core.storage
    if isinstance(storage, SqlStorage) and storage.engine.dialect.name == "postgresql":
        with storage.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE")


def claim_latency(core: Leadcore, n: int, claims: int, config: Config) -> dict[str, Any]:
    """Seed ``n`` leads, then time ``claims`` calls of ``s.dispatch.next`` one by one."""
    ids, project_id, seeded = seed_call_centre(core, n, shape.AGENTS)
    sessions = [core.session(uid) for uid in ids]
    timer = config.clock
    start = timer()
    first = sessions[-1].dispatch.next(project_id)
    first_call = timer() - start
    times: list[float] = []
    answers: list[str | None] = []
    gc.collect()
    for i in range(claims):
        start = timer()
        found = sessions[i % len(sessions)].dispatch.next(project_id)
        times.append(timer() - start)
        answers.append(None if found is None else found.lead_id)
    if first is None or None in answers:
        raise AssertionError(f"ran out of leads at {n:,}: make fewer claims")
    answers.append(first.lead_id)
    return {
        "median": statistics.median(times),
        "p99": shape._percentile(times, 0.99),
        "first": first_call,
        "seeded": seeded,
        "claims": claims,
        "double_claims": len(answers) - len(set(answers)),
    }


def sqlite_rows(config: Config) -> list[Row]:
    """Claim latency through ``s.dispatch.next`` on a SQLite file of 10^6 leads."""
    n = 2_000 if config.quick else _count(SQLITE_LEADS_ENV, 1_000_000)
    claims = 50 if config.quick else 1_000
    name = f"next, SQLite file, {n:,} leads, {shape.AGENTS} agents"
    with tempfile.TemporaryDirectory(prefix="leadcore-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        if not _dispatch_available(url):
            return [
                Row.skip(f"{name}, median per claim", NO_DISPATCH, "s", higher_is_better=False),
                Row.skip(f"{name}, p99 per claim", NO_DISPATCH, "s", higher_is_better=False),
            ]
        core = Leadcore.open(url, clock=ManualClock(shape.T0))
        try:
            f = claim_latency(core, n, claims, config)
        finally:
            core.close()
    extra = {k: f[k] for k in ("claims", "double_claims", "first")}
    return [
        Row(
            f"{name}, median per claim",
            f["median"],
            "s",
            higher_is_better=False,
            extra=extra,
        ),
        Row(
            f"{name}, p99 per claim",
            f["p99"],
            "s",
            higher_is_better=False,
        ),
        Row(f"{name}, first next (after opening)", f["first"], "s", higher_is_better=False),
        Row(
            f"seed {n:,} leads on SQLite (uow.leads.add, {SEED_BATCH:,} per unit of work)",
            n / f["seeded"],
            "leads/s",
            extra={"seconds": f["seeded"]},
        ),
    ]


# -- agents in processes ------------------------------------------------------------------

#: The baseline's claim: one statement, one transaction.
PLAIN_CLAIM = """
UPDATE plain_queue SET claimed_by = %s, claimed_at = now()
WHERE id = (
    SELECT id FROM plain_queue WHERE claimed_by IS NULL
    ORDER BY priority, id LIMIT 1 FOR UPDATE SKIP LOCKED
)
RETURNING id
"""


def _plain_agent(conninfo: str, agent: int, duration: float, barrier: Any, out: Any) -> None:
    """One baseline agent: claim until ``duration`` is over, report the ids."""
    import psycopg

    ids: list[int] = []
    ran_out = False
    try:
        conn = psycopg.connect(conninfo, autocommit=True)
    except BaseException:
        barrier.abort()  # the others, and the parent, stop waiting at once
        raise
    with conn:
        barrier.wait(_START_TIMEOUT)
        start, cpu = time.monotonic(), time.process_time()
        deadline = start + duration
        while time.monotonic() < deadline:
            row = conn.execute(PLAIN_CLAIM, (agent,)).fetchone()
            if row is None:
                ran_out = True
                break
            ids.append(row[0])
        out.put((start, time.monotonic(), ids, 0, ran_out, time.process_time() - cpu))
        barrier.wait(_START_TIMEOUT)  # connected until the parent has read the server's CPU


def _claim_until(s: Any, project_id: str, deadline: float) -> tuple[list[str], int, bool]:
    """``s.dispatch.next`` until ``deadline``: lead ids, conflicts, whether leads ran out."""
    ids: list[str] = []
    conflicts = 0
    while time.monotonic() < deadline:
        try:
            claim = s.dispatch.next(project_id)
        except ConflictError:
            # Lost the race for a lead more times than the service retries: ask again.
            conflicts += 1
            continue
        if claim is None:
            return ids, conflicts, True
        ids.append(claim.lead_id)
    return ids, conflicts, False


def _leadcore_agents(
    url: str, user_ids: Sequence[str], project_id: str, duration: float, barrier: Any, out: Any
) -> None:
    """One process of leadcore agents: ``s.dispatch.next`` until ``duration`` is over.

    One ``Leadcore`` and a session per agent; with several agents, each runs in a
    thread of its own. Reports the lead ids, the conflicts and the process's CPU time.
    """
    import threading

    try:
        core = Leadcore.open(url)
        sessions = [core.session(uid) for uid in user_ids]
    except BaseException:
        barrier.abort()  # the others, and the parent, stop waiting at once
        raise
    results: list[tuple[list[str], int, bool]] = []
    try:
        barrier.wait(_START_TIMEOUT)
        start, cpu = time.monotonic(), time.process_time()
        deadline = start + duration
        if len(sessions) == 1:
            results.append(_claim_until(sessions[0], project_id, deadline))
        else:
            threads = [
                threading.Thread(
                    target=lambda s=s: results.append(_claim_until(s, project_id, deadline))
                )
                for s in sessions
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        ids = [i for r in results for i in r[0]]
        conflicts = sum(r[1] for r in results)
        ran_out = any(r[2] for r in results)
        out.put((start, time.monotonic(), ids, conflicts, ran_out, time.process_time() - cpu))
        barrier.wait(_START_TIMEOUT)  # connected until the parent has read the server's CPU
    finally:
        core.close()


def _backend_cpu(conninfo: str | None) -> dict[int, float] | None:
    """CPU seconds so far of each server process of the database ``conninfo`` names.

    Read from ``/proc`` (the server must run on this machine); ``None`` if it cannot be.
    """
    if conninfo is None:
        return None
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        pids = [
            int(row[0])
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        found[pid] = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return found


def _concurrently(
    target: Callable[..., None],
    args: Sequence[tuple[Any, ...]],
    duration: float,
    monitor: str | None = None,
) -> dict[str, Any]:
    """Run one agent process per ``args``, started together; claims/s and double claims.

    With ``monitor`` (the database's conninfo), also the CPU time per claim of the
    agents' processes and of their database server processes.
    """
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(args) + 1)
    out = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*a, duration, barrier, out)) for a in args]
    for p in procs:
        p.start()
    try:
        # Every agent has connected (and imported what it needs) before the clock starts.
        barrier.wait(_START_TIMEOUT)
        server_before = _backend_cpu(monitor)
        results = []
        for _ in procs:
            try:
                results.append(out.get(timeout=duration + _START_TIMEOUT))
            except Empty:
                raise AssertionError("an agent process did not report") from None
        server_after = _backend_cpu(monitor)
        # The agents keep their connections (and their server processes) until now.
        barrier.wait(_START_TIMEOUT)
    finally:
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.terminate()
    began = min(r[0] for r in results)
    ended = max(r[1] for r in results)
    ids = [i for r in results for i in r[2]]
    server = None
    if server_before is not None and server_after is not None:
        # Connections opened during the run count from 0.
        server = sum(t - server_before.get(pid, 0.0) for pid, t in server_after.items())
    claims = max(len(ids), 1)
    return {
        "agents": len(args),
        "agent_cpu_per_claim": sum(r[5] for r in results) / claims,
        "server_cpu_per_claim": None if server is None else server / claims,
        "claims": len(ids),
        "seconds": ended - began,
        "per_second": len(ids) / (ended - began),
        "double_claims": len(ids) - len(set(ids)),
        "conflicts": sum(r[3] for r in results),
        "ran_out": any(r[4] for r in results),
        "ids": ids,
    }


# -- PostgreSQL ---------------------------------------------------------------------------


@contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """A new, empty database next to ``url``'s, dropped afterwards; yields its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"leadcore_bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _conninfo(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def seed_plain_queue(url: str, n: int) -> float:
    """The baseline's table of ``n`` rows (a third with a lower priority); seconds it took."""
    import psycopg

    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE plain_queue (id bigint PRIMARY KEY, priority bigint NOT NULL, "
            "claimed_by integer, claimed_at timestamptz)"
        )
        start = time.perf_counter()
        conn.execute(
            "INSERT INTO plain_queue (id, priority) "
            "SELECT g, (g %% 3 = 0)::int * 1000000000 + (g::bigint * 7919) %% %s "
            "FROM generate_series(1, %s) AS g",
            (n, n),
        )
        conn.execute(
            "CREATE INDEX plain_queue_next ON plain_queue (priority, id) WHERE claimed_by IS NULL"
        )
        conn.execute("ANALYZE plain_queue")
        return time.perf_counter() - start


def postgres_rows(config: Config) -> list[Row]:
    """Claims/s with 1, 4 and 16 agent processes: leadcore, and the plain baseline."""
    url = os.environ.get(POSTGRES_URL_ENV)
    counts = (1, 4) if config.quick else AGENT_COUNTS
    duration = 0.5 if config.quick else 5.0
    n = 2_000 if config.quick else _count(POSTGRES_LEADS_ENV, 100_000)
    # The baseline claims thousands a second: its table must outlast every run (with
    # 20,000 rows the 16-agent run found none left). Seeding it costs under a second.
    plain_n = max(n, 50_000) if config.quick else max(n, 300_000)

    def name(k: int, what: str) -> str:
        return f"{what}, PostgreSQL, {k} agent process{'es' if k > 1 else ''}"

    def target(k: int) -> dict[str, Any]:
        return {"limit": 1_000.0} if k == 16 else {}

    if not url:
        rows = []
        for k in counts:
            rows.append(Row.skip(name(k, "next, claims/s"), NO_DATABASE, "claims/s", **target(k)))
            rows.append(Row.skip(name(k, "plain SKIP LOCKED queue, claims/s"), NO_DATABASE))
        return rows
    rows = []
    with scratch_database(url) as scratch:
        plain_seconds = seed_plain_queue(scratch, plain_n)
        conninfo = _conninfo(scratch)
        plain: dict[int, dict[str, Any]] = {}
        claimed: list[int] = []
        for k in counts:
            plain[k] = _concurrently(
                _plain_agent, [(conninfo, i) for i in range(k)], duration, conninfo
            )
            claimed += plain[k].pop("ids")
        plain_doubles = len(claimed) - len(set(claimed))
        ours: dict[int, dict[str, Any]] = {}
        threaded = None
        most = max(counts)
        seeded = None
        if _dispatch_available(scratch, migrate=True):
            core = Leadcore.open(scratch)
            try:
                agent_ids, project_id, seeded = seed_call_centre(core, n, max(counts))
            finally:
                core.close()
            handed: list[str] = []
            for k in counts:
                args = [(scratch, [uid], project_id) for uid in agent_ids[:k]]
                ours[k] = _concurrently(_leadcore_agents, args, duration, conninfo)
                handed += ours[k].pop("ids")
            # The same agents as a web application would serve them: a worker process per
            # CPU, each agent a thread of one of them.
            workers = min(os.cpu_count() or 1, most)
            groups = [agent_ids[w:most:workers] for w in range(workers)]
            threaded = _concurrently(
                _leadcore_agents, [(scratch, g, project_id) for g in groups], duration, conninfo
            )
            handed += threaded.pop("ids")
            doubles = len(handed) - len(set(handed))
    for k in counts:
        p = plain[k]
        if k in ours:
            f = ours[k]
            rows.append(
                Row(
                    name(k, "next, claims/s"),
                    f["per_second"],
                    "claims/s",
                    peer="plain SKIP LOCKED queue",
                    peer_value=p["per_second"],
                    extra=f,
                    **target(k),
                )
            )
            rows.append(
                Row(
                    name(k, "next, double claims"),
                    f["double_claims"],
                    "",
                    higher_is_better=False,
                    peer="plain SKIP LOCKED queue",
                    peer_value=p["double_claims"],
                    limit=1.0,
                    extra={"claims": f["claims"]},
                )
            )
        else:
            rows.append(Row.skip(name(k, "next, claims/s"), NO_DISPATCH, "claims/s", **target(k)))
        rows.append(
            Row(
                name(k, "plain SKIP LOCKED queue, claims/s"),
                p["per_second"],
                "claims/s",
                extra=p,
            )
        )
    if threaded is not None:
        per = threaded["agents"]
        rows.append(
            Row(
                f"next, PostgreSQL, {most} agents as {per} processes x "
                f"{most // per} threads, claims/s",
                threaded["per_second"],
                "claims/s",
                peer=f"plain queue, {most} processes",
                peer_value=plain[most]["per_second"],
                extra=threaded,
            )
        )
    rows += _cpu_rows(ours, plain, most)
    rows.append(
        Row(
            f"plain SKIP LOCKED queue, double claims over every run ({len(claimed):,} claims)",
            plain_doubles,
            "",
            higher_is_better=False,
            limit=1.0,
        )
    )
    if ours:
        rows.append(
            Row(
                f"next, PostgreSQL, double claims over every run ({len(handed):,} claims)",
                doubles,
                "",
                higher_is_better=False,
                limit=1.0,
            )
        )
    if seeded is not None:
        rows.append(
            Row(
                f"seed {n:,} leads on PostgreSQL (uow.leads.add, {SEED_BATCH:,} per unit of work)",
                n / seeded,
                "leads/s",
                extra={"seconds": seeded},
            )
        )
    rows.append(
        Row(
            f"seed {plain_n:,} rows of the plain queue (INSERT ... SELECT generate_series, index)",
            plain_n / plain_seconds,
            "rows/s",
            extra={"seconds": plain_seconds},
        )
    )
    return rows


def _cpu_rows(
    ours: dict[int, dict[str, Any]], plain: dict[int, dict[str, Any]], k: int
) -> list[Row]:
    """What a claim costs in CPU with ``k`` agent processes, and the rate the CPUs allow.

    On a machine whose CPUs the agents and the database share, claims/s cannot
    exceed the CPUs' seconds per second divided by the CPU seconds of a claim.
    """
    if k not in ours:
        return []

    def cost(f: dict[str, Any]) -> float | None:
        server = f["server_cpu_per_claim"]
        return None if server is None else f["agent_cpu_per_claim"] + server

    ours_cost, plain_cost = cost(ours[k]), cost(plain[k])
    name = f"next, PostgreSQL, {k} agent processes"
    if ours_cost is None or plain_cost is None:
        reason = "the database server is not on this machine (its CPU time is not readable)"
        return [Row.skip(f"{name}, CPU per claim (agents + database)", reason, "s")]
    cpus = os.cpu_count() or 1
    split = {
        "agent": ours[k]["agent_cpu_per_claim"],
        "database": ours[k]["server_cpu_per_claim"],
        "plain agent": plain[k]["agent_cpu_per_claim"],
        "plain database": plain[k]["server_cpu_per_claim"],
    }
    return [
        Row(
            f"{name}, CPU per claim (agents + database)",
            ours_cost,
            "s",
            higher_is_better=False,
            peer="plain SKIP LOCKED queue",
            peer_value=plain_cost,
            extra=split,
        ),
        Row(
            f"{name}, claims/s the {cpus} CPUs allow at that cost (CPUs / CPU per claim)",
            cpus / ours_cost,
            "claims/s",
            peer="plain SKIP LOCKED queue",
            peer_value=cpus / plain_cost,
        ),
    ]


def run(config: Config) -> list[Row]:
    """Every SQL dispatch benchmark, in table order."""
    started = datetime.now(UTC)
    rows = [*sqlite_rows(config), *postgres_rows(config)]
    print(f"  sql: {datetime.now(UTC) - started} in all", file=sys.stderr, flush=True)
    return rows
