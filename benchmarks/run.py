"""Run every benchmark in one process and print one Markdown table.

    python benchmarks/run.py              # full run (what docs/performance.md shows)
    python benchmarks/run.py --quick      # tiny sizes: only checks the benchmarks still run
    python benchmarks/run.py --json out.json --only workflow
    python benchmarks/run.py --cpu-time   # on a busy shared machine

Benchmarks are the modules ``benchmarks/bench_<name>.py``; each defines
``TITLE`` and ``run(config) -> list[Row]`` (see ``_harness.py``). Adding a
module adds its rows to the table; nothing here changes. Peers are measured
in the same run as leadcore, so ratios hold on any machine even when the
absolute figures do not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _harness import Config, Row, format_value

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    """Names of the benchmark modules (``workflow`` for ``bench_workflow.py``), sorted."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": platform.platform(),
        "load": _load(),
    }


def _load() -> str:
    # Other work on the machine slows the wall clock down; say how much there was.
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def markdown_table(sections: Sequence[tuple[str, Sequence[Row]]], *, judge: bool = True) -> str:
    """One table for every benchmark; each module's rows are introduced by its title.

    ``judge=False`` leaves the verdicts out (a ``--quick`` run measures nothing).
    """
    lines = [
        "| benchmark | leadcore | peer (same run) | ratio | target | met? |",
        "|---|---:|---:|---:|---|:---:|",
    ]
    for title, rows in sections:
        lines.append(f"| **{title}** | | | | | |")
        for row in rows:
            peer = (
                f"{format_value(row.peer_value, row.unit)} ({row.peer})"
                if row.peer_value is not None
                else "—"
            )
            ratio = _ratio(row.ratio)
            met = {True: "yes", False: "**NO**", None: ""}[row.met if judge else None]
            value = (
                format_value(row.value, row.unit)
                if row.skipped is None
                else f"skipped: {row.skipped}"
            )
            lines.append(f"| {row.benchmark} | {value} | {peer} | {ratio} | {row.target} | {met} |")
    return "\n".join(lines)


def _ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    # "0.02x", not "0.0x": a ratio below 1 keeps two significant figures.
    return f"{ratio:,.1f}x" if ratio >= 1 else f"{ratio:.2g}x"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; exit 1 with ``--strict`` when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; figures mean nothing")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write raw results here")
    parser.add_argument(
        "--only", action="append", choices=discover(), help="run only this benchmark (repeatable)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument(
        "--cpu-time",
        action="store_true",
        help="time with this process's CPU time instead of the wall clock (for busy machines)",
    )
    args = parser.parse_args(argv)
    config = Config.for_mode(quick=args.quick, cpu_time=args.cpu_time)
    sections: list[tuple[str, list[Row]]] = []
    raw: dict[str, Any] = {"machine": machine(), "quick": config.quick, "benchmarks": {}}
    started = time.perf_counter()
    for name in args.only or discover():
        module = importlib.import_module(f"bench_{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        rows = module.run(config)
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        sections.append((module.TITLE, rows))
        raw["benchmarks"][name] = [row.to_dict() for row in rows]
    raw["seconds"] = time.perf_counter() - started
    raw["load_after"] = _load()
    m = raw["machine"]
    clock = "CPU time (process_time)" if args.cpu_time else "wall clock (perf_counter)"
    print(
        f"{m['cpus']} CPUs, {m['cpu']}, {m['implementation']} {m['python']}; {clock}; "
        f"load average {m['load']} before, {raw['load_after']} after"
    )
    if config.quick:
        print("--quick: tiny sizes, one repeat; the figures below are not measurements.")
    print()
    print(markdown_table(sections, judge=not config.quick))
    if args.json:
        args.json.write_text(json.dumps(raw, indent=2, default=str) + "\n", encoding="utf-8")
    missed = [r.benchmark for _, rows in sections for r in rows if r.met is False]
    if missed and not config.quick:
        print(f"\n{len(missed)} target(s) missed.", file=sys.stderr)
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
