"""From a stored lead to the :class:`Candidate` the dispatch policy reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from leadcore.dispatch._candidate import Candidate, FilterValue
from leadcore.leads._model import Lead, Task, TaskKind
from leadcore.workflow import Workflow

__all__ = ["candidate_of", "pending_callback"]


def pending_callback(tasks: Iterable[Task]) -> Task | None:
    """The lead's earliest open callback task, if any."""
    open_callbacks = [t for t in tasks if t.kind is TaskKind.CALLBACK and not t.done]
    return min(open_callbacks, key=lambda t: (t.due_at, t.id), default=None)


def candidate_of(
    lead: Lead, workflow: Workflow, callback: Task | None, *, blocked: bool = False
) -> Candidate | None:
    """The dispatch view of ``lead``; ``None`` when it is in no pool.

    A status the workflow no longer has (not yet migrated) keeps the lead out
    of dispatch rather than guessing its category. ``blocked`` says that a
    phone number of the lead is on the do-not-call list now: the lead's own
    ``do_not_call`` flag is only set when its numbers are written, and a
    number blocked later must stop dispatch just the same.
    """
    if lead.pool_id is None:
        return None
    category = None
    if lead.status_id is not None:
        if lead.status_id not in workflow:
            return None
        category = workflow.status(lead.status_id).category
    fields: dict[str, FilterValue] = {}
    for key, value in lead.fields.items():
        if isinstance(value, date):
            fields[key] = value.isoformat()  # ISO dates order as text
        elif value is not None:
            fields[key] = value
    return Candidate(
        lead_id=lead.id,
        pool_id=lead.pool_id,
        created_at=lead.created_at,
        status_id=lead.status_id,
        category=category,
        converted=lead.converted,
        do_not_call=lead.do_not_call or blocked,
        assigned_user_ids=lead.assignee_ids,
        last_contact_at=lead.last_contact_at,
        attempts=lead.attempts,
        source=lead.source.supplier_id or lead.source.channel,
        custom_fields=fields,
        callback_at=None if callback is None else callback.due_at,
        callback_owner_id=None if callback is None else callback.assignee_id,
    )
