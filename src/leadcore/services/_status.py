"""The one path every status change of a lead takes: single, bulk, under a claim, conversion."""

from __future__ import annotations

import attrs

from leadcore import events as ev
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import TransitionRefused
from leadcore.leads._model import HistoryKind, Lead, TaskDraft
from leadcore.services._shared import Writer, read_only
from leadcore.workflow import Workflow

__all__ = ["MIGRATION", "change_status", "decide_move"]

#: The reason of a move made by publishing a workflow version (see :func:`change_status`).
MIGRATION = "migration"


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

    The one path every status change takes (single, bulk, under a claim,
    conversion, migration): the new status, the note, the task and the history
    entry are written in ``w``'s unit of work and a ``StatusChanged`` event
    carrying ``reason`` is recorded. For every reason but one, the acting
    user's restriction and the project's forced notes apply, the move must be
    one the workflow allows, a required note or task must be given, and a
    converted lead is read-only.

    ``reason=MIGRATION`` (``"migration"``) is the exception: publishing a
    workflow version that removes a status moves the leads in it to the status
    an administrator mapped it to in the
    :class:`~leadcore.workflow.MigrationPlan`. That move is the
    administrator's decision about the workflow, not a user's move of a lead,
    and the removed status is no longer in ``workflow``: so no decision is
    asked for (no restriction, transition table, forced note or required note
    or task; the publish refuses targets that require one), converted leads
    move too, and the history entry is a ``migrated`` one naming the version
    and the removed status. ``note`` and ``task`` must be ``None``.
    """
    if reason == MIGRATION:
        return _migrate(w, lead, workflow, target)
    if lead.converted:
        raise read_only(lead)
    text = decide_move(
        w,
        workflow,
        lead.status_id,
        target,
        note=note,
        task=task,
        force_notes=rules.force_notes_on_status_change,
        subject_id=lead.id,
        subject_name=lead.name,
    )
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


def decide_move(
    w: Writer,
    workflow: Workflow,
    current: str | None,
    target: str,
    *,
    note: str | None,
    task: TaskDraft | None,
    force_notes: bool,
    subject_id: str,
    subject_name: str,
    subject: str = "lead",
) -> str | None:
    """The rule checks of a move from ``current`` to ``target``; the note's text to write.

    One decision for every record that moves through a workflow (a lead
    through its statuses, an opportunity through its stages):
    :meth:`Workflow.decide` with the acting user's restriction, the forced
    notes, and the note and task given; :class:`~leadcore.errors.TransitionRefused`
    names every reason when the move is refused.
    """
    decision = workflow.decide(
        current,
        target,
        restricted=w.actor.restricted,
        note=note,
        task=task,
        force_notes=force_notes,
        subject=subject,
    )
    if not decision.allowed:
        raise TransitionRefused(subject_id, decision, lead_name=subject_name, subject=subject)
    return note.strip() if note and not note.isspace() else None


def _migrate(w: Writer, lead: Lead, workflow: Workflow, target: str) -> Lead:
    moved = w.save(lead, attrs.evolve(lead, status_id=target, workflow_version=workflow.version))
    w.history(
        lead,
        HistoryKind.MIGRATED,
        from_status=lead.status_id,
        to_status=target,
        text=f"workflow version {workflow.version} removed {lead.status_id!r}",
    )
    w.emit(
        ev.StatusChanged,
        lead_id=lead.id,
        from_status=lead.status_id,
        to_status=target,
        workflow_version=workflow.version,
        reason=MIGRATION,
    )
    return moved
