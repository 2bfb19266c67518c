"""Properties of a workflow for each role that works it, from the decision engine.

Each property here speaks about a role of the organisation: the moves its
users may make are asked of :meth:`Workflow.decide
<leadcore.workflow.Workflow.decide>` under the role's restriction (see
:mod:`leadcore.testing._role_moves`), not read from the graph. A broken
property comes with the shortest run of the role's own moves that shows it,
in status names.

>>> from leadcore.workflow import sample_workflow
>>> check_roles(sample_workflow())
()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import attrs

from leadcore.tenancy import RolePolicy
from leadcore.testing._role_moves import (
    RoleMoves,
    describe_path,
    describe_refusal,
    role_moves,
    status_label,
)
from leadcore.workflow import LintCode, Workflow

__all__ = ["ROLE_PROPERTIES", "RoleViolation", "check_roles"]

#: The properties checked for each role, by name, each with what it promises.
ROLE_PROPERTIES: Final[Mapping[str, str]] = {
    "role-reach-done": (
        "for each role that changes statuses, every status the role can bring a lead into "
        "has a way to a done status through moves the role may make, unless the workflow's "
        "dead-end or no-path-to-done warning is accepted"
    ),
    "entry-not-done": (
        "a role restricted to next stages gives a lead with no status only statuses that are "
        "not done, unless the workflow's entry-is-done warning is accepted"
    ),
    "role-reachable": (
        "each role that changes statuses can bring a lead into every status through moves "
        "the role may make, unless the workflow's unreachable warning is accepted"
    ),
}


@attrs.frozen
class RoleViolation:
    """One broken role property: its name, what broke, and the role's run that shows it."""

    name: str
    """The property (a key of :data:`ROLE_PROPERTIES`)."""
    detail: str
    """What broke, naming the roles and statuses."""
    given: tuple[str, ...]
    """The roles checked and how their moves are made."""
    steps: tuple[str, ...]
    """The shortest run of the role's moves that shows it, in status names."""


def _names(wf: Workflow, ids: Iterable[str]) -> str:
    return ", ".join(status_label(wf, sid) for sid in ids)


def _roles_text(group: Sequence[RoleMoves]) -> str:
    noun = "the role" if len(group) == 1 else "the roles"
    restricted = all(r.restricted for r in group)
    names = ", ".join(str(r.role) for r in group)
    return f"{noun} {names}" + (" (restricted to next stages)" if restricted else "")


def _given(roles: Sequence[RoleMoves]) -> tuple[str, ...]:
    restricted = [str(r.role) for r in roles if r.restricted]
    return (
        f"roles that change statuses: {', '.join(str(r.role) for r in roles)}",
        f"restricted to next stages: {', '.join(restricted) or 'none'}",
        "each move is asked of Workflow.decide, with the note and the task its status requires",
    )


def _order(wf: Workflow) -> Mapping[str, int]:
    return {sid: i for i, sid in enumerate(wf.status_ids)}


def _stuck(
    wf: Workflow, roles: Sequence[RoleMoves], exempt: frozenset[str]
) -> RoleViolation | None:
    order = _order(wf)
    found: list[tuple[int, int, RoleMoves, str, tuple[str | None, ...]]] = []
    for r in roles:
        good = r.reach_done()
        for sid, path in r.entered().items():
            if sid not in good and sid not in exempt:
                found.append((len(path), order[sid], r, sid, path))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1], item[2].role))
    _, _, first, status, path = found[0]
    group = [r for _, _, r, sid, _ in found if sid == status]
    onward = [s for s in first.paths_from(status) if s != status]
    escape = (
        f"from there they may move it only to {_names(wf, onward)}"
        if onward
        else "from there they may make no move at all"
    )
    steps = describe_path(first, path)
    done = wf.done_statuses()
    if done:
        steps.append(describe_refusal(first, status, done[0], first=not steps))
    detail = (
        f"{_roles_text(group)} can bring a lead into {status_label(wf, status)}, and no move "
        f"they may make leads from there to a done status: {escape}"
    )
    if status in wf.dead_ends():
        detail += "; accept the 'dead-end' warning if that is intended"
    elif status in wf.cannot_reach_done():
        detail += "; accept the 'no-path-to-done' warning if that is intended"
    return RoleViolation("role-reach-done", detail, _given(roles), tuple(steps))


