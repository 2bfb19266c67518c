"""Running the property check of a workflow, and its report.

:func:`check_workflow` runs :class:`~leadcore.testing.stateful.WorkflowMachine`
(or a subclass) with hypothesis and turns what breaks into a
:class:`PropertyReport`: each broken property with the shrunk run that
breaks it, as readable steps.

>>> from leadcore.workflow import sample_workflow
>>> report = check_workflow(sample_workflow(), max_examples=5, seed=1)
>>> report.ok
True
>>> print(report)
workflow 'sales' version 1: every property holds (seed 1; up to 5 runs of up to 20 steps)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs
from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from leadcore.errors import ValidationError
from leadcore.tenancy import RolePolicy
from leadcore.testing._role_properties import ROLE_PROPERTIES, RoleViolation, check_roles
from leadcore.testing.stateful import (
    PROPERTIES,
    STEPS_ATTRIBUTE,
    UNEXPECTED_ERROR,
    PropertyViolated,
    WorkflowMachine,
    accepted_codes,
)
from leadcore.workflow import LintCode, Workflow, load_workflow

__all__ = ["PropertyFailure", "PropertyReport", "check_workflow"]


@attrs.frozen
class PropertyFailure:
    """One broken property and the shrunk run that breaks it.

    ``name`` is the property (see :data:`PROPERTIES`; ``unexpected-error``
    when a step raised an error instead), ``detail`` what went wrong,
    ``given`` how the run started, ``steps`` the steps up to the failure, and
    ``replay`` the run as hypothesis prints it (rule calls, for debugging a
    machine of your own).
    """

    name: str
    detail: str
    given: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    replay: tuple[str, ...] = ()

    def __str__(self) -> str:
        promise = ROLE_PROPERTIES.get(self.name) or PROPERTIES.get(self.name)
        lines = [f"{self.name}: {promise}" if promise else self.name, f"  broken: {self.detail}"]
        if self.given:
            lines.append("  given:")
            lines.extend(f"    {line}" for line in self.given)
        noun = "step" if len(self.steps) == 1 else "steps"
        lines.append(f"  counterexample ({len(self.steps)} {noun}):")
        lines.extend(f"    {i}. {step}" for i, step in enumerate(self.steps, start=1))
        return "\n".join(lines)


@attrs.frozen
class PropertyReport:
    """What :func:`check_workflow` found: ``ok``, or each broken property with its counterexample.

    ``str(report)`` is the readable report. ``seed`` reproduces the run:
    pass it back to :func:`check_workflow`.
    """

    source: str
    workflow_id: str
    workflow_version: int
    seed: int
    max_examples: int
    max_steps: int
    accepted: frozenset[LintCode] = frozenset()
    failures: tuple[PropertyFailure, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every property held in every run."""
        return not self.failures

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        budget = f"seed {self.seed}; up to {self.max_examples} runs of up to {self.max_steps} steps"
        if self.accepted:
            budget += f"; accepted: {', '.join(sorted(self.accepted))}"
        if self.ok:
            return f"{self.source}: every property holds ({budget})"
        count = len(self.failures)
        noun = "property" if count == 1 else "properties"
        lines = [f"{self.source}: {count} {noun} broken ({budget})"]
        for failure in self.failures:
            lines.extend(["", str(failure)])
        return "\n".join(lines)


def _load(workflow_or_path: Workflow | str | os.PathLike[str]) -> tuple[Workflow, str]:
    if isinstance(workflow_or_path, Workflow):
        wf = workflow_or_path
        return wf, f"workflow {wf.id!r} version {wf.version}"
    path = Path(workflow_or_path)
    return load_workflow(path), str(path)


def _leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        out: list[BaseException] = []
        for inner in error.exceptions:
            out.extend(_leaves(inner))
        return out
    return [error]


def _header(notes: Sequence[str]) -> int | None:
    return next((i for i, n in enumerate(notes) if n.startswith("Failing test case")), None)


def _failure(error: BaseException) -> PropertyFailure:
    notes = [str(note) for note in getattr(error, "__notes__", ())]
    replay = tuple(notes[i + 1 :] if (i := _header(notes)) is not None else ())
    if isinstance(error, PropertyViolated):
        given, steps = getattr(error, STEPS_ATTRIBUTE, ((), error.steps))
        steps = steps[: len(error.steps)]
        return PropertyFailure(error.name, error.detail, tuple(given), tuple(steps), replay)
    given, steps = getattr(error, STEPS_ATTRIBUTE, ((), ()))
    message = str(error).strip() or "(no message)"
    name = UNEXPECTED_ERROR if not isinstance(error, AssertionError) else "assertion"
    return PropertyFailure(
        name, f"{type(error).__name__}: {message}", tuple(given), tuple(steps), replay
    )


