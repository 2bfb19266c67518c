"""What each role of an organisation can do to a lead, explored through :meth:`Workflow.decide`.

A role's moves are not read from the graph: every move from every status
(and from no status) is put to the decision engine, as the role's users
put it, under the role's restriction and with the note and task a status
asks for. What the engine allows is the role's move table; shortest paths
through it are the counterexamples the kit prints.

>>> from leadcore.workflow import sample_workflow
>>> qualifier = next(r for r in role_moves(sample_workflow()) if r.role == "qualifier")
>>> qualifier.restricted, qualifier.path_to("won")[-2:]
(True, ('proposal', 'won'))
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Final

import attrs

from leadcore.leads import TaskDraft
from leadcore.tenancy import Permission, Role, RolePolicy
from leadcore.workflow import Decision, Workflow

__all__ = ["RoleMoves", "describe_path", "describe_refusal", "role_moves", "status_label"]

#: What a user gives with a move when the status asks for it: a note and a task.
_NOTE: Final = "Spoke to the client"
_TASK: Final = TaskDraft("Call back", due_in=timedelta(days=1))

Path = tuple[str | None, ...]
"""A lead's statuses along a run of moves; ``None`` first when it starts with no status."""


@attrs.frozen
class RoleMoves:
    """The moves one role may make in one workflow, as :meth:`Workflow.decide` allows them.

    ``moves[current]`` lists, in status order, every status a user of the
    role may move a lead in ``current`` to (``None``: a lead with no status),
    giving the note and task the target status requires.
    """

    role: Role
    """The role."""
    restricted: bool
    """Whether the role is restricted to next stages (``restrict_to_next_stages``)."""
    workflow: Workflow = attrs.field(repr=False)
    """The workflow explored."""
    moves: Mapping[str | None, tuple[str, ...]] = attrs.field(repr=False)
    """Each status (and ``None``) with the statuses the role may move a lead to from it."""

    @property
    def someone(self) -> str:
        """The role with its article, as a counterexample's first step names it."""
        label = self.label
        return f"{'an' if label[0] in 'aeiou' else 'a'} {label}"

    @property
    def label(self) -> str:
        """The role as a counterexample names it, e.g. ``qualifier (restricted to next stages)``."""
        return f"{self.role} (restricted to next stages)" if self.restricted else str(self.role)

    def paths_from(self, start: str | None) -> dict[str, Path]:
        """The shortest run of the role's moves from ``start`` to each status it leads to.

        Breadth first, trying targets in status order, so that the paths are
        the shortest and, among those, the first in status order. A status
        ``start`` is in the result itself, with the path ``(start,)``.
        """
        first: Path = (start,)
        paths: dict[str, Path] = {} if start is None else {start: first}
        queue: deque[Path] = deque([first])
        while queue:
            path = queue.popleft()
            for target in self.moves.get(path[-1], ()):
                if target not in paths:
                    paths[target] = (*path, target)
                    queue.append(paths[target])
        return paths

    def entered(self) -> dict[str, Path]:
        """Every status the role can bring a lead with no status into, with its shortest path."""
        return self.paths_from(None)

    def path_to(self, target: str) -> Path | None:
        """The role's shortest path from no status to ``target``, or ``None``."""
        return self.entered().get(target)

    def reach_done(self) -> frozenset[str]:
        """The statuses from which some run of the role's moves ends in a done status."""
        back: dict[str, list[str]] = {}
        for source, targets in self.moves.items():
            if source is not None:
                for target in targets:
                    back.setdefault(target, []).append(source)
        found = set(self.workflow.done_statuses())
        queue = deque(found)
        while queue:
            for source in back.get(queue.popleft(), ()):
                if source not in found:
                    found.add(source)
                    queue.append(source)
        return frozenset(found)

    def decide(self, current: str | None, target: str) -> Decision:
        """The engine's answer to this role's move, made with a note and a task."""
        return self.workflow.decide(
            current, target, restricted=self.restricted, note=_NOTE, task=_TASK
        )


