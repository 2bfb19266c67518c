"""What every benchmark module shares: its settings, its result rows and the timer.

A benchmark module is a file ``benchmarks/bench_<name>.py`` that defines
``TITLE`` (a short heading) and ``run(config) -> list[Row]``. ``run.py`` finds
such modules by name, runs them in one process and prints one table, so a new
benchmark needs no change anywhere else.
"""

from __future__ import annotations

import gc
import math
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Config:
    """How hard to measure.

    ``quick`` runs each benchmark with tiny sizes and one repeat, only to show
    it still runs; its figures mean nothing.
    """

    quick: bool = False
    repeats: int = 7
    #: Each timed sample runs the workload enough times to last at least this long.
    min_sample_s: float = 0.2
    #: Wall-clock time by default; ``time.process_time`` counts only this process's CPU
    #: time, which a busy shared machine does not inflate.
    clock: Callable[[], float] = time.perf_counter

    @classmethod
    def for_mode(cls, *, quick: bool, cpu_time: bool = False) -> Config:
        """The settings of a full run, or of a ``--quick`` check."""
        clock = time.process_time if cpu_time else time.perf_counter
        if quick:
            return cls(quick=True, repeats=1, min_sample_s=0.0, clock=clock)
        return cls(clock=clock)


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    ``value`` is leadcore's figure; ``peer_value`` the peer's figure measured
    in the same run. A target is either ``min_ratio`` (at least that many
    times better than the peer) or ``limit`` (the figure itself must be at
    most, or with ``higher_is_better`` at least, this value).
    """

    benchmark: str
    value: float
    unit: str
    higher_is_better: bool = True
    peer: str | None = None
    peer_value: float | None = None
    min_ratio: float | None = None
    limit: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    #: Why the benchmark did not run (no database, a missing feature); the table says so.
    skipped: str | None = None

    @classmethod
    def skip(cls, benchmark: str, reason: str, unit: str = "", **target: Any) -> Row:
        """A row that says why it was not measured (its target, if any, stays visible)."""
        print(f"  {benchmark}: skipped: {reason}", file=sys.stderr, flush=True)
        return cls(benchmark, 0.0, unit, skipped=reason, **target)

    @property
    def ratio(self) -> float | None:
        """How many times better leadcore is than the peer (above 1: leadcore wins)."""
        if self.peer_value is None or self.value == 0 or self.peer_value == 0:
            return None
        if self.higher_is_better:
            return self.value / self.peer_value
        return self.peer_value / self.value

    @property
    def target(self) -> str:
        """The target as text, or an empty string when the row has none."""
        if self.min_ratio is not None:
            return f">= {self.min_ratio:g}x"
        if self.limit is not None:
            sign = ">=" if self.higher_is_better else "<"
            return f"{sign} {format_value(self.limit, self.unit)}"
        return ""

    @property
    def met(self) -> bool | None:
        """Whether the target is met; ``None`` when the row has no target or was skipped."""
        if self.skipped is not None:
            return None
        if self.min_ratio is not None:
            ratio = self.ratio
            return ratio is not None and ratio >= self.min_ratio
        if self.limit is not None:
            return self.value >= self.limit if self.higher_is_better else self.value < self.limit
        return None

    def to_dict(self) -> dict[str, Any]:
        """The row as plain data, with the derived ratio, target and verdict."""
        data = asdict(self)
        data.update(ratio=self.ratio, target=self.target, met=self.met)
        return data


@dataclass(frozen=True)
class Timing:
    """Seconds per call of a workload: the median of the samples, and the samples."""

    median: float
    samples: tuple[float, ...]
    loops: int

    @property
    def spread(self) -> float:
        """Relative spread of the samples (max - min) / median, to judge the noise."""
        if self.median == 0:
            return 0.0
        return (max(self.samples) - min(self.samples)) / self.median


def measure(fn: Callable[[], object], config: Config, *, warmup: int = 1) -> Timing:
    """Time ``fn`` as :mod:`timeit` does: warm up, calibrate, then take the median sample.

    The collector is paused while a sample runs, for every contender alike,
    so a collection started by earlier garbage does not land on whoever runs
    next.
    """
    return compare({"": fn}, config, warmup=warmup)[""]


def compare(
    contenders: Mapping[K, Callable[[], object]], config: Config, *, warmup: int = 1
) -> dict[K, Timing]:
    """Time several workloads in turns: one sample of each, then the next round.

    Taking the samples in rounds spreads any slow spell of a shared machine
    over every contender instead of letting it fall on one, which keeps the
    ratios honest even when the absolute figures wobble.
    """
    loops: dict[K, int] = {}
    for key, fn in contenders.items():
        for _ in range(warmup):
            fn()
        loops[key] = _calibrate(fn, config.min_sample_s, config.clock)
    samples: dict[K, list[float]] = {key: [] for key in contenders}
    for _ in range(config.repeats):
        for key, fn in contenders.items():
            samples[key].append(_sample(fn, loops[key], config.clock) / loops[key])
    return {key: Timing(statistics.median(s), tuple(s), loops[key]) for key, s in samples.items()}


def _sample(fn: Callable[[], object], loops: int, clock: Callable[[], float]) -> float:
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        start = clock()
        for _ in range(loops):
            fn()
        return clock() - start
    finally:
        if enabled:
            gc.enable()


def _calibrate(fn: Callable[[], object], min_time: float, clock: Callable[[], float]) -> int:
    loops = 1
    while True:
        elapsed = _sample(fn, loops, clock)
        if elapsed >= min_time:
            return loops
        # Aim a little past the minimum so one more round is rarely needed.
        factor = 2.0 if elapsed <= 0 else min(10.0, 1.2 * min_time / elapsed)
        loops = max(loops + 1, math.ceil(loops * factor))


_SCALES = ((1e9, "G"), (1e6, "M"), (1e3, "k"))


def format_value(value: float, unit: str) -> str:
    """A figure with a readable scale: ``2.41 M decisions/s``, ``183 ms``, ``4.1 µs``."""
    if value == 0:
        return f"0 {unit}".rstrip()
    if not unit and float(value).is_integer():
        return f"{value:,.0f}"
    if unit == "s":
        for scale, name in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if value >= scale:
                return f"{_digits(value / scale)} {name}"
        return f"{_digits(value * 1e9)} ns"
    # "132 kB", but "1.69 M decisions/s": a prefix only sticks to a unit symbol.
    sep = "" if len(unit) <= 2 else " "
    for scale, prefix in _SCALES:
        if value >= scale:
            return f"{_digits(value / scale)} {prefix}{sep}{unit}"
    return f"{_digits(value)} {unit}"


def _digits(value: float) -> str:
    # Three significant figures, never scientific notation.
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
