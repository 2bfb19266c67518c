"""Dispatch benchmarks: ``next`` (choose + claim) on memory at 10^4, 10^5 and 10^6 leads.

Every size has the same shape: 200 agents, two project pools in a priority
order, ``no_status_first``, a tenth of the leads assigned to one agent (so
in that agent's bucket), a third with a ``todo`` status, the rest with none.
Each claim is timed on its own, so the table can show the median and the
99th percentile per claim.

- **Index path**: what the memory adapter does under its lock, on the pure
  :class:`~leadcore.dispatch.DispatchIndex`: ``next_for``, ``claim_lead``,
  ``set_lease``. The index build time is reported too.
- **Service path** (10^4 and 10^5): ``s.dispatch.next`` through the facade,
  one session per agent: permission checks, a unit of work, the index, the
  compare-and-set of the lease, the claim log, events, commit.
- **Peer**: the obvious implementation, ``choose_reference``: rank every
  candidate by the policy and take the first, then record the lease, at the
  same sizes in the same run (few samples at 10^6, where one call takes
  seconds). Its first answers are compared with the index's before anything
  is reported, so neither is fast by being wrong.

With matplotlib installed, a full run also draws the cost against size into
``docs/_static/dispatch_scale.png`` (and the calendar month view against the
number of series into ``docs/_static/calendar_scale.png``).
"""

from __future__ import annotations

import gc
import heapq
import importlib
import random
import statistics
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _harness import Config, Row, measure

from leadcore import Leadcore
from leadcore.calendar import month_view
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.dispatch import (
    Agent,
    Candidate,
    DispatchIndex,
    Lease,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    choose_reference,
    claim_lead,
)
from leadcore.ids import SequentialIds
from leadcore.leads import Lead

TITLE = "Dispatch (memory)"

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
AGENTS = 200
POOLS = ProjectPools(
    [Pool("hot", PoolKind.PROJECT, "Hot"), Pool("cold", PoolKind.PROJECT, "Cold")],
    order=["hot", "cold"],
)
RULES = ProjectRules(no_status_first=True, lock_window_minutes=10)
STATIC = Path(__file__).resolve().parent.parent / "docs" / "_static"


# -- the leads ---------------------------------------------------------------------------


