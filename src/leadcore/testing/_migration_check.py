"""Checking a new version of a workflow against the one it replaces.

:func:`check_migration` compares two versions and a mapping of removed
statuses, and reports every hazard of moving live leads across: a removed
status left without a mapping, a mapping that :meth:`s.workflow.publish
<leadcore.services.workflow.WorkflowService.publish>` would refuse, a
mapping (or a kept status) that strands leads where a role restricted to
next stages cannot take them to a done status, leads closed or reopened
silently, and a change of the statuses new leads start in. Where a role is
concerned, the finding shows that role's own moves, asked of
:meth:`Workflow.decide <leadcore.workflow.Workflow.decide>`, in status names.

>>> from leadcore.workflow import sample_workflow
>>> report = check_migration(sample_workflow(), sample_workflow())
>>> report.ok, str(report)
(True, 'no migration hazard')
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
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
from leadcore.workflow import Requirement, Severity, Workflow, load_workflow

__all__ = ["MIGRATION_CODES", "MigrationFinding", "MigrationReport", "check_migration"]

#: Each code :func:`check_migration` reports, with its severity and what it means.
MIGRATION_CODES: Final[Mapping[str, tuple[Severity, str]]] = {
    "removed-unmapped": (
        Severity.ERROR,
        "a status the new version removes may hold leads, and the mapping gives it no target",
    ),
    "mapping-not-removed": (
        Severity.ERROR,
        "the mapping names a status that the new version does not remove",
    ),
    "mapping-unknown-target": (
        Severity.ERROR,
        "the mapping points to a status that the new version does not have",
    ),
    "mapping-requires": (
        Severity.ERROR,
        "the mapping points to a status that requires a note or a task, which nobody "
        "writes during a publish",
    ),
    "mapping-stuck": (
        Severity.ERROR,
        "the mapping points to a status from which a role restricted to next stages can "
        "take the lead to no done status",
    ),
    "status-stranded": (
        Severity.ERROR,
        "a kept status that may hold leads had a way to a done status for a role, and has "
        "none in the new version",
    ),
    "mapping-closes": (
        Severity.WARNING,
        "the mapping moves leads from a status that is not done to a done one: they are "
        "closed without anyone deciding so",
    ),
    "mapping-reopens": (
        Severity.WARNING,
        "the mapping moves leads from a done status to one that is not done: closed leads "
        "come back to work (and to dispatch)",
    ),
    "status-closes": (
        Severity.WARNING,
        "a kept status that may hold leads becomes done: its leads are closed",
    ),
    "status-reopens": (
        Severity.WARNING,
        "a kept done status that may hold leads is no longer done: its leads come back",
    ),
    "entry-changed": (
        Severity.WARNING,
        "the statuses a lead with no status may take changed: new leads start elsewhere",
    ),
}


@attrs.frozen
class MigrationFinding:
    """One hazard of a migration: a code of :data:`MIGRATION_CODES`, where, and why.

    ``steps`` shows, where a role is concerned, what happens to a lead: the
    moves of that role, in status names.
    """

    code: str
    """The stable code."""
    message: str
    """What is wrong, naming the statuses."""
    path: str = ""
    """Where to fix it: ``mapping['parked']``, ``status[2]``, ``entry``."""
    steps: tuple[str, ...] = ()
    """The run that shows it, as readable steps."""

    @property
    def severity(self) -> Severity:
        """``error`` (the migration would lose or strand leads) or ``warning``."""
        return MIGRATION_CODES[self.code][0]

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        lines = [f"{where}{self.code} {self.severity}: {self.message}"]
        lines.extend(f"    {i}. {step}" for i, step in enumerate(self.steps, start=1))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """The finding as plain data (for JSON)."""
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "path": self.path,
            "steps": list(self.steps),
        }


@attrs.frozen
class MigrationReport:
    """What :func:`check_migration` found: every hazard, errors first.

    ``ok`` holds when there is no error; :meth:`passes` with ``strict=True``
    also fails on warnings.
    """

    old: str
    """The version replaced (a file name, or the workflow's id and version)."""
    new: str
    """The version checked."""
    findings: tuple[MigrationFinding, ...] = ()
    """Every hazard found."""

    @property
    def errors(self) -> tuple[MigrationFinding, ...]:
        """The error-severity findings."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[MigrationFinding, ...]:
        """The warning-severity findings."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        """Whether no finding is an error."""
        return not self.errors

    def passes(self, *, strict: bool = False) -> bool:
        """Whether the check passes; with ``strict``, a warning fails it too."""
        return not self.findings if strict else self.ok

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if not self.findings:
            return "no migration hazard"
        return "\n".join(str(f) for f in self.findings)


def _load(workflow_or_path: Workflow | str | os.PathLike[str]) -> tuple[Workflow, str]:
    if isinstance(workflow_or_path, Workflow):
        wf = workflow_or_path
        return wf, f"workflow {wf.id!r} version {wf.version}"
    path = Path(workflow_or_path)
    return load_workflow(path), str(path)


def _holder(moves: Iterable[RoleMoves], status: str) -> tuple[RoleMoves, tuple[str | None, ...]]:
    """The role (restricted first) whose shortest way into ``status`` is shown, and that way."""
    ranked = sorted(moves, key=lambda r: not r.restricted)
    for r in ranked:
        path = r.path_to(status)
        if path is not None:
            return r, path
    raise LookupError(status)


def _trapped(new: Workflow, roles: Iterable[RoleMoves], status: str) -> RoleMoves | None:
    """A role that, with a lead in ``status``, can take it to no done status."""
    if new.is_done(status):
        return None
    ranked = sorted(roles, key=lambda r: not r.restricted)
    return next((r for r in ranked if status not in r.reach_done()), None)


def _escape(new: Workflow, role: RoleMoves, status: str) -> str:
    onward = [s for s in role.paths_from(status) if s != status]
    if not onward:
        return f"cannot move the lead out of {status_label(new, status)} at all"
    names = ", ".join(status_label(new, s) for s in onward)
    return f"can move the lead from {status_label(new, status)} only to {names}"


def _trap_steps(new: Workflow, role: RoleMoves, status: str, first: str) -> tuple[str, ...]:
    done = new.done_statuses()
    steps = [first]
    if done:
        steps.append(describe_refusal(role, status, done[0], first=True))
    return tuple(steps)


def check_migration(
    old: Workflow | str | os.PathLike[str],
    new: Workflow | str | os.PathLike[str],
    mapping: Mapping[str, str] | None = None,
    *,
    occupied: Collection[str] | None = None,
    roles: RolePolicy | None = None,
) -> MigrationReport:
    """Check that leads can move from ``old`` to ``new`` with ``mapping``, and say every hazard.

    ``old`` and ``new`` are :class:`~leadcore.workflow.Workflow` objects or
    ``.toml`` / ``.json`` files. ``mapping`` maps each removed status to a
    status of the new version, as :meth:`s.workflow.publish
    <leadcore.services.workflow.WorkflowService.publish>` takes it.
    ``occupied`` is the set of statuses that hold leads (say, from
    ``s.reports``); when omitted, every status may hold leads. ``roles`` is
    the organisation's :class:`~leadcore.tenancy.RolePolicy` (default: the
    default role permissions). Returns a :class:`MigrationReport` with one
    :class:`MigrationFinding` per hazard (codes in :data:`MIGRATION_CODES`).

    >>> from leadcore.workflow import Workflow, sample_workflow
    >>> old = sample_workflow()
    >>> d = old.to_dict()
    >>> d["status"] = [s for s in d["status"] if s["id"] != "negotiation"]
    >>> for s in d["status"]:
    ...     s["next"] = [n for n in s["next"] if n != "negotiation"]
    >>> new = Workflow.from_dict(d)
    >>> report = check_migration(old, new)
    >>> [(f.path, f.code) for f in report.findings]
    [("mapping['negotiation']", 'removed-unmapped')]
    >>> print(report.findings[0].steps[-1])
    the qualifier moves it from 'Meeting set' to 'Negotiation'
    >>> check_migration(old, new, {"negotiation": "qualified"}).ok
    True
    """
    old_wf, old_source = _load(old)
    new_wf, new_source = _load(new)
    given = dict(mapping or {})

    def holds(status_id: str) -> bool:
        return occupied is None or status_id in occupied

    old_roles = role_moves(old_wf, roles)
    new_roles = role_moves(new_wf, roles)
    errors: list[MigrationFinding] = []
    warnings: list[MigrationFinding] = []

    def add(code: str, message: str, path: str, steps: Iterable[str] = ()) -> None:
        finding = MigrationFinding(code, message, path, tuple(steps))
        (errors if finding.severity is Severity.ERROR else warnings).append(finding)

    removed = [s for s in old_wf.status_ids if s not in new_wf]
    for source in removed:
        if source in given or not holds(source):
            continue
        steps: tuple[str, ...] = ()
        if old_roles:
            try:
                role, path = _holder(old_roles, source)
                steps = tuple(describe_path(role, path))
            except LookupError:
                pass
        add(
            "removed-unmapped",
            f"{status_label(old_wf, source)} is removed by the new version but may hold "
            "leads: map it to a status of the new version",
            f"mapping[{source!r}]",
            steps,
        )
    for source, target in given.items():
        where = f"mapping[{source!r}]"
        if source not in old_wf or source in new_wf:
            add(
                "mapping-not-removed",
                f"{source!r} is not a status that the new version removes (removed: "
                f"{', '.join(map(repr, removed)) or 'none'})",
                where,
            )
            continue
        if target not in new_wf:
            add(
                "mapping-unknown-target",
                f"target {target!r} is not a status of the new version",
                where,
            )
            continue
        from_name, to_name = status_label(old_wf, source), status_label(new_wf, target)
        requires = new_wf.status(target).requires
        if requires is not Requirement.NONE:
            add(
                "mapping-requires",
                f"target {to_name} requires a {requires}, which nobody writes during a "
                "publish: map to a status without a requirement",
                where,
            )
        moved = f"the migration moves a lead from {from_name} to {to_name}"
        trapped = _trapped(new_wf, new_roles, target) if holds(source) else None
        if trapped is not None:
            add(
                "mapping-stuck",
                f"leads of {from_name} go to {to_name}, from which {trapped.someone} can take "
                f"them to no done status: it {_escape(new_wf, trapped, target)}",
                where,
                _trap_steps(new_wf, trapped, target, moved),
            )
        was_done, is_done = old_wf.is_done(source), new_wf.is_done(target)
        if holds(source) and not was_done and is_done:
            add(
                "mapping-closes",
                f"leads of {from_name}, which is not done, go to {to_name}, a done status: "
                "they are closed without anyone deciding so",
                where,
                (moved,),
            )
        elif holds(source) and was_done and not is_done:
            add(
                "mapping-reopens",
                f"leads of {from_name}, a done status, go to {to_name}, which is not done: "
                "closed leads come back to work",
                where,
                (moved,),
            )
    order = {sid: i for i, sid in enumerate(new_wf.status_ids)}
    old_good = {r.role: r.reach_done() for r in old_roles}
    new_good = {r.role: r.reach_done() for r in new_roles}
    for sid in old_wf.status_ids:
        if sid not in new_wf or not holds(sid):
            continue
        where, name = f"status[{order[sid]}]", status_label(new_wf, sid)
        was_done, is_done = old_wf.is_done(sid), new_wf.is_done(sid)
        if not was_done and is_done:
            add("status-closes", f"{name} becomes done: the leads in it are closed", where)
        elif was_done and not is_done:
            add(
                "status-reopens",
                f"{name} is no longer done: the closed leads in it come back",
                where,
            )
        for role in sorted(new_roles, key=lambda r: not r.restricted):
            before = old_good.get(role.role, frozenset())
            if is_done or sid not in before:
                continue
            if sid not in new_good[role.role]:
                add(
                    "status-stranded",
                    f"{role.someone} could take leads from {name} to a done status, and in "
                    f"the new version it {_escape(new_wf, role, sid)}",
                    where,
                    _trap_steps(new_wf, role, sid, f"a lead sits in {name}"),
                )
                break
    old_entry, new_entry = set(old_wf.entry), set(new_wf.entry)
    if old_entry != new_entry:
        gone = [s for s in old_wf.entry if s not in new_entry]
        came = [s for s in new_wf.entry if s not in old_entry]
        parts = []
        if came:
            parts.append("now start in " + ", ".join(status_label(new_wf, s) for s in came))
        if gone:
            parts.append("no longer in " + ", ".join(status_label(old_wf, s) for s in gone))
        add(
            "entry-changed",
            f"leads given a first status by a role restricted to next stages "
            f"{' and '.join(parts)}: check the code and the imports that create leads",
            "entry",
        )
    return MigrationReport(old=old_source, new=new_source, findings=(*errors, *warnings))
