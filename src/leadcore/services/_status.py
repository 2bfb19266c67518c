"""The one path every status change of a lead takes: single, bulk, under a claim, conversion."""

from __future__ import annotations

import attrs

from leadcore import events as ev
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import TransitionRefused
from leadcore.leads._model import HistoryKind, Lead, TaskDraft
from leadcore.services._shared import Writer, read_only
from leadcore.workflow import Workflow

__all__ = ["change_status"]


def change_status(
    w: Writer,
    lead: Lead,
    workflow: Workflow,
    target: str,
    *,
    note: str | None,
    task: TaskDraft | None,
    rules: ProjectRules,
    reason: str = "change",
) -> Lead:
    """Move ``lead`` to ``target`` through :meth:`Workflow.decide`, with its history entry.

    The one path every status change takes (single, bulk, conversion): the
    acting user's restriction and the project's forced notes always apply,
    and a required task is created in the same unit of work.
    """
    if lead.converted:
        raise read_only(lead)
    decision = workflow.decide(
        lead.status_id,
        target,
        restricted=w.actor.restricted,
        note=note,
        task=task,
        force_notes=rules.force_notes_on_status_change,
    )
    if not decision.allowed:
        raise TransitionRefused(lead.id, decision, lead_name=lead.name)
    text = note.strip() if note and not note.isspace() else None
    note_id = w.note(lead, text).id if text else None
    task_id = w.task(lead, task, for_status=target).id if task is not None else None
    moved = w.save(lead, attrs.evolve(lead, status_id=target, workflow_version=workflow.version))
    w.history(
        lead,
        HistoryKind.STATUS_CHANGED,
        from_status=lead.status_id,
        to_status=target,
        note_id=note_id,
        task_id=task_id,
        text=text,
    )
    w.emit(
        ev.StatusChanged,
        lead_id=lead.id,
        from_status=lead.status_id,
        to_status=target,
        workflow_version=workflow.version,
        reason=reason,
        note_id=note_id,
        task_id=task_id,
    )
    return moved
