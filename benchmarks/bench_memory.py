"""Memory benchmark: what 1,000,000 leads cost in ``MemoryStorage``, measured with tracemalloc.

The leads are written through the repository, ``uow.leads.add``, in one
unit of work that is then committed: the cheapest way in, since the
service's per-lead checks, history entries and events are not what is being
measured. Each lead has a name, one phone number, one e-mail address, a
project and a pool. The figure is the memory the storage holds once the unit
of work is committed and the builder's own references are gone, per lead;
the peak during the build is reported too.

The peer is the floor: the same ``Lead`` values kept in a plain ``dict`` by
id, measured in the same run. What the storage holds beyond it is its
committed tables and the phone and e-mail index that duplicate detection
reads.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from _harness import Config, Row

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import Lead

TITLE = "Memory"

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


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


def _traced(build: Callable[[], object]) -> tuple[int, int, object]:
    """Bytes still held after ``build`` (its result kept alive), and the peak during it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        kept = build()
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return current - base, peak - base, kept


def run(config: Config) -> list[Row]:
    """Bytes per lead in the memory storage, against a plain dict of the same leads."""
    n = 2_000 if config.quick else 1_000_000
    core = Leadcore.open(clock=ManualClock(T0), ids=SequentialIds())
    org, admin = core.create_organization("Bench", admin_name="Admin")
    project = core.session(admin.id).leads.create_project("Campaign").id

    def fill() -> object:
        with core.storage.unit_of_work() as uow:
            for lead in _leads(org.id, project, n):
                uow.leads.add(lead)
            uow.commit()
        return None

    held, peak, _ = _traced(fill)
    with core.storage.unit_of_work() as uow:
        probe = uow.leads.get(org.id, f"lead-{n - 1:07d}")
    if probe is None:
        raise AssertionError("the last lead was not stored")
    core.close()
    floor, floor_peak, kept = _traced(lambda: {x.id: x for x in _leads(org.id, project, n)})
    del kept
    return [
        Row(
            f"MemoryStorage, {n:,} leads (uow.leads.add, one unit of work), per lead",
            held / n,
            "B",
            higher_is_better=False,
            peer="the same Lead values in a dict",
            peer_value=floor / n,
            extra={"held": held, "peak": peak, "floor": floor, "floor_peak": floor_peak},
        ),
        Row(
            f"MemoryStorage, {n:,} leads, peak while building, per lead",
            peak / n,
            "B",
            higher_is_better=False,
            peer="the same Lead values in a dict",
            peer_value=floor_peak / n,
        ),
    ]
