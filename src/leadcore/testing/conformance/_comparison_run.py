"""The stateful comparisons as checks of the suite, with a budget set per class or per run.

:class:`ComparisonWithMemory` runs three state machines on storages from
:meth:`~StorageFixtures.make_storage` (one per example): the lead lifecycle
with dispatch and forwarding (:class:`ForwardingAnswersAsMemory`, or
:class:`SameAnswersAsMemory` for an adapter without ``forwarding``) and the
calendar (:class:`SameCalendarAsMemory`, when the adapter declares
``calendar``).

The budget is small by default, so that the whole kit stays quick. Raise it
per class (:attr:`ComparisonWithMemory.comparison_examples`,
:attr:`ComparisonWithMemory.comparison_steps`) or per run with the
environment variables ``LEADCORE_COMPARISON_EXAMPLES`` and
``LEADCORE_COMPARISON_STEPS``, which win over the class attributes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import ClassVar, Final, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from leadcore.errors import ValidationError
from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._base import StorageFixtures, require_capability
from leadcore.testing.conformance._comparison import SameAnswersAsMemory
from leadcore.testing.conformance._comparison_calendar import SameCalendarAsMemory
from leadcore.testing.conformance._comparison_forwarding import ForwardingAnswersAsMemory

__all__ = ["EXAMPLES_VARIABLE", "STEPS_VARIABLE", "ComparisonWithMemory", "comparison_budget"]

S = TypeVar("S", bound=Storage)

#: The environment variable that sets how many examples each comparison runs.
EXAMPLES_VARIABLE: Final = "LEADCORE_COMPARISON_EXAMPLES"
#: The environment variable that sets at most how many steps each example takes.
STEPS_VARIABLE: Final = "LEADCORE_COMPARISON_STEPS"


def _count(variable: str, default: int) -> int:
    raw = os.environ.get(variable)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError(
            "bad comparison budget", [f"{variable}: {raw!r} is not a whole number of at least 1"]
        )
    return value


def comparison_budget(examples: int, steps: int) -> settings:
    """Hypothesis settings for a comparison: the environment's budget, else the one given."""
    return settings(
        max_examples=_count(EXAMPLES_VARIABLE, examples),
        stateful_step_count=_count(STEPS_VARIABLE, steps),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class ComparisonWithMemory(StorageFixtures[S]):
    """Random operations through the facade answer exactly as on MemoryStorage.

    Skipped with a reason when only the ``storage`` fixture is overridden (the
    machines need a new storage per example). Raise :attr:`comparison_examples`
    and :attr:`comparison_steps` in your subclass, or set
    ``LEADCORE_COMPARISON_EXAMPLES`` / ``LEADCORE_COMPARISON_STEPS``, for a
    deeper search.
    """

    #: How many random runs (hypothesis examples) each comparison tries.
    comparison_examples: ClassVar[int] = 10
    #: At most how many operations each run makes.
    comparison_steps: ClassVar[int] = 20

    def _run(self, base: type[RuleBasedStateMachine], name: str) -> None:
        if type(self).make_storage is StorageFixtures.make_storage:
            pytest.skip(
                "the comparison with MemoryStorage needs a new storage per example: "
                f"override make_storage() in {type(self).__name__} to run it"
            )
        factory: Callable[[], Storage] = self.make_storage
        machine = type(
            f"{name}On{type(self).__name__}", (base,), {"open_subject": staticmethod(factory)}
        )
        run_state_machine_as_test(
            machine, settings=comparison_budget(self.comparison_examples, self.comparison_steps)
        )

    def test_every_answer_equals_the_memory_storage_s(self, storage: S) -> None:
        """Leads, dispatch and forwarding: every answer equals MemoryStorage's."""
        forwarding = storage.capabilities.forwarding
        base = ForwardingAnswersAsMemory if forwarding else SameAnswersAsMemory
        self._run(base, "SameAnswers")

    def test_every_calendar_answer_equals_the_memory_storage_s(self, storage: S) -> None:
        """Calendar use cases: every answer equals MemoryStorage's."""
        require_capability(storage, "calendar")
        self._run(SameCalendarAsMemory, "SameCalendar")