def _done_entry(
    wf: Workflow, roles: Sequence[RoleMoves], exempt: frozenset[str]
) -> RoleViolation | None:
    for r in roles:
        if not r.restricted:
            continue
        for target in r.moves.get(None, ()):
            if wf.is_done(target) and target not in exempt:
                group = [o for o in roles if o.restricted and target in o.moves.get(None, ())]
                detail = (
                    f"{_roles_text(group)} may give a lead with no status "
                    f"{status_label(wf, target)}, a done status: the lead is closed before "
                    "anyone works it"
                )
                if target in wf.entry:
                    detail += "; accept the 'entry-is-done' warning if that is intended"
                steps = (*describe_path(r, (None, target)),)
                return RoleViolation("entry-not-done", detail, _given(roles), steps)
    return None


def _unreachable(
    wf: Workflow, roles: Sequence[RoleMoves], exempt: frozenset[str]
) -> RoleViolation | None:
    order = _order(wf)
    reached = {r.role: r.entered() for r in roles}
    for target in wf.status_ids:
        if target in exempt:
            continue
        group = [r for r in roles if target not in reached[r.role]]
        if not group:
            continue
        first = group[0]
        entered = reached[first.role]
        # The run shown ends where the role gets closest to the status in status order: the
        # order a team reads its pipeline in.
        before = [s for s in entered if order[s] < order[target]]
        last = max(before, key=order.__getitem__) if before else None
        path: tuple[str | None, ...] = entered[last] if last is not None else (None,)
        steps = describe_path(first, path)
        steps.append(describe_refusal(first, last, target, first=not steps))
        names = _names(wf, sorted(entered, key=order.__getitem__)) or "no status at all"
        detail = (
            f"{_roles_text(group)} can never bring a lead into {status_label(wf, target)}: "
            f"from no status their moves reach only {names}"
        )
        if target not in wf.reachable():
            detail += "; accept the 'unreachable' warning if that is intended"
        return RoleViolation("role-reachable", detail, _given(roles), tuple(steps))
    return None


def _exempt(wf: Workflow, accepted: frozenset[LintCode]) -> dict[str, frozenset[str]]:
    dead = frozenset(wf.dead_ends())
    stuck: frozenset[str] = frozenset()
    if LintCode.DEAD_END in accepted:
        stuck |= dead
    if LintCode.NO_PATH_TO_DONE in accepted:
        stuck |= frozenset(wf.cannot_reach_done()) - dead
    entry: frozenset[str] = frozenset()
    if LintCode.ENTRY_IS_DONE in accepted:
        entry = frozenset(s for s in wf.entry if wf.is_done(s))
    unreachable: frozenset[str] = frozenset()
    if LintCode.UNREACHABLE in accepted:
        unreachable = frozenset(wf.status_ids) - wf.reachable()
    return {"role-reach-done": stuck, "entry-not-done": entry, "role-reachable": unreachable}


def check_roles(
    wf: Workflow,
    *,
    policy: RolePolicy | None = None,
    accept: Iterable[LintCode] = (),
) -> tuple[RoleViolation, ...]:
    """Check :data:`ROLE_PROPERTIES` for each role that changes statuses under ``policy``.

    ``policy`` is the organisation's role permissions (default: the
    default roles, in which the qualifier and the salesperson are restricted
    to next stages). ``accept`` lists lint warnings that are intended; each
    exempts the statuses it names from the matching property (``dead-end``
    and ``no-path-to-done`` from ``role-reach-done``, ``entry-is-done`` from
    ``entry-not-done``, ``unreachable`` from ``role-reachable``). Returns
    one :class:`RoleViolation` per broken property, in the order of
    :data:`ROLE_PROPERTIES`; empty when every property holds.
    """
    accepted = frozenset(accept)
    roles = role_moves(wf, policy)
    exempt = _exempt(wf, accepted)
    found = (
        _stuck(wf, roles, exempt["role-reach-done"]),
        _done_entry(wf, roles, exempt["entry-not-done"]),
        _unreachable(wf, roles, exempt["role-reachable"]),
    )
    return tuple(v for v in found if v is not None)