def _shape(n: int, agent_ids: Sequence[str], seed: int = 0) -> list[dict[str, Any]]:
    """The same ``n`` leads for every contender, as plain values."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        out.append(
            {
                "id": f"lead-{i:07d}",
                "pool": "hot" if rng.random() < 0.3 else "cold",
                # Created over the last year, out of order.
                "created": T0 - timedelta(seconds=rng.randrange(365 * 86_400)),
                "status": "no_answer" if roll < 0.33 else None,
                "assignee": rng.choice(agent_ids) if rng.random() < 0.1 else None,
            }
        )
    return out


def _candidates(shape: list[dict[str, Any]]) -> list[Candidate]:
    return [
        Candidate(
            lead_id=x["id"],
            pool_id=x["pool"],
            created_at=x["created"],
            status_id=x["status"],
            category="todo" if x["status"] else None,
            assigned_user_ids=(x["assignee"],) if x["assignee"] else (),
        )
        for x in shape
    ]


def _percentile(samples: Sequence[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _timed_claims(
    claim: Callable[[Agent], str | None], agents: Sequence[Agent], count: int, config: Config
) -> tuple[list[float], list[str | None]]:
    """Time ``count`` claims one by one, the agents taking turns."""
    clock = config.clock
    times: list[float] = []
    answers: list[str | None] = []
    enabled = gc.isenabled()
    gc.collect()
    # Paused for every contender alike, as the harness does around its samples.
    gc.disable()
    try:
        for i in range(count):
            agent = agents[i % len(agents)]
            start = clock()
            answers.append(claim(agent))
            times.append(clock() - start)
    finally:
        if enabled:
            gc.enable()
    return times, answers


def _index_claimer(index: DispatchIndex) -> Callable[[Agent], str | None]:
    def claim(agent: Agent) -> str | None:
        choice = index.next_for(agent, now=T0)
        if choice is None:
            return None
        lease, _ = claim_lead(choice, agent.id, rules=RULES, now=T0, previous=None)
        index.set_lease(lease)
        return choice.lead_id

    return claim


def _reference_claimer(
    candidates: list[Candidate], leases: dict[str, Lease]
) -> Callable[[Agent], str | None]:
    def claim(agent: Agent) -> str | None:
        choice = choose_reference(candidates, leases, agent, RULES, POOLS, now=T0)
        if choice is None:
            return None
        lease, _ = claim_lead(choice, agent.id, rules=RULES, now=T0, previous=None)
        leases[lease.lead_id] = lease
        return choice.lead_id

    return claim


# -- the index and the reference ---------------------------------------------------------


def index_figures(n: int, claims: int, ref_claims: int, config: Config) -> dict[str, Any]:
    """Build time and per-claim times of the index, and of the reference, at ``n`` leads."""
    agents = [Agent(f"agent-{i:03d}") for i in range(AGENTS)]
    candidates = _candidates(_shape(n, [a.id for a in agents]))
    clock = config.clock
    start = clock()
    index = DispatchIndex(RULES, POOLS, candidates)
    build = clock() - start
    times, answers = _timed_claims(_index_claimer(index), agents, claims, config)
    ref_times, ref_answers = _timed_claims(
        _reference_claimer(candidates, {}), agents, ref_claims, config
    )
    if answers[:ref_claims] != ref_answers:
        raise AssertionError(f"the index and choose_reference disagree at {n:,} leads")
    if None in answers:
        raise AssertionError(f"ran out of leads at {n:,}: make fewer claims")
    return {
        "n": n,
        "build": build,
        "median": statistics.median(times),
        "p99": _percentile(times, 0.99),
        "claims": claims,
        "ref_median": statistics.median(ref_times),
        "ref_p99": _percentile(ref_times, 0.99),
        "ref_claims": ref_claims,
    }


def heap_pop_figures(n: int, pops: int, config: Config) -> dict[str, Any]:
    """``heapq.heappop`` alone on a heap of ``n`` entries shaped like the index's."""
    rng = random.Random(n)
    heap = [(rng.randrange(1 << 62), f"lead-{i:07d}", i) for i in range(n)]
    heapq.heapify(heap)
    run = sorted(heap, reverse=True)
    pops = min(pops, n // 2)
    clock = config.clock
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = clock()
        for _ in range(pops):
            heapq.heappop(heap)
        heap_s = (clock() - start) / pops
        start = clock()
        for _ in range(pops):
            run.pop()
        run_s = (clock() - start) / pops
    finally:
        if enabled:
            gc.enable()
    return {"n": n, "heappop": heap_s, "run_pop": run_s, "pops": pops}


# -- the service path --------------------------------------------------------------------


def lead_of(x: dict[str, Any], organization_id: str, project_id: str, version: int) -> Lead:
    """The lead of one row of :func:`_shape`, in a project of the call centre."""
    return Lead(
        id=x["id"],
        organization_id=organization_id,
        name=f"Lead {x['id']}",
        created_at=x["created"],
        updated_at=x["created"],
        project_id=project_id,
        pool_id=x["pool"],
        status_id=x["status"],
        workflow_version=version if x["status"] else None,
        assignee_ids=(x["assignee"],) if x["assignee"] else (),
    )


def _call_centre(n: int) -> tuple[Leadcore, dict[str, Session], str]:
    """An organisation with a project of ``n`` leads in two pools and 200 agents."""
    core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
    org, admin = core.create_organization("Bench", admin_name="Manager")
    manager = core.session(admin.id)
    ids = [manager.users.create(f"Agent {i}", "qualifier").id for i in range(AGENTS)]
    project = manager.leads.create_project("Campaign", rules=RULES, member_ids=ids)
    manager.dispatch.set_pools(project.id, POOLS.pools, order=POOLS.order)
    version = manager.workflow.current().version
    # Stored directly, in one unit of work: the benchmark is about handing leads out.
    with core.storage.unit_of_work() as uow:
        for x in _shape(n, ids):
            uow.leads.add(lead_of(x, org.id, project.id, version))
        uow.commit()
    return core, {uid: core.session(uid) for uid in ids}, project.id


def service_figures(n: int, claims: int, config: Config) -> dict[str, Any]:
    """Per-claim times of ``s.dispatch.next``; the first call builds the index and is apart."""
    core, by_agent, project_id = _call_centre(n)
    agents = [Agent(uid) for uid in by_agent]

    def claim(agent: Agent) -> str | None:
        found = by_agent[agent.id].dispatch.next(project_id)
        return None if found is None else found.lead_id

    clock = config.clock
    start = clock()
    claim(agents[-1])
    first = clock() - start
    times, answers = _timed_claims(claim, agents, claims, config)
    if None in answers:
        raise AssertionError(f"ran out of leads at {n:,}: make fewer claims")
    core.close()
    return {
        "n": n,
        "first": first,
        "median": statistics.median(times),
        "p99": _percentile(times, 0.99),
        "claims": claims,
    }


# -- rows --------------------------------------------------------------------------------


def _sizes(config: Config) -> tuple[list[int], list[int]]:
    if config.quick:
        return [1_000, 2_000], [1_000]
    return [10_000, 100_000, 1_000_000], [10_000, 100_000]


def run(config: Config) -> list[Row]:
    """Every dispatch benchmark, in table order."""
    sizes, service_sizes = _sizes(config)
    claims = 200 if config.quick else 5_000
    pure: list[dict[str, Any]] = []
    for n in sizes:
        # The reference sorts every lead per claim: keep its run to seconds.
        ref_claims = 5 if config.quick else max(3, min(100, 3 * 10**6 // (n * 10)))
        pure.append(index_figures(n, claims, ref_claims, config))
    service = [service_figures(n, claims, config) for n in service_sizes]
    heaps = [heap_pop_figures(n, 20_000, config) for n in (sizes[0], sizes[-1])]
    rows: list[Row] = []
    peer = "choose_reference: sort all, take the first"
    for f in pure:
        size = f"{f['n']:,} leads, {AGENTS} agents"
        extra = {k: v for k, v in f.items() if k != "n"}
        last = f is pure[-1]
        rows.append(
            Row(
                f"next, index path, median per claim, {size}",
                f["median"],
                "s",
                higher_is_better=False,
                peer=peer,
                peer_value=f["ref_median"],
                limit=50e-6 if last else None,
                extra=extra,
            )
        )
        rows.append(
            Row(
                f"next, index path, p99 per claim, {size}",
                f["p99"],
                "s",
                higher_is_better=False,
                peer=peer,
                peer_value=f["ref_p99"],
            )
        )
        rows.append(
            Row(
                f"build the index, {size}",
                f["build"],
                "s",
                higher_is_better=False,
                extra={"per_lead": f["build"] / f["n"]},
            )
        )
    growth = pure[-1]["median"] / pure[0]["median"]
    rows.append(
        Row(
            f"growth of the median, {pure[-1]['n']:,} vs {pure[0]['n']:,} leads (index path)",
            growth,
            "x",
            higher_is_better=False,
            limit=2.0,
            extra={"reference_growth": pure[-1]["ref_median"] / pure[0]["ref_median"]},
        )
    )
    small, large = heaps
    rows.append(
        Row(
            f"growth of one heapq.heappop alone, {large['n']:,} vs {small['n']:,} entries",
            large["heappop"] / small["heappop"],
            "x",
            higher_is_better=False,
            extra={"heaps": heaps},
        )
    )
    rows.append(
        Row(
            f"growth of one pop from a sorted run (list.pop), {large['n']:,} vs {small['n']:,}",
            large["run_pop"] / small["run_pop"],
            "x",
            higher_is_better=False,
            extra={"heaps": heaps},
        )
    )
    for f in service:
        size = f"{f['n']:,} leads, {AGENTS} agents"
        rows.append(
            Row(
                f"next, s.dispatch.next, median per claim, {size}",
                f["median"],
                "s",
                higher_is_better=False,
                extra={k: v for k, v in f.items() if k != "n"},
            )
        )
        rows.append(
            Row(
                f"next, s.dispatch.next, p99 per claim, {size}",
                f["p99"],
                "s",
                higher_is_better=False,
            )
        )
        rows.append(
            Row(
                f"first s.dispatch.next (builds the index), {size}",
                f["first"],
                "s",
                higher_is_better=False,
            )
        )
    if len(service) > 1:
        rows.append(
            Row(
                f"growth of the median, {service[-1]['n']:,} vs {service[0]['n']:,} leads "
                "(s.dispatch.next)",
                service[-1]["median"] / service[0]["median"],
                "x",
                higher_is_better=False,
            )
        )
    if not config.quick:
        plot(pure, service, config)
    return rows


# -- plots -------------------------------------------------------------------------------


def _pyplot() -> Any | None:
    try:
        matplotlib = importlib.import_module("matplotlib")
    except ImportError:
        return None
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def plot(pure: list[dict[str, Any]], service: list[dict[str, Any]], config: Config) -> None:
    """Draw cost against size for dispatch and the calendar month view, with matplotlib."""
    plt = _pyplot()
    if plt is None:
        print("  matplotlib is not installed: no plots drawn", file=sys.stderr)
        return
    STATIC.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ns = [f["n"] for f in pure]
    us = 1e6
    ax.plot(ns, [f["median"] * us for f in pure], "o-", label="index path, median")
    ax.plot(ns, [f["p99"] * us for f in pure], "o--", label="index path, p99")
    if service:
        sn = [f["n"] for f in service]
        ax.plot(sn, [f["median"] * us for f in service], "s-", label="s.dispatch.next, median")
    ax.plot(ns, [f["ref_median"] * us for f in pure], "^:", label="choose_reference (peer)")
    ax.axhline(50, color="grey", lw=0.8, ls="-.", label="target at 10^6: 50 µs")
    ax.set(xscale="log", yscale="log", xlabel="leads in the project", ylabel="µs per claim")
    ax.set_title(f"Dispatch next on memory, {AGENTS} agents")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(STATIC / "dispatch_scale.png", dpi=110)
    plt.close(fig)
    print(f"  wrote {STATIC / 'dispatch_scale.png'}", file=sys.stderr)
    _plot_calendar(plt, config)


def _plot_calendar(plt: Any, config: Config) -> None:
    # The calendar module measures one size; the curve reuses its series and its pure view.
    try:
        cal = importlib.import_module("bench_calendar")
    except ImportError:
        print("  bench_calendar not found: no calendar plot", file=sys.stderr)
        return
    counts = [100, 300, 1_000]
    users = [f"user-{i}" for i in range(cal.USERS)]
    seconds = []
    for count in counts:
        activities = cal._series("org", users, count)
        timing = measure(lambda a=activities: month_view(a, users, 2026, 3, cal.TZ), config)
        naive = measure(lambda a=activities: cal._naive_month(a), config)
        seconds.append((timing.median, naive.median))
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(counts, [s[0] * 1e3 for s in seconds], "o-", label="leadcore month_view")
    ax.plot(counts, [s[1] * 1e3 for s in seconds], "^:", label="naive dateutil (peer)")
    ax.axhline(100, color="grey", lw=0.8, ls="-.", label="target at 1,000 series: 100 ms")
    ax.set(xscale="log", yscale="log", xlabel="weekly series", ylabel="ms per month view")
    ax.set_title(f"Calendar month view, {cal.USERS} users, series since 2024")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(STATIC / "calendar_scale.png", dpi=110)
    plt.close(fig)
    print(f"  wrote {STATIC / 'calendar_scale.png'}", file=sys.stderr)
