"""Opportunities (``s.opportunities``): deals moving through the opportunity workflow."""

from __future__ import annotations

import builtins
from datetime import date
from decimal import Decimal

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.leads._conversion import Opportunity
from leadcore.leads._model import TaskDraft
from leadcore.leads._pipeline import (
    PipelineEntry,
    PipelineEntryKind,
    PipelineSettings,
    RecordPage,
    currency_problem,
    cursor_problem,
    page_of,
)
from leadcore.services._pipeline import (
    UNCHANGED,
    amount_of,
    close_date_problem,
    new_opportunity,
    opportunity_workflow,
    pipeline_entry,
    pipeline_settings,
)
from leadcore.services._shared import ServiceContext, Work, Writer, user_problem
from leadcore.services._status import decide_move
from leadcore.tenancy import Permission

__all__ = ["OpportunitiesService"]

#: Marks "not given" in :meth:`OpportunitiesService.update` (``None`` clears a value).
_KEEP: object = UNCHANGED


@checks_text
@checked_arguments
class OpportunitiesService:
    """The organisation's opportunities (``s.opportunities``).

    Reading needs no permission; creating and changing needs ``edit_leads``,
    moving ``change_status`` (with the same restriction to next stages as
    leads), changing the settings ``manage_workflow``.
    """

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @staticmethod
    def _get(w: Writer, opportunity_id: str) -> Opportunity:
        found = w.uow.opportunities.get(w.org, opportunity_id)
        if found is None:
            raise NotFound("opportunity", opportunity_id)
        return found

    @staticmethod
    def _version(o: Opportunity, expected_version: int | None) -> None:
        if expected_version is not None and o.version != expected_version:
            raise ConflictError(
                f"opportunity {o.name!r} is at version {o.version}, not {expected_version}: "
                "it was changed meanwhile",
                ids={"opportunity_id": o.id},
            )

    def create(
        self,
        account_id: str,
        name: str,
        *,
        amount: Decimal | int | float | str | None = None,
        currency: str | None = None,
        close_date: date | None = None,
        owner_id: str | None = None,
        contact_id: str | None = None,
    ) -> Opportunity:
        """Create an opportunity with an account; it starts in the workflow's entry stage.

        ``amount`` is kept as a ``Decimal`` (a float is read through its
        text: ``0.1`` is ``Decimal("0.1")``); ``currency`` is an ISO 4217 code;
        ``owner_id`` an active user of the organisation; ``contact_id`` one of
        the account's contacts.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("invalid opportunity", ["name: must not be blank"])
        money, problem = amount_of(amount, "amount")
        if problem is not None:
            raise ValidationError("invalid opportunity", [problem])
        with Work(self._ctx, Permission.EDIT_LEADS, "create opportunities") as w:
            account = w.uow.accounts.get(w.org, account_id)
            if account is None:
                raise NotFound("account", account_id)
            if contact_id is not None:
                contact = w.uow.contacts.get(w.org, contact_id)
                if contact is None or contact.account_id != account.id:
                    raise NotFound("contact", contact_id)
            o = new_opportunity(
                w,
                account,
                name.strip(),
                contact_id=contact_id,
                amount=money,
                currency=currency,
                close_date=close_date,
                owner_id=owner_id,
            )
            w.uow.commit()
            return o

    def get(self, opportunity_id: str) -> Opportunity:
        """The opportunity; ``NotFound`` if there is none."""
        with Work(self._ctx, None, "") as w:
            return self._get(w, opportunity_id)

    def list(
        self,
        *,
        account_id: str | None = None,
        owner_id: str | None = None,
        stage_ids: builtins.list[str] | None = None,
        include_closed: bool = False,
        limit: int = 50,
        after: str | None = None,
    ) -> RecordPage[Opportunity]:
        """Opportunities, oldest first, a page at a time (``limit=``, ``after=page.next``).

        Closed ones (won or lost) are left out unless ``include_closed`` or
        ``stage_ids`` names a done stage, as lead lists hide done leads.
        """
        problems = []
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            problems.append(f"limit: must be 1 or more, got {limit!r}")
        if (p := cursor_problem(after)) is not None:
            problems.append(p)
        if problems:
            raise ValidationError("invalid opportunity filter", problems)
        with Work(self._ctx, None, "") as w:
            if account_id is not None:
                rows = builtins.list(w.uow.opportunities.for_account(w.org, account_id))
            else:
                rows = builtins.list(w.uow.opportunities.list(w.org))
        if owner_id is not None:
            rows = [o for o in rows if o.owner_id == owner_id]
        if stage_ids is not None:
            wanted = set(stage_ids)
            rows = [o for o in rows if o.stage_id in wanted]
        elif not include_closed:
            rows = [o for o in rows if not o.closed]
        return page_of(rows, lambda o: (o.created_at.isoformat(), o.id), limit, after)

    def update(
        self,
        opportunity_id: str,
        *,
        name: str | None = None,
        amount: Decimal | int | float | str | object | None = _KEEP,
        currency: str | object | None = _KEEP,
        close_date: date | object | None = _KEEP,
        owner_id: str | object | None = _KEEP,
        expected_version: int | None = None,
    ) -> Opportunity:
        """Change an opportunity's name, amount, currency, close date or owner (``None`` clears)."""
        with Work(self._ctx, Permission.EDIT_LEADS, "change opportunities") as w:
            o = self._get(w, opportunity_id)
            self._version(o, expected_version)
            changes: dict[str, object] = {}
            problems: builtins.list[str] = []
            if name is not None:
                if not name.strip():
                    problems.append("name: must not be blank")
                changes["name"] = name.strip()
            if amount is not _KEEP:
                money, bad = amount_of(amount, "amount")
                problems += [bad] if bad else []
                changes["amount"] = money
            if currency is not _KEEP:
                problems += [p for p in [currency_problem(currency, "currency")] if p]
                changes["currency"] = currency
            if close_date is not _KEEP:
                problems += [p for p in [close_date_problem(close_date, "close_date")] if p]
                changes["close_date"] = close_date
            if owner_id is not _KEEP:
                if (p := user_problem(w, owner_id, "owner_id")) is not None:
                    problems.append(p)
                changes["owner_id"] = owner_id
            if problems:
                raise ValidationError("invalid opportunity", problems, ids={"opportunity_id": o.id})
            changed = tuple(k for k, v in changes.items() if getattr(o, k) != v)
            if not changed:
                return o
            new = attrs.evolve(o, **changes, version=o.version + 1, updated_at=w.now)  # type: ignore[arg-type]
            w.uow.opportunities.update(new)
            pipeline_entry(w, o.id, PipelineEntryKind.UPDATED, text=", ".join(changed))
            w.emit(ev.OpportunityUpdated, opportunity_id=o.id, changed=changed)
            w.uow.commit()
            return new

    def move(
        self,
        opportunity_id: str,
        stage_id: str,
        *,
        note: str | None = None,
        task: TaskDraft | None = None,
        expected_version: int | None = None,
        lost_reason: str | None = None,
    ) -> Opportunity:
        """Move an opportunity to ``stage_id`` through the opportunity workflow.

        The rules are the lead rules: one :meth:`Workflow.decide` with the
        acting user's restriction to next stages, the stage's note or task
        requirement and the settings' ``force_notes_on_stage_change``
        (``TransitionRefused`` names every reason), a history
        entry and an ``OpportunityStageChanged`` event; ``expected_version``
        gives ``ConflictError`` when the opportunity moved on. A done stage
        closes it: as won for the settings' ``won_stage_ids``, else as lost,
        which needs a ``lost_reason`` from the settings' ``lost_reasons``. A
        task given is checked and recorded on the history entry.
        """
        with Work(self._ctx, Permission.CHANGE_STATUS, "move opportunities") as w:
            o = self._get(w, opportunity_id)
            self._version(o, expected_version)
            if o.closed:
                raise ValidationError(
                    "cannot move opportunity",
                    [f"opportunity {o.name!r} is closed ({'won' if o.won else 'lost'})"],
                    ids={"opportunity_id": o.id},
                )
            wf = opportunity_workflow(w)
            settings = pipeline_settings(w.uow, w.org)
            done = stage_id in wf and wf.is_done(stage_id)
            won = (stage_id in settings.won_stage_ids) if done else None
            if won is False and lost_reason not in settings.lost_reasons:
                raise ValidationError(
                    "cannot close opportunity as lost",
                    [
                        f"lost_reason: {lost_reason!r} is not one of the organisation's "
                        f"lost reasons ({', '.join(settings.lost_reasons)})"
                    ],
                    ids={"opportunity_id": o.id},
                )
            if not done and lost_reason is not None:
                raise ValidationError(
                    "invalid move",
                    [f"lost_reason: only a move to a lost stage takes one, not {stage_id!r}"],
                )
            text = decide_move(
                w,
                wf,
                o.stage_id,
                stage_id,
                note=note,
                task=task,
                force_notes=settings.force_notes_on_stage_change,
                subject_id=o.id,
                subject_name=o.name,
                subject="opportunity",
            )
            if task is not None:
                w.checked_task(task)
            moved = attrs.evolve(
                o,
                stage_id=stage_id,
                workflow_version=wf.version,
                version=o.version + 1,
                updated_at=w.now,
                closed_at=w.now if done else None,
                won=won,
                lost_reason=lost_reason if won is False else None,
            )
            w.uow.opportunities.update(moved)
            pipeline_entry(
                w,
                o.id,
                PipelineEntryKind.STAGE_CHANGED,
                from_stage=o.stage_id,
                to_stage=stage_id,
                text=text,
                task_title=task.title.strip() if task is not None else None,
            )
            w.emit(
                ev.OpportunityStageChanged,
                opportunity_id=o.id,
                from_stage=o.stage_id,
                to_stage=stage_id,
                workflow_version=wf.version,
                won=won,
                lost_reason=moved.lost_reason,
                note=text,
            )
            w.uow.commit()
            return moved

    def history(self, opportunity_id: str) -> builtins.list[PipelineEntry]:
        """The opportunity's history, oldest first: creation, changes, moves, merges."""
        with Work(self._ctx, None, "") as w:
            self._get(w, opportunity_id)
            return builtins.list(w.uow.pipeline_history.for_subject(w.org, opportunity_id))

    def settings(self) -> PipelineSettings:
        """The organisation's pipeline settings: lost reasons, won stages, probabilities."""
        with Work(self._ctx, None, "") as w:
            return pipeline_settings(w.uow, w.org)

    def set_settings(self, settings: PipelineSettings) -> PipelineSettings:
        """Replace the pipeline settings (needs ``manage_workflow``)."""
        problems = settings.problems()
        if problems:
            raise ValidationError("invalid pipeline settings", problems)
        with Work(self._ctx, Permission.MANAGE_WORKFLOW, "change pipeline settings") as w:
            w.uow.pipeline_settings.put(w.org, settings)
            w.uow.commit()
            return settings