def check_workflow(
    workflow_or_path: Workflow | str | os.PathLike[str],
    *,
    max_examples: int = 100,
    max_steps: int = 20,
    seed: int | None = None,
    accept: Iterable[LintCode | str] = (),
    machine: type[WorkflowMachine] = WorkflowMachine,
    roles: RolePolicy | None = None,
) -> PropertyReport:
    """Run :class:`WorkflowMachine` on a workflow and report every property it breaks.

    ``workflow_or_path`` is a :class:`~leadcore.workflow.Workflow` or a
    ``.toml`` / ``.json`` file (read with
    :func:`~leadcore.workflow.load_workflow`). Up to ``max_examples`` runs
    of up to ``max_steps`` steps are tried; a failing run is shrunk to a
    short counterexample. ``seed`` makes the check repeatable within one
    program (the report gives the seed it used; hypothesis also draws
    constants found in the loaded modules, so another program may draw
    otherwise). ``accept`` lists lint warnings that are intended
    (``dead-end`` and ``no-path-to-done`` exempt the statuses they name from
    ``reach-done``). ``machine`` is the state machine class, for a subclass
    with rules of your own; it is called with the workflow and ``accept=``.

    Before the random runs, each role that changes statuses is checked
    against :data:`~leadcore.testing.ROLE_PROPERTIES`: its moves are asked
    of :meth:`Workflow.decide <leadcore.workflow.Workflow.decide>` under the
    role's restriction, and a broken property shows the shortest run of that
    role's own moves, in status names. ``roles`` is the organisation's
    :class:`~leadcore.tenancy.RolePolicy` (default: the default role
    permissions, in which the qualifier and the salesperson are restricted
    to next stages). ``role-reach-done`` takes the place of the machine's
    ``reach-done``, whose runs would show an unrestricted user jumping into
    the status instead of the way a restricted user gets there.

    Errors inside a run become failures with their steps, never tracebacks:
    ``unexpected-error`` for an exception, ``assertion`` for an
    ``AssertionError`` of a subclass's own rule. A hypothesis usage error (an
    invalid machine, a failed health check) is raised as it is, and so are
    ``OSError`` and :class:`~leadcore.errors.WorkflowInvalid` from reading the
    file, and :class:`~leadcore.errors.ValidationError` for a bad option.

    Called inside a hypothesis test (to check generated workflows, say), the
    outer test needs ``suppress_health_check=[HealthCheck.nested_given]``.
    """
    wf, source = _load(workflow_or_path)
    accepted = accepted_codes(accept)
    problems = [
        f"{name}: must be a whole number, 1 or more, got {value!r}"
        for name, value in (("max_examples", max_examples), ("max_steps", max_steps))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1
    ]
    if problems:
        raise ValidationError("cannot check the workflow", problems)
    used_seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")

    violations = check_roles(wf, policy=roles, accept=accepted)
    # The role properties state reach-done for each role, with the role's own way in.
    machine_accepts = accepted | {LintCode.DEAD_END, LintCode.NO_PATH_TO_DONE}

    def factory() -> WorkflowMachine:
        return machine(wf, accept=machine_accepts)

    config = settings(
        max_examples=max_examples,
        stateful_step_count=max_steps,
        deadline=None,
        database=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=True,
        verbosity=Verbosity.normal,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    failures: list[PropertyFailure] = [_role_failure(v) for v in violations]
    try:
        with with_reporter(_discard):
            # Any callable returning a machine will do (hypothesis documents it so), and a
            # factory keeps the workflow out of class attributes.
            run_state_machine_as_test(
                hypothesis_seed(used_seed)(factory),  # type: ignore[arg-type]
                settings=config,
            )
    except Exception as error:
        leaves = _leaves(error)
        if any(isinstance(leaf, HypothesisException) for leaf in leaves):
            raise
        failures.extend(_failure(leaf) for leaf in leaves)
    return PropertyReport(
        source=source,
        workflow_id=wf.id,
        workflow_version=wf.version,
        seed=used_seed,
        max_examples=max_examples,
        max_steps=max_steps,
        accepted=accepted,
        failures=_one_per_property(failures),
    )


def _role_failure(violation: RoleViolation) -> PropertyFailure:
    return PropertyFailure(violation.name, violation.detail, violation.given, violation.steps)


def _one_per_property(failures: Iterable[PropertyFailure]) -> tuple[PropertyFailure, ...]:
    # A property broken at two places of a run is still one broken property: keep its
    # shortest counterexample.
    best: dict[str, PropertyFailure] = {}
    for failure in failures:
        kept = best.get(failure.name)
        if kept is None or len(failure.steps) < len(kept.steps):
            best[failure.name] = failure
    return tuple(best[name] for name in sorted(best))


def _discard(_: object) -> None:
    # Hypothesis would print the failing run; the report carries it instead.
    return None
