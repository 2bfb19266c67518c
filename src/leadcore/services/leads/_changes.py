"""Changing a lead: its status, notes, tasks, assignees, details; forwarding it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import (
    ConflictError,
    LeadConverted,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.forwarding._deliveries import Delivery
from leadcore.leads._model import (
    FieldValue,
    HistoryKind,
    Lead,
    Note,
    Task,
    TaskDraft,
)
from leadcore.leads._rows import (
    read_input,
)
from leadcore.services._shared import (
    check_version,
    lead_settings,
    project_rules,
    visible_lead,
    workflow_of,
    writable,
)
from leadcore.services._status import change_status
from leadcore.services.leads._part import LeadsPart
from leadcore.tenancy import Permission


@checks_text
@checked_arguments
class LeadChanges(LeadsPart):
    """The changing use cases of ``s.leads``."""

    def change_status(
        self,
        lead_id: str,
        status_id: str,
        *,
        note: str | None = None,
        task: TaskDraft | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Move a lead to another status (needs ``change_status``).

        The move goes through :meth:`Workflow.decide
        <leadcore.workflow.Workflow.decide>` with the acting user's
        restriction and the project's forced-notes rule; a refusal raises
        :class:`~leadcore.errors.TransitionRefused` with every reason. The
        new status, the note, the task a status requires and one history entry
        are written together, or nothing is. A stale ``expected_version``
        raises :class:`~leadcore.errors.ConflictError`.
        """
        with self._writer(Permission.CHANGE_STATUS, "change lead statuses") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            check_version(lead, expected_version)
            moved = change_status(
                w,
                lead,
                workflow_of(w.uow, w.org),
                status_id,
                note=note,
                task=task,
                rules=project_rules(w.uow, lead),
            )
            w.uow.commit()
            return moved

    def change_status_many(
        self,
        lead_ids: Iterable[str],
        status_id: str,
        *,
        note: str | None = None,
    ) -> dict[str, Lead | Exception]:
        """Move several leads, each on its own, through the same checks as :meth:`change_status`.

        Returns, per lead id, the moved lead or the error that refused it.
        """
        out: dict[str, Lead | Exception] = {}
        for lead_id in lead_ids:
            try:
                out[lead_id] = self.change_status(lead_id, status_id, note=note)
            except (TransitionRefused, NotFound, LeadConverted, ConflictError) as exc:
                out[lead_id] = exc
        return out

    def add_note(self, lead_id: str, text: str) -> Note:
        """Write a note on a lead (needs ``edit_leads``)."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("cannot add the note", ["text: must not be blank"])
        with self._writer(Permission.EDIT_LEADS, "add notes") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            writable(lead)
            note = w.note(lead, text.strip())
            w.history(lead, HistoryKind.NOTE, note_id=note.id, text=note.text)
            w.uow.commit()
            return note

    def add_task(self, lead_id: str, task: TaskDraft) -> Task:
        """Create a task or callback on a lead (needs ``edit_leads``)."""
        with self._writer(Permission.EDIT_LEADS, "add tasks") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            writable(lead)
            created = w.task(lead, task)
            w.uow.commit()
            return created

    def complete_task(self, task_id: str) -> Task:
        """Complete a task; recorded in the lead's history (needs ``edit_leads``)."""
        with self._writer(Permission.EDIT_LEADS, "complete tasks") as w:
            task = w.uow.tasks.get(w.org, task_id)
            if task is None:
                raise NotFound("task", task_id)
            try:
                lead = visible_lead(w.uow, w.actor, task.lead_id)
            except NotFound:
                # A task on a lead the user may not see is answered like a missing task.
                raise NotFound("task", task_id) from None
            if task.done:
                return task
            task = attrs.evolve(task, completed_at=w.now, completed_by=w.actor.user.id)
            w.uow.tasks.update(task)
            w.history(lead, HistoryKind.TASK_COMPLETED, task_id=task.id, text=task.title)
            w.emit(ev.TaskCompleted, lead_id=lead.id, task_id=task.id)
            w.uow.commit()
            return task

    def assign(
        self,
        lead_id: str,
        assignee_ids: Sequence[str] | str,
        *,
        expected_version: int | None = None,
    ) -> Lead:
        """Assign (route) a lead to users, replacing its assignees (needs ``assign_leads``).

        ``assignee_ids`` become the lead's :attr:`~leadcore.leads.Lead.assignee_ids`;
        more than one user only where the lead's project allows multiple
        relationships. ``user_ids=`` is the old name of ``assignee_ids=`` (one
        release, with a ``DeprecationWarning``).
        """
        wanted = (
            [assignee_ids] if isinstance(assignee_ids, str) else list(dict.fromkeys(assignee_ids))
        )
        with self._writer(Permission.ASSIGN_LEADS, "assign leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            writable(lead)
            check_version(lead, expected_version)
            for uid in wanted:
                user = w.uow.users.get(w.org, uid)
                if user is None or not user.active:
                    raise NotFound("user", uid)
            if len(wanted) > 1 and not project_rules(w.uow, lead).allow_multiple_relationships:
                raise ValidationError(
                    "cannot assign the lead",
                    ["assignee_ids: the project does not allow multiple relationships"],
                )
            moved = w.save(lead, attrs.evolve(lead, assignee_ids=tuple(wanted)))
            w.history(lead, HistoryKind.ASSIGNED, text=", ".join(wanted) or "nobody")
            w.emit(ev.LeadAssigned, lead_id=lead.id, assignee_ids=tuple(wanted))
            w.uow.commit()
            return moved

    def forward(self, lead_id: str, to_org_id: str) -> Delivery:
        """Send a lead to a partner organisation it may go to (needs ``forward_leads``).

        The partner must be an advertiser of this organisation, through an
        active partnership. The receiver gets its own lead, with no status in
        its own workflow, holding the fields this organisation's
        :class:`~leadcore.forwarding.FieldMapping` for that partner
        passes on (never notes, history, statuses or users). Returns this
        organisation's delivery record: its state (``delivered``, or what the
        receiver's policy discloses of a duplicate, or ``failed``) and, later,
        the receiver's feedback. See :mod:`leadcore.services.forwarding`.
        """
        from leadcore.services.forwarding import forward  # the use cases build on this module

        return forward(self._ctx, lead_id, to_org_id)

    def update(
        self,
        lead_id: str,
        *,
        name: str | None = None,
        phones: Sequence[str] | str | None = None,
        emails: Sequence[str] | str | None = None,
        fields: Mapping[str, object] | None = None,
        expected_version: int | None = None,
    ) -> Lead:
        """Change a lead's details (needs ``edit_leads``).

        On a converted lead only the fields the organisation lists in
        ``LeadSettings.editable_when_converted`` may change. Giving nothing to
        change writes nothing.
        """
        with self._writer(Permission.EDIT_LEADS, "edit leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            check_version(lead, expected_version)
            settings = lead_settings(w.uow, w.org)
            touched = {
                k
                for k, v in (("name", name), ("phones", phones), ("emails", emails))
                if v is not None
            } | set(fields or {})
            if lead.converted:
                locked = touched - settings.editable_when_converted
                if locked:
                    raise LeadConverted(
                        f"lead {lead.name!r} is converted: "
                        f"{', '.join(sorted(locked))} may not change",
                        ids={"lead_id": lead.id},
                    )
            if not touched:
                return lead
            org = w.uow.organizations.get(w.org)
            merged: dict[str, object] = dict(lead.fields)
            merged.update(fields or {})
            checked, problems = read_input(
                name=lead.name if name is None else name,
                phones=lead.phones if phones is None else phones,
                emails=lead.emails if emails is None else emails,
                fields=merged,
                settings=settings,
                region=org.default_region if org else None,
            )
            if checked is None:
                raise ValidationError("cannot update the lead", problems)
            typed: dict[str, FieldValue] = dict(checked.fields)
            blocked = any(w.uow.do_not_call.contains(w.org, p) for p in checked.phones)
            new = attrs.evolve(
                lead,
                name=checked.name,
                phones=checked.phones,
                emails=checked.emails,
                fields=typed,
                do_not_call=blocked,
            )
            saved = w.save(lead, new)
            w.history(lead, HistoryKind.UPDATED, text=", ".join(sorted(touched)))
            w.emit(ev.LeadUpdated, lead_id=lead.id, fields=tuple(sorted(touched)))
            w.uow.commit()
            return saved
