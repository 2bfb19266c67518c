"""Import on SQL: ``s.leads.import_many`` against the loop one writes by hand on the driver.

The rows are :func:`bench_import.make_rows`: a name, a local phone number
and an e-mail address, one row in five repeating an earlier lead by phone or
by address in other letter case.

**The hand loop** (``sqlite3``, or ``psycopg`` on PostgreSQL), 2,000 rows per
transaction, one row at a time: the phone put in E.164 form with
``phonenumbers``, the address trimmed and lower-cased, the first stored lead
with that phone, then with that address, looked up through an index on
``(organization, phone)`` and ``(organization, email)``; one lead row, one
history row and one event row (JSON) inserted. It checks nothing else (no
custom fields, no do-not-call list, no duplicate window, no text rules).

**leadcore**: the same rows through ``s.leads.import_many(rows,
batch_size=2000)`` into a new organisation whose default region reads the
local numbers: every intake rule, the 30-day duplicate window, the
do-not-call list, a history entry and the events of every lead.

Both run in the same process on a new database each (a SQLite file; a
scratch PostgreSQL database when ``LEADCORE_BENCH_POSTGRES_URL`` names a
server, e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), with
``phonenumbers``' cache cold, and must find the same number of duplicates.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import phonenumbers
from _harness import Config, Row
from bench_import import T0, make_rows

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import ImportOutcome
from leadcore.leads._intake import _e164

TITLE = "Import (SQL)"

POSTGRES_URL_ENV = "LEADCORE_BENCH_POSTGRES_URL"
#: Rows per transaction of the hand loop, and per batch of leadcore.
BATCH = 2_000

_SCHEMA = (
    "CREATE TABLE leads (id BIGINT PRIMARY KEY, org TEXT NOT NULL, name TEXT NOT NULL,"
    " phone TEXT, email TEXT, created_at TEXT NOT NULL, duplicate_of BIGINT)",
    "CREATE INDEX leads_phone ON leads (org, phone)",
    "CREATE INDEX leads_email ON leads (org, email)",
    "CREATE TABLE history (id BIGINT PRIMARY KEY, org TEXT NOT NULL, lead_id BIGINT NOT NULL,"
    " at TEXT NOT NULL, kind TEXT NOT NULL, text TEXT)",
    "CREATE TABLE events (id BIGINT PRIMARY KEY, org TEXT NOT NULL, kind TEXT NOT NULL,"
    " payload TEXT NOT NULL)",
)


class _Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ...) -> Any: ...
    def fetchone(self) -> Any: ...


def _e164_by_hand(raw: str) -> str:
    number = phonenumbers.parse(raw, "IL")
    if not phonenumbers.is_valid_number(number):
        raise ValueError(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def hand_loop(
    rows: Sequence[dict[str, str]],
    cursor: _Cursor,
    commit: Callable[[], None],
    mark: str,
) -> int:
    """Import ``rows`` one at a time on a driver cursor; the number of duplicates found.

    ``mark`` is the driver's placeholder (``?`` or ``%s``).
    """
    org, now = "org-1", T0.isoformat()
    lead_sql = f"INSERT INTO leads VALUES ({', '.join([mark] * 7)})"
    history_sql = f"INSERT INTO history VALUES ({', '.join([mark] * 6)})"
    event_sql = f"INSERT INTO events VALUES ({', '.join([mark] * 4)})"
    by_phone = f"SELECT id FROM leads WHERE org = {mark} AND phone = {mark} ORDER BY id LIMIT 1"
    by_email = f"SELECT id FROM leads WHERE org = {mark} AND email = {mark} ORDER BY id LIMIT 1"
    duplicates = 0
    for i, row in enumerate(rows):
        phone = _e164_by_hand(row["phone"]) if row.get("phone") else None
        email = row["email"].strip().lower() if row.get("email") else None
        original = None
        if phone is not None:
            cursor.execute(by_phone, (org, phone))
            found = cursor.fetchone()
            original = found[0] if found else None
        if original is None and email is not None:
            cursor.execute(by_email, (org, email))
            found = cursor.fetchone()
            original = found[0] if found else None
        duplicates += original is not None
        cursor.execute(lead_sql, (i, org, row["name"], phone, email, now, original))
        cursor.execute(history_sql, (i, org, i, now, "created", None))
        payload = {"lead_id": i, "name": row["name"], "phone": phone, "duplicate_of": original}
        cursor.execute(event_sql, (i, org, "lead.created", json.dumps(payload)))
        if i % BATCH == BATCH - 1:
            commit()
    commit()
    return duplicates


def leadcore_import(rows: Sequence[dict[str, str]], url: str) -> tuple[float, int]:
    """Seconds to import ``rows`` with leadcore on ``url``, and the duplicates flagged."""
    core = Leadcore.open(url, clock=ManualClock(T0), ids=SequentialIds())
    try:
        _, admin = core.create_organization("Bench", admin_name="Admin", default_region="IL")
        s = core.session(admin.id)
        _e164.cache_clear()
        seconds, report = _timed(lambda: s.leads.import_many(rows, batch_size=BATCH))
        return seconds, report.count(ImportOutcome.DUPLICATE)
    finally:
        core.close()


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    import time

    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out
    finally:
        if enabled:
            gc.enable()


def _sqlite_hand(rows: Sequence[dict[str, str]], path: Path) -> tuple[float, int]:
    connection = sqlite3.connect(path)
    try:
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.commit()
        cursor = connection.cursor()
        return _timed(lambda: hand_loop(rows, cursor, connection.commit, "?"))  # type: ignore[no-any-return]
    finally:
        connection.close()


@contextmanager
def _postgres(url: str) -> Iterator[str]:
    from bench_sql import scratch_database

    with scratch_database(url) as scratch:
        yield scratch


def _postgres_hand(rows: Sequence[dict[str, str]], url: str) -> tuple[float, int]:
    import psycopg
    from sqlalchemy.engine import make_url

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as connection:
        with connection.cursor() as c:
            for statement in _SCHEMA:
                c.execute(statement)
        connection.commit()
        cursor = connection.cursor()
        return _timed(lambda: hand_loop(rows, cursor, connection.commit, "%s"))  # type: ignore[no-any-return]


def _row(where: str, n: int, ours: float, peer: float, flagged: int, target: float) -> Row:
    return Row(
        f"import_many, {n:,} rows, {where}, duplicate detection, {BATCH:,} rows per transaction",
        n / ours,
        "rows/s",
        peer="hand-written loop on the driver (row at a time)",
        peer_value=n / peer,
        min_ratio=target,
        extra={"seconds": ours, "peer_seconds": peer, "duplicates": flagged},
    )


def run(config: Config) -> list[Row]:
    """The SQL import benchmark."""
    n = 2_000 if config.quick else 20_000
    rows = make_rows(n)
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="leadcore-bench-") as tmp:
        peer, expected = _sqlite_hand(rows, Path(tmp) / "hand.db")
        ours, flagged = leadcore_import(rows, f"sqlite:///{Path(tmp) / 'leadcore.db'}")
    if flagged != expected:
        raise AssertionError(f"leadcore flagged {flagged} duplicates, the hand loop {expected}")
    out.append(_row("SQLite file", n, ours, peer, flagged, 0.5))
    url = os.environ.get(POSTGRES_URL_ENV)
    name = f"import_many, {n:,} rows, PostgreSQL"
    if not url:
        out.append(Row.skip(name, f"no database ({POSTGRES_URL_ENV} is not set)", "rows/s"))
        return out
    with _postgres(url) as scratch:
        peer, expected = _postgres_hand(rows, scratch)
    with _postgres(url) as scratch:
        ours, flagged = leadcore_import(rows, scratch)
    if flagged != expected:
        raise AssertionError(f"leadcore flagged {flagged} duplicates, the hand loop {expected}")
    out.append(_row("PostgreSQL", n, ours, peer, flagged, 5.0))
    return out


if __name__ == "__main__":  # pragma: no cover - a quick look without the whole suite
    for r in run(Config.for_mode(quick=bool(os.environ.get("QUICK")))):
        print(f"{r.benchmark}: {r.value:,.0f} vs {r.peer_value or 0:,.0f} = {r.ratio or 0:.2f}x")
    print(datetime.now(UTC))
