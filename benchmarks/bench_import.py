"""Import benchmark: 100,000 rows with duplicate detection through ``s.leads.import_many``.

The rows are what a supplier's spreadsheet gives: a name, a local phone
number (``052-345-6789``) and an e-mail address. One row in five repeats an
earlier lead: half by the same phone number, half by the same address in
other letter case. leadcore imports them on the memory storage, in one unit
of work, into an organisation whose default region reads the local numbers:
every row is validated, its phone put in E.164 form, checked against stored
leads and earlier rows, stored with a history entry and its events.

The same import runs once more on a new SQLite file (one run: it takes
minutes), 10,000 rows per unit of work and with no duplicate window: with the
default 30-day window, SQLite plans the duplicate lookup from the leads'
creation-time index, so each row reads every lead stored in the window and
the import grows as the square of its size. A smaller import (8,000 rows,
2,000 per unit of work) is timed both ways to show it.

The peer is the loop one writes without leadcore: a dict from phone (digits
only) and lower-cased address to the first row that had it, and a list of
records. It validates nothing and writes no history and no events; both
must find the same number of duplicates before anything is reported.
"""

from __future__ import annotations

import gc
import random
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
from _harness import Config, Row, measure

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import ImportOutcome
from leadcore.leads._intake import _e164

TITLE = "Import"

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
# Every number of this prefix is valid, so no row is rejected and both sides count alike.
_PREFIXES = ("053",)
_NOT_DIGIT = re.compile(r"\D")
#: Rows per unit of work of the large import on SQLite.
CHUNK = 10_000


def make_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    """``n`` rows, one in five a duplicate of an earlier one (by phone or by e-mail)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    originals: list[dict[str, str]] = []
    used: set[str] = set()
    for i in range(n):
        if originals and rng.random() < 0.2:
            earlier = rng.choice(originals)
            if rng.random() < 0.5:
                rows.append({"name": f"Again {i}", "phone": earlier["phone"]})
            else:
                rows.append({"name": f"Again {i}", "email": earlier["email"].upper()})
            continue
        while True:
            phone = f"{rng.choice(_PREFIXES)}-{rng.randrange(10**6, 10**7):07d}"
            phone = f"{phone[:7]}-{phone[7:]}"
            if phone not in used:
                used.add(phone)
                break
        originals.append({"name": f"Lead {i}", "phone": phone, "email": f"lead{i}@example.com"})
        rows.append(originals[-1])
    return rows


def naive_import(rows: list[dict[str, str]]) -> tuple[list[dict[str, Any]], int]:
    """The dict-based loop: records and the number of duplicates found."""
    seen: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    duplicates = 0
    for i, row in enumerate(rows):
        keys = []
        phone = row.get("phone")
        if phone:
            keys.append("p" + _NOT_DIGIT.sub("", phone))
        email = row.get("email")
        if email:
            keys.append("e" + email.strip().lower())
        original = next((seen[k] for k in keys if k in seen), None)
        if original is not None:
            duplicates += 1
        for k in keys:
            seen.setdefault(k, i)
        records.append({"id": i, "name": row["name"], "keys": keys, "duplicate_of": original})
    return records, duplicates


def leadcore_import(
    rows: list[dict[str, str]],
    config: Config,
    url: str | None = None,
    chunk: int | None = None,
    *,
    window: bool = True,
) -> tuple[float, int]:
    """Seconds to import ``rows`` into a fresh organisation, and the duplicates it flagged.

    ``chunk`` rows per ``import_many`` call (in batches of 1,000, one unit of work
    each); all in one call without it. ``window=False`` compares with every stored lead,
    not only those of the last 30 days (the default ``duplicate_window``): every lead
    here is created at the same instant, so both find the same duplicates.
    """
    core = Leadcore.open(url, clock=ManualClock(T0), ids=SequentialIds())
    _, admin = core.create_organization("Bench", admin_name="Admin", default_region="IL")
    s = core.session(admin.id)
    if not window:
        s.leads.set_settings(attrs.evolve(s.leads.settings(), duplicate_window=None))
    # Cold: an earlier run must not have parsed these numbers already.
    _e164.cache_clear()
    step = chunk or len(rows)
    flagged = 0
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = config.clock()
        for first in range(0, len(rows), step):
            report = s.leads.import_many(rows[first : first + step])
            flagged += report.count(ImportOutcome.DUPLICATE)
        elapsed = config.clock() - start
    finally:
        if enabled:
            gc.enable()
    core.close()
    return elapsed, flagged


def _on_sqlite(
    rows: list[dict[str, str]], config: Config, chunk: int | None, *, window: bool
) -> tuple[float, int]:
    with tempfile.TemporaryDirectory(prefix="leadcore-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'import.db'}"
        return leadcore_import(rows, config, url, chunk, window=window)


def run(config: Config) -> list[Row]:
    """The import benchmark."""
    n = 2_500 if config.quick else 100_000
    samples = 1 if config.quick else 3
    rows = make_rows(n)
    runs = [leadcore_import(rows, config) for _ in range(samples)]
    ours = sorted(t for t, _ in runs)[len(runs) // 2]
    flagged = runs[0][1]
    _, expected = naive_import(rows)
    if flagged != expected:
        raise AssertionError(f"leadcore flagged {flagged} duplicates, the naive loop {expected}")
    peer = measure(lambda: naive_import(rows), config)
    # One run each on SQLite: at this size it takes a minute or two. The smaller import
    # shows that the default 30-day duplicate window costs nothing over no window (the
    # lookup reads contact keys, then leads by key, and applies the window to those).
    on_sqlite, flagged_sql = _on_sqlite(rows, config, CHUNK, window=True)
    if flagged_sql != expected:
        raise AssertionError(f"leadcore on SQLite flagged {flagged_sql} duplicates, not {expected}")
    small, step = (rows[:1_000], 250) if config.quick else (rows[:8_000], 2_000)
    _, small_expected = naive_import(small)
    windowed = {w: _on_sqlite(small, config, step, window=w) for w in (False, True)}
    if any(found != small_expected for _, found in windowed.values()):
        raise AssertionError("leadcore on SQLite flagged another number of duplicates")
    return [
        Row(
            f"import_many, {n:,} rows, duplicate detection (batches of 1,000)",
            n / ours,
            "rows/s",
            peer="dict-based dedupe loop, no validation",
            peer_value=n / peer.median,
            limit=50_000,
            extra={"seconds": ours, "samples": [t for t, _ in runs], "duplicates": flagged},
        ),
        Row(
            f"import_many, {n:,} rows, duplicate detection, SQLite file "
            f"({CHUNK:,} rows per unit of work, 30-day duplicate window)",
            n / on_sqlite,
            "rows/s",
            peer="dict-based dedupe loop, no validation",
            peer_value=n / peer.median,
            extra={"seconds": on_sqlite, "duplicates": flagged_sql, "chunk": CHUNK},
        ),
        *(
            Row(
                f"import_many, {len(small):,} rows, SQLite file, {step:,} rows per unit of work, "
                + ("30-day duplicate window (default)" if w else "no duplicate window"),
                len(small) / seconds,
                "rows/s",
                extra={"seconds": seconds, "chunk": step, "window": w},
            )
            for w, (seconds, _) in windowed.items()
        ),
    ]
