"""Memory benchmark: what 1,000,000 leads cost in ``MemoryStorage``, by the RSS of a subprocess.

The leads are written through the repository, ``uow.leads.add``, in one
unit of work that is then committed: the cheapest way in, since the
service's per-lead checks, history entries and events are not what is being
measured. Each lead has a name, one phone number, one e-mail address, a
project and a pool.

Each figure comes from a fresh Python process of its own (this file, run as
a script), so nothing the benchmark run allocated before counts:

- **held**: the resident set size (``/proc/self/statm``) once the unit of
  work is committed, the builder's references are gone and the collector has
  run, minus the resident size just before the build (leadcore imported, the
  organisation created). Memory Python freed but kept in its arenas counts
  too, so this is an upper bound of what the storage holds;
- **peak**: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the most the
  process was ever resident) minus the same starting size.

``tracemalloc`` would count every allocation exactly, but at this size it
slows the build down by an order of magnitude (more than ten minutes) and
needs several gigabytes for its own records; the RSS is read in
microseconds.

The peer is the floor: the same ``Lead`` values kept in a plain ``dict`` by
id, measured the same way in a process of its own. What the storage holds
beyond it is its committed tables and the phone and e-mail index that
duplicate detection reads.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _harness import Config, Row

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import Lead

TITLE = "Memory"

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _leads(org: str, project: str, n: int) -> Iterator[Lead]:
    for i in range(n):
        created = T0 - timedelta(seconds=i)
        yield Lead(
            id=f"lead-{i:07d}",
            organization_id=org,
            name=f"Lead {i}",
            created_at=created,
            updated_at=created,
            phones=(f"+97253{i:07d}",),
            emails=(f"lead{i}@example.com",),
            project_id=project,
            pool_id="hot" if i % 3 else "cold",
        )


def _rss() -> int | None:
    """This process's resident set size in bytes (Linux), or ``None`` where unknown."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def _max_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Kilobytes on Linux, bytes on macOS.
    return peak if sys.platform == "darwin" else peak * 1024


def measure_in_this_process(kind: str, n: int) -> dict[str, Any]:
    """Build ``n`` leads (``storage`` or ``dict``) here; bytes held and peak, and seconds."""
    core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
    org, admin = core.create_organization("Bench", admin_name="Admin")
    project = core.session(admin.id).leads.create_project("Campaign").id
    kept: object = None
    gc.collect()
    before = _rss()
    start = time.perf_counter()
    if kind == "storage":
        with core.storage.unit_of_work() as uow:
            for lead in _leads(org.id, project, n):
                uow.leads.add(lead)
            uow.commit()
        with core.storage.unit_of_work() as uow:
            if uow.leads.get(org.id, f"lead-{n - 1:07d}") is None:
                raise AssertionError("the last lead was not stored")
    else:
        kept = {x.id: x for x in _leads(org.id, project, n)}
    seconds = time.perf_counter() - start
    gc.collect()
    after = _rss()
    del kept
    return {
        "kind": kind,
        "n": n,
        "before": before,
        "held": None if before is None or after is None else after - before,
        "peak": _max_rss() - (before or 0),
        "seconds": seconds,
    }


def _in_subprocess(kind: str, n: int) -> dict[str, Any]:
    here = Path(__file__).resolve()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run(
        [sys.executable, str(here), kind, str(n)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(config: Config) -> list[Row]:
    """Bytes per lead in the memory storage, against a plain dict of the same leads."""
    n = 2_000 if config.quick else 1_000_000
    ours = _in_subprocess("storage", n)
    floor = _in_subprocess("dict", n)
    rows = []
    if ours["held"] is not None and floor["held"] is not None:
        rows.append(
            Row(
                f"MemoryStorage, {n:,} leads (uow.leads.add, one unit of work), RSS held per lead",
                ours["held"] / n,
                "B",
                higher_is_better=False,
                peer="the same Lead values in a dict",
                peer_value=floor["held"] / n,
                extra={"storage": ours, "dict": floor},
            )
        )
    rows.append(
        Row(
            f"MemoryStorage, {n:,} leads, peak RSS while building, per lead",
            ours["peak"] / n,
            "B",
            higher_is_better=False,
            peer="the same Lead values in a dict",
            peer_value=floor["peak"] / n,
            extra={"storage": ours, "dict": floor},
        )
    )
    rows.append(
        Row(
            f"MemoryStorage, {n:,} leads, peak RSS while building, in all",
            ours["peak"],
            "B",
            higher_is_better=False,
            extra={"build_seconds": ours["seconds"]},
        )
    )
    return rows


if __name__ == "__main__":
    print(json.dumps(measure_in_this_process(sys.argv[1], int(sys.argv[2]))))
