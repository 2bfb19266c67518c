"""Use cases of an organisation's workflows (``s.workflow``): publish, read, compare versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import MigrationInvalid, NotFound
from leadcore.events import WorkflowPublished
from leadcore.leads._query import LeadQuery
from leadcore.services._shared import LEADS, ServiceContext, Work, Writer
from leadcore.services._status import MIGRATION, change_status
from leadcore.storage.protocols import UnitOfWork
from leadcore.tenancy import Permission
from leadcore.workflow import MigrationPlan, Requirement, Workflow, WorkflowDiff

__all__ = ["LEADS", "WorkflowService"]


@checks_text
@checked_arguments
class WorkflowService:
    """The acting user's organisation's workflows, one versioned slot per kind.

    Every organisation starts with version 1 of its ``"leads"`` workflow;
    :meth:`publish` adds versions. Statuses never cross organisations: two
    organisations may use the same status ids with entirely different meanings.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def current(self, kind: str = LEADS) -> Workflow:
        """The latest published version; ``NotFound`` if none was ever published."""
        with Work(self._ctx, None, "") as w:
            return self._current(w.uow, kind)

    def get(self, version: int, kind: str = LEADS) -> Workflow:
        """One published version."""
        with Work(self._ctx, None, "") as w:
            found = w.uow.workflows.get(w.org, kind, version)
        if found is None:
            raise NotFound(f"{kind} workflow version", version)
        return found

    def versions(self, kind: str = LEADS) -> list[Workflow]:
        """Every published version, oldest first."""
        with Work(self._ctx, None, "") as w:
            return list(w.uow.workflows.versions(w.org, kind))

    def preview(self, workflow: Workflow | Mapping[str, Any], kind: str = LEADS) -> WorkflowDiff:
        """What publishing ``workflow`` would change, against the current version."""
        new = _as_workflow(workflow)
        with Work(self._ctx, None, "") as w:
            current = w.uow.workflows.get(w.org, kind)
        if current is None:
            raise NotFound(f"{kind} workflow", kind)
        return current.diff(attrs.evolve(new, version=current.version + 1))

    def publish(
        self,
        workflow: Workflow | Mapping[str, Any],
        migration: Mapping[str, str] | MigrationPlan | None = None,
        *,
        kind: str = LEADS,
    ) -> Workflow:
        """Make ``workflow`` the organisation's current workflow, as a new version.

        ``migration`` maps each removed status that may hold leads to a status
        of the new version; an incomplete or wrong mapping raises
        :class:`~leadcore.errors.MigrationInvalid` and publishes nothing.
        Needs the ``manage_workflow`` permission. Returns the stored version.
        """
        new = _as_workflow(workflow)
        with Work(self._ctx, Permission.MANAGE_WORKFLOW, "publish workflows") as w:
            current = w.uow.workflows.get(w.org, kind)
            version = 1 if current is None else current.version + 1
            new = attrs.evolve(new, version=version)
            plan = None
            if current is not None:
                mapping = migration.moves if isinstance(migration, MigrationPlan) else migration
                plan = current.diff(new).plan(mapping, occupied=self._occupied(w.uow, kind))
                _check_targets(new, plan)
            w.uow.workflows.add(w.org, kind, new)
            migrated = 0
            if plan is not None and plan.moves and kind == LEADS:
                migrated = self._migrate(w, new, plan)
            w.emit(
                WorkflowPublished,
                kind=kind,
                workflow_id=new.id,
                version=new.version,
                migrated_leads=migrated,
            )
            w.uow.commit()
            return new

    def _current(self, uow: UnitOfWork, kind: str) -> Workflow:
        found = uow.workflows.get(self._ctx.organization_id, kind)
        if found is None:
            raise NotFound(f"{kind} workflow", kind)
        return found

    def _occupied(self, uow: UnitOfWork, kind: str) -> frozenset[str]:
        """Statuses that hold leads (for the lead workflow; other kinds are not checked here)."""
        if kind != LEADS:
            return frozenset()
        counts = uow.leads.count_by_status(self._ctx.organization_id, LeadQuery())
        return frozenset(s for s, n in counts.items() if s is not None and n)

    def _migrate(self, w: Writer, new: Workflow, plan: MigrationPlan) -> int:
        """Move every lead out of a removed status, in ``w``: the status path's migration.

        Each lead goes through :func:`~leadcore.services._status.change_status`
        with ``reason="migration"``: the same history entry and ``StatusChanged``
        event as any move, without the checks of a user's move (the mapping is
        the administrator's, and its targets require no note or task).
        """
        query = LeadQuery(status_ids=frozenset(plan.moves))
        leads = w.uow.leads.query(w.org, query)
        for lead in leads:
            target = plan.target(lead.status_id)
            assert target is not None  # the query reads only leads in a moved status
            change_status(
                w,
                lead,
                new,
                target,
                note=None,
                task=None,
                rules=ProjectRules(),
                reason=MIGRATION,
            )
        return len(leads)


def _check_targets(new: Workflow, plan: MigrationPlan) -> None:
    """Migration targets may not demand a note or task: nobody writes them during a publish."""
    problems = [
        f"mapping[{source!r}]: target {target!r} requires a {new.status(target).requires}; "
        "map to a status without a requirement"
        for source, target in plan.moves.items()
        if new.status(target).requires is not Requirement.NONE
    ]
    if problems:
        raise MigrationInvalid(problems)


def _as_workflow(workflow: Workflow | Mapping[str, Any]) -> Workflow:
    return workflow if isinstance(workflow, Workflow) else Workflow.from_dict(workflow)
