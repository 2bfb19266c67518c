"""Scripts of service calls run on the memory adapter and on a SQL backend, answer for answer.

A script drives a :class:`~leadcore.Leadcore` and records what each call
answered (its value, or the type and message of the leadcore error) with an
:class:`Asker`; :func:`same_answers` runs it with the same clock and ids on
``MemoryStorage`` and on the storage under test, and requires every answer to
be equal (invariant 6).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import attrs

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.errors import LeadcoreError
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.protocols import Storage


@attrs.frozen
class Answer:
    """What one call answered: its value, or the type and message of the leadcore error."""

    step: str
    value: object = None
    error: tuple[str, str] | None = None


class Asker:
    """Makes a script's calls and keeps every answer, in order."""

    def __init__(self, clock: ManualClock, *, tick: timedelta | None = None) -> None:
        self.clock = clock
        self.tick = tick
        self.answers: list[Answer] = []

    def __call__(self, step: str, call: Callable[[], Any]) -> Any:
        """The value of ``call()`` (``None`` when it raised a leadcore error, which is kept)."""
        if self.tick is not None:
            self.clock.advance(self.tick)
        try:
            value = call()
        except LeadcoreError as exc:
            self.answers.append(Answer(step, error=(type(exc).__name__, str(exc))))
            return None
        self.answers.append(Answer(step, value))
        return value


Script = Callable[[Leadcore, ManualClock], list[Answer]]


def run(script: Script, storage: Storage, start: datetime) -> list[Answer]:
    """The answers of ``script`` on ``storage``, from ``start`` with sequential ids."""
    clock = ManualClock(start)
    core = Leadcore(storage=storage, clock=clock, ids=SequentialIds())
    try:
        return script(core, clock)
    finally:
        core.close()


def same_answers(script: Script, storage: Storage, start: datetime) -> list[Answer]:
    """Run ``script`` on memory and on ``storage``; require equal answers; the memory ones."""
    expected = run(script, MemoryStorage(), start)
    actual = run(script, storage, start)
    assert [a.step for a in actual] == [a.step for a in expected]
    for mine, reference in zip(actual, expected, strict=True):
        assert mine == reference, f"step {reference.step!r} answered differently"
    return expected
