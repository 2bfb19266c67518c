"""Changes between two versions of a workflow, and the plan to migrate leads across them."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import attrs

from leadcore.errors import MigrationInvalid
from leadcore.workflow._status import Status

if TYPE_CHECKING:
    from leadcore.workflow._model import Workflow

__all__ = ["MigrationPlan", "StatusChange", "WorkflowDiff", "diff"]


@attrs.frozen
class StatusChange:
    """A status kept (same id) whose definition changed; ``fields`` names what changed."""

    id: str
    """The status's id."""
    fields: tuple[str, ...]
    old: Status
    """The status as it was."""
    new: Status
    """The status as it is now."""


@attrs.frozen
class WorkflowDiff:
    """What changed from ``old`` to ``new``.

    Statuses are matched by id: a status whose id stayed and whose name
    changed is *renamed*, not removed and added.
    """

    old: Workflow = attrs.field(repr=False)
    new: Workflow = attrs.field(repr=False)
    added: tuple[str, ...]
    """Ids of the statuses only the new version has."""
    removed: tuple[str, ...]
    """Ids of the statuses only the old version has."""
    renamed: tuple[tuple[str, str, str], ...]
    """``(id, old name, new name)`` for each renamed status."""
    changed: tuple[StatusChange, ...]
    """The statuses kept whose colour, category, requirement or next stages changed."""
    edges_added: tuple[tuple[str, str], ...]
    """``(from, to)`` next-stage edges only the new version has."""
    edges_removed: tuple[tuple[str, str], ...]
    """``(from, to)`` next-stage edges only the old version has."""
    reordered: bool
    """Whether the status order of the statuses kept changed."""
    entry_changed: bool
    """Whether the entry statuses changed."""

    @property
    def is_empty(self) -> bool:
        """Whether the two versions define the same workflow."""
        return not (
            self.added
            or self.removed
            or self.renamed
            or self.changed
            or self.edges_added
            or self.edges_removed
            or self.reordered
            or self.entry_changed
        )

    def plan(
        self,
        mapping: Mapping[str, str] | None = None,
        *,
        occupied: Collection[str] | None = None,
    ) -> MigrationPlan:
        """Build the migration plan: where leads of each removed status go.

        ``occupied`` is the set of status ids that hold leads; when omitted,
        every removed status is assumed to hold some and needs a target.
        Raises :class:`~leadcore.errors.MigrationInvalid` naming every
        removed status without a target and every target that is not a live
        status of the new version.
        """
        mapping = dict(mapping or {})
        problems: list[str] = []
        removed = set(self.removed)
        for source, target in sorted(mapping.items()):
            if source not in removed:
                problems.append(
                    f"mapping[{source!r}]: {source!r} is not a status removed by the new version"
                )
            elif target not in self.new:
                problems.append(
                    f"mapping[{source!r}]: target {target!r} is not a status of the new version"
                )
        needs = [s for s in self.removed if occupied is None or s in occupied]
        for source in needs:
            if source not in mapping:
                problems.append(
                    f"status {source!r} is removed but may hold leads: map it to a status of the "
                    "new version"
                )
        if problems:
            raise MigrationInvalid(problems)
        moves = {s: mapping[s] for s in self.removed if s in mapping}
        return MigrationPlan(
            from_version=self.old.version, to_version=self.new.version, moves=moves
        )


@attrs.frozen
class MigrationPlan:
    """Where the leads of each removed status go when a new version is published."""

    from_version: int
    """The version the leads are in now."""
    to_version: int
    """The version they move to."""
    moves: Mapping[str, str] = attrs.field(factory=dict)
    """Each removed status that may hold leads, mapped to a status of the new version."""

    def target(self, status_id: str | None) -> str | None:
        """The status a lead in ``status_id`` has after the migration."""
        if status_id is None:
            return None
        return self.moves.get(status_id, status_id)


def _edges(wf: Workflow) -> set[tuple[str, str]]:
    return {(s.id, t) for s in wf.statuses for t in s.next}


def diff(old: Workflow, new: Workflow) -> WorkflowDiff:
    """Compare two workflow versions (see :class:`WorkflowDiff`)."""
    old_ids = old.status_ids
    new_ids = new.status_ids
    old_set, new_set = set(old_ids), set(new_ids)
    renamed: list[tuple[str, str, str]] = []
    changed: list[StatusChange] = []
    for sid in old_ids:
        if sid not in new_set:
            continue
        a, b = old.status(sid), new.status(sid)
        if a.name != b.name:
            renamed.append((sid, a.name, b.name))
        fields = tuple(
            f for f in ("color", "category", "requires", "next") if getattr(a, f) != getattr(b, f)
        )
        if fields:
            changed.append(StatusChange(sid, fields, a, b))
    kept_old = [s for s in old_ids if s in new_set]
    kept_new = [s for s in new_ids if s in old_set]
    old_edges, new_edges = _edges(old), _edges(new)
    return WorkflowDiff(
        old=old,
        new=new,
        added=tuple(s for s in new_ids if s not in old_set),
        removed=tuple(s for s in old_ids if s not in new_set),
        renamed=tuple(renamed),
        changed=tuple(changed),
        edges_added=tuple(sorted(new_edges - old_edges)),
        edges_removed=tuple(sorted(old_edges - new_edges)),
        reordered=kept_old != kept_new,
        entry_changed=old.entry != new.entry,
    )