def _explore(wf: Workflow, restricted: bool) -> dict[str | None, tuple[str, ...]]:
    ids = wf.status_ids
    return {
        current: tuple(
            target
            for target in ids
            if wf.decide(current, target, restricted=restricted, note=_NOTE, task=_TASK).allowed
        )
        for current in (None, *ids)
    }


def role_moves(
    wf: Workflow, policy: RolePolicy | None = None, *, roles: Iterable[Role | str] | None = None
) -> tuple[RoleMoves, ...]:
    """The move table of each role that may change statuses under ``policy``.

    ``policy`` is the organisation's :class:`~leadcore.tenancy.RolePolicy`
    (default: :data:`~leadcore.tenancy.DEFAULT_ROLE_PERMISSIONS`, in which
    the qualifier and the salesperson are restricted to next stages);
    ``roles`` limits the result to the roles named. Roles without the
    ``change_status`` permission work no workflow and are left out.
    """
    policy = policy if policy is not None else RolePolicy.default()
    wanted = None if roles is None else {Role(r) for r in roles}
    tables: dict[bool, dict[str | None, tuple[str, ...]]] = {}
    out: list[RoleMoves] = []
    for role in Role:
        permissions = policy.permissions_of(role)
        if (wanted is not None and role not in wanted) or Permission.CHANGE_STATUS not in (
            permissions
        ):
            continue
        restricted = Permission.RESTRICT_TO_NEXT_STAGES in permissions
        table = tables.get(restricted)
        if table is None:
            table = tables[restricted] = _explore(wf, restricted)
        out.append(RoleMoves(role, restricted, wf, table))
    return tuple(out)


def status_label(wf: Workflow, status_id: str | None) -> str:
    """A status as counterexamples print it: its name, quoted (``no status`` for ``None``)."""
    if status_id is None:
        return "no status"
    return repr(wf.status(status_id).name) if status_id in wf else repr(status_id)


def _with(wf: Workflow, target: str) -> str:
    requires = wf.status(target).requires
    if requires.needs_note and requires.needs_task:
        return " with the note and the task it requires"
    if requires.needs_note:
        return " with the note it requires"
    if requires.needs_task:
        return " with the task it requires"
    return ""


def describe_path(moves: RoleMoves, path: Sequence[str | None]) -> list[str]:
    """The moves along ``path`` as counterexample steps, in status names.

    >>> from leadcore.workflow import sample_workflow
    >>> qualifier = role_moves(sample_workflow(), roles=["qualifier"])[0]
    >>> for step in describe_path(qualifier, (None, "new", "contacted")):
    ...     print(step)
    a qualifier (restricted to next stages) gives a lead with no status 'New'
    the qualifier moves it from 'New' to 'Contacted' with the note it requires
    """
    wf = moves.workflow
    steps: list[str] = []
    for current, target in itertools.pairwise(path):
        assert target is not None
        who = moves.someone if not steps else f"the {moves.role}"
        name = status_label(wf, target)
        if current is None:
            steps.append(f"{who} gives a lead with no status {name}{_with(wf, target)}")
        else:
            steps.append(
                f"{who} moves it from {status_label(wf, current)} to {name}{_with(wf, target)}"
            )
    return steps


def describe_refusal(
    moves: RoleMoves, current: str | None, target: str, *, first: bool = False
) -> str:
    """One step: the role tries a move and the engine answers, with the reason codes.

    ``first`` says the step opens the run (the role is then introduced).
    """
    wf = moves.workflow
    decision = moves.decide(current, target)
    outcome = "allowed" if decision.allowed else f"refused ({', '.join(decision.codes)})"
    who = moves.someone if first else f"the {moves.role}"
    if current is None:
        return f"{who} tries to give a lead with no status {status_label(wf, target)}: {outcome}"
    return (
        f"{who} tries to move it from {status_label(wf, current)} to "
        f"{status_label(wf, target)}: {outcome}"
    )
