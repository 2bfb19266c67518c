"""Use cases of the lead lifecycle (``s.leads``).

Intake, status changes, notes, tasks, lists, assignment and conversion.

Every method runs in one unit of work: a status change, its history entry and
the task its status requires are written together, or nothing is.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal, TypeAlias

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._limits import aware_problem
from leadcore._text import MAX_SEARCH_TEXT, checks_text, text_limits
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import (
    ConflictError,
    LeadConverted,
    NotFound,
    TransitionRefused,
    ValidationError,
)
from leadcore.forwarding._model import Delivery
from leadcore.leads._conversion import Account, Contact, Conversion, Opportunity
from leadcore.leads._intake import LeadSettings, is_duplicate, normalize_phone
from leadcore.leads._model import (
    FieldValue,
    HistoryEntry,
    HistoryKind,
    Lead,
    Note,
    Task,
    TaskDraft,
)
from leadcore.leads._project import Project
from leadcore.leads._query import Cursor, LeadQuery, Page, hidden_done
from leadcore.leads._rows import (
    ImportOutcome,
    ImportReport,
    ImportRow,
    LeadInput,
    read_input,
    read_row,
)
from leadcore.services._shared import (
    ServiceContext,
    Work,
    Writer,
    check_version,
    lead_scope,
    lead_settings,
    project_rules,
    retry_on_conflict,
    visible_lead,
    workflow_of,
    writable,
)
from leadcore.services._status import change_status
from leadcore.tenancy import Permission
from leadcore.workflow import Category, name_key, sample_workflow

__all__ = ["OPPORTUNITIES", "LeadsService", "Lineage", "StatusFilter", "Work", "Writer"]


class _Any(enum.Enum):
    """No status filter (distinct from ``None``, which asks for leads with no status)."""

    ANY = "any"


#: A status filter: one status id, ``None`` (no status), several, or any status.
StatusFilter: TypeAlias = str | Collection[str | None] | Literal[_Any.ANY] | None

#: The workflow slot of opportunity stages.
OPPORTUNITIES = "opportunities"
_INTAKE_ATTEMPTS = 3


@attrs.frozen
class Lineage:
    """What a lead became: its conversion records and what each created or used."""

    lead: Lead
    """The lead."""
    conversions: tuple[Conversion, ...]
    """Its conversion records, undone ones included."""
    contacts: tuple[Contact, ...]
    """The contacts its conversions created."""
    accounts: tuple[Account, ...]
    """The accounts its conversions created or used."""
    opportunities: tuple[Opportunity, ...]
    """The opportunities its conversions created."""


@checks_text
@checked_arguments
class LeadsService:
    """The lead lifecycle of the acting user's organisation (``s.leads``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def _writer(self, permission: Permission | None, action: str) -> Work:
        return Work(self._ctx, permission, action)

    # -- projects ---------------------------------------------------------------------

    def create_project(
        self,
        name: str,
        *,
        rules: ProjectRules | None = None,
        member_ids: Iterable[str] = (),
    ) -> Project:
        """Create a project (campaign) with its rules and members (needs ``manage_dispatch``)."""
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("cannot create the project", ["name: must not be blank"])
        members = list(member_ids)
        with self._writer(Permission.MANAGE_DISPATCH, "manage projects") as w:
            for uid in members:
                if w.uow.users.get(w.org, uid) is None:
                    raise NotFound("user", uid)
            project = Project(
                id=self._ctx.ids.new("project"),
                organization_id=w.org,
                name=name.strip(),
                created_at=w.now,
                rules=rules or ProjectRules(),
                member_ids=frozenset(members),
            )
            w.uow.projects.add(project)
            w.emit(ev.ProjectChanged, project_id=project.id, name=project.name, created=True)
            w.uow.commit()
            return project

    def update_project(
        self,
        project_id: str,
        *,
        name: str | None = None,
        rules: ProjectRules | None = None,
        member_ids: Iterable[str] | None = None,
        active: bool | None = None,
    ) -> Project:
        """Change a project's name, rules, members or active flag (needs ``manage_dispatch``)."""
        with self._writer(Permission.MANAGE_DISPATCH, "manage projects") as w:
            project = w.uow.projects.get(w.org, project_id)
            if project is None:
                raise NotFound("project", project_id)
            changes: dict[str, object] = {}
            if name is not None:
                if not name.strip():
                    raise ValidationError("cannot change the project", ["name: must not be blank"])
                changes["name"] = name.strip()
            if rules is not None:
                changes["rules"] = rules
            if member_ids is not None:
                members = frozenset(member_ids)
                for uid in members:
                    if w.uow.users.get(w.org, uid) is None:
                        raise NotFound("user", uid)
                changes["member_ids"] = members
            if active is not None:
                changes["active"] = active
            project = attrs.evolve(project, **changes)  # type: ignore[arg-type]
            w.uow.projects.update(project)
            w.emit(ev.ProjectChanged, project_id=project.id, name=project.name, created=False)
            w.uow.commit()
            return project

    def projects(self) -> builtins.list[Project]:
        """The organisation's projects, by name."""
        with self._writer(None, "") as w:
            return list(w.uow.projects.list(w.org))

    def project(self, project_id: str) -> Project:
        """One project."""
        with self._writer(None, "") as w:
            project = w.uow.projects.get(w.org, project_id)
        if project is None:
            raise NotFound("project", project_id)
        return project

    # -- settings and the do-not-call list ---------------------------------------------

    def settings(self) -> LeadSettings:
        """The organisation's intake settings."""
        with self._writer(None, "") as w:
            return lead_settings(w.uow, w.org)

    def configure(self, settings: LeadSettings) -> LeadSettings:
        """Replace the intake settings (needs ``manage_workflow``)."""
        problems = settings.problems()
        if problems:
            raise ValidationError("invalid lead settings", problems)
        with self._writer(Permission.MANAGE_WORKFLOW, "change lead settings") as w:
            old = lead_settings(w.uow, w.org)
            w.uow.lead_settings.put(w.org, settings)
            changed = [
                f.name
                for f in attrs.fields(LeadSettings)
                if getattr(old, f.name) != getattr(settings, f.name)
            ]
            if changed:
                w.emit(ev.LeadSettingsChanged, fields=changed)
            w.uow.commit()
        return settings

    def block_number(self, number: str) -> str:
        """Put a phone number on the do-not-call list (needs ``manage_workflow``)."""
        with self._writer(Permission.MANAGE_WORKFLOW, "manage the do-not-call list") as w:
            normal = self._normal_phone(w, number)
            if not w.uow.do_not_call.contains(w.org, normal):
                w.emit(ev.DoNotCallChanged, number=normal, blocked=True)
            w.uow.do_not_call.add(w.org, normal)
            w.uow.commit()
            return normal

    def unblock_number(self, number: str) -> None:
        """Take a phone number off the do-not-call list (needs ``manage_workflow``)."""
        with self._writer(Permission.MANAGE_WORKFLOW, "manage the do-not-call list") as w:
            normal = self._normal_phone(w, number)
            if w.uow.do_not_call.contains(w.org, normal):
                w.emit(ev.DoNotCallChanged, number=normal, blocked=False)
            w.uow.do_not_call.remove(w.org, normal)
            w.uow.commit()

    def blocked_numbers(self) -> builtins.list[str]:
        """The do-not-call list."""
        with self._writer(None, "") as w:
            return list(w.uow.do_not_call.list(w.org))

    @staticmethod
    def _normal_phone(w: Writer, number: str) -> str:
        org = w.uow.organizations.get(w.org)
        try:
            return normalize_phone(number, org.default_region if org else None)
        except ValueError as exc:
            raise ValidationError("invalid phone number", [f"number: {exc}"]) from None

    # -- intake ----------------------------------------------------------------------

    def create(
        self,
        name: str,
        *,
        phones: Sequence[str] | str = (),
        emails: Sequence[str] | str = (),
        channel: str | None = None,
        supplier_id: str | None = None,
        project_id: str | None = None,
        pool_id: str | None = None,
        fields: Mapping[str, object] | None = None,
        assignee_ids: Sequence[str] = (),
    ) -> Lead:
        """Create a lead (needs ``create_leads``).

        Phones become E.164 (numbers without a country code are read in the
        organisation's default region), e-mails are normalised, custom fields
        typed. A lead matching an earlier one (see :class:`~leadcore.leads.LeadSettings`) is
        created and flagged: ``duplicate_of`` names the original. A number on
        the do-not-call list sets ``do_not_call``. Bad input raises
        :class:`~leadcore.errors.ValidationError` naming every problem.
        """

        def run() -> Lead:
            with self._writer(Permission.CREATE_LEADS, "create leads") as w:
                settings = lead_settings(w.uow, w.org)
                org = w.uow.organizations.get(w.org)
                checked, problems = read_input(
                    name=name,
                    phones=phones,
                    emails=emails,
                    channel=channel,
                    supplier_id=supplier_id,
                    project_id=project_id,
                    pool_id=pool_id,
                    fields=fields,
                    assignee_ids=assignee_ids,
                    settings=settings,
                    region=org.default_region if org else None,
                )
                if checked is None:
                    raise ValidationError("cannot create the lead", problems)
                self._check_refs(w, checked, "lead")
                lead, _ = self._intake(w, checked, settings)
                w.uow.commit()
                return lead

        # A concurrent intake of the same contact: run again to see it.
        return retry_on_conflict(run, _INTAKE_ATTEMPTS)

    @text_limits(rows=None)  # a bad row is reported as invalid, the others imported
    def import_many(self, rows: Iterable[object]) -> ImportReport:
        """Import rows of lead data (mappings); report what became of each (needs ``create_leads``).

        A row is created, flagged as a duplicate (of a stored lead or of an
        earlier row), flagged as blacklisted, or rejected as invalid with every
        reason; an invalid row writes nothing. Keys: ``name``, ``phone(s)``,
        ``email(s)``, ``channel``, ``supplier_id``, ``project_id``, ``pool_id``,
        ``assignee_ids``, ``fields``, or a custom field key.
        """
        batch = list(rows)

        def run() -> ImportReport:
            with self._writer(Permission.CREATE_LEADS, "import leads") as w:
                settings = lead_settings(w.uow, w.org)
                org = w.uow.organizations.get(w.org)
                region = org.default_region if org else None
                report: list[ImportRow] = []
                for index, row in enumerate(batch):
                    checked, problems = read_row(row, index, settings, region)
                    if checked is not None:
                        try:
                            self._check_refs(w, checked, f"rows[{index}]")
                        except ValidationError as exc:
                            checked, problems = None, list(exc.problems)
                    if checked is None:
                        report.append(
                            ImportRow(index, ImportOutcome.INVALID, problems=tuple(problems))
                        )
                        continue
                    lead, outcome = self._intake(w, checked, settings)
                    report.append(
                        ImportRow(index, outcome, lead.id, duplicate_of=lead.duplicate_of)
                    )
                result = ImportReport(report)
                w.emit(
                    ev.LeadImported,
                    rows=len(result.rows),
                    created=result.count(ImportOutcome.CREATED),
                    duplicates=result.count(ImportOutcome.DUPLICATE),
                    blacklisted=result.count(ImportOutcome.BLACKLISTED),
                    invalid=result.count(ImportOutcome.INVALID),
                )
                w.uow.commit()
                return result

        return retry_on_conflict(run, _INTAKE_ATTEMPTS)

    def _check_refs(self, w: Writer, checked: LeadInput, path: str) -> None:
        problems: list[str] = []
        if checked.project_id is not None and w.uow.projects.get(w.org, checked.project_id) is None:
            problems.append(f"{path}.project_id: no project {checked.project_id!r}")
        for uid in checked.assignee_ids:
            user = w.uow.users.get(w.org, uid)
            if user is None or not user.active:
                problems.append(f"{path}.assignee_ids: no active user {uid!r}")
        if len(checked.assignee_ids) > 1:
            rules = (
                ProjectRules()
                if checked.project_id is None
                else self._project_rules(w, checked.project_id)
            )
            if not rules.allow_multiple_relationships:
                problems.append(
                    f"{path}.assignee_ids: the project does not allow multiple relationships"
                )
        if checked.source.supplier_id is not None:
            partners = w.uow.partnerships.list(w.org)
            if not any(p.partner_id == checked.source.supplier_id for p in partners):
                problems.append(
                    f"{path}.supplier_id: {checked.source.supplier_id!r} is not a partner"
                )
        if problems:
            raise ValidationError("invalid lead references", problems)

    @staticmethod
    def _project_rules(w: Writer, project_id: str) -> ProjectRules:
        project = w.uow.projects.get(w.org, project_id)
        return ProjectRules() if project is None else project.rules

    def _intake(
        self, w: Writer, checked: LeadInput, settings: LeadSettings
    ) -> tuple[Lead, ImportOutcome]:
        lead = Lead(
            id=self._ctx.ids.new("lead"),
            organization_id=w.org,
            name=checked.name,
            created_at=w.now,
            updated_at=w.now,
            phones=checked.phones,
            emails=checked.emails,
            source=checked.source,
            project_id=checked.project_id,
            pool_id=checked.pool_id,
            fields=checked.fields,
            assignee_ids=checked.assignee_ids,
        )
        since = None if settings.duplicate_window is None else w.now - settings.duplicate_window
        fields = settings.duplicate_fields
        candidates = w.uow.leads.matching(
            w.org,
            phones=lead.phones if "phone" in fields else (),
            emails=lead.emails if "email" in fields else (),
            name_keys=[name_key(lead.name)] if "name" in fields else (),
            since=since,
        )
        original = next((c for c in candidates if is_duplicate(lead, c, settings)), None)
        blocked = any(w.uow.do_not_call.contains(w.org, p) for p in lead.phones)
        if original is not None:
            lead = attrs.evolve(lead, duplicate_of=original.duplicate_of or original.id)
        if blocked:
            lead = attrs.evolve(lead, do_not_call=True)
        w.uow.leads.add(lead)
        detail = None
        if original is not None:
            detail = f"duplicate of {lead.duplicate_of}"
        w.history(lead, HistoryKind.CREATED, text=detail)
        w.emit(
            ev.LeadCreated,
            lead_id=lead.id,
            name=lead.name,
            phones=lead.phones,
            emails=lead.emails,
            channel=lead.source.channel,
            supplier_id=lead.source.supplier_id,
            project_id=lead.project_id,
            duplicate_of=lead.duplicate_of,
            do_not_call=lead.do_not_call,
        )
        if lead.duplicate_of is not None:
            w.emit(ev.LeadDuplicateFlagged, lead_id=lead.id, duplicate_of=lead.duplicate_of)
        if blocked:
            outcome = ImportOutcome.BLACKLISTED
        elif original is not None:
            outcome = ImportOutcome.DUPLICATE
        else:
            outcome = ImportOutcome.CREATED
        return lead, outcome

    # -- reading --------------------------------------------------------------------

    def get(self, lead_id: str) -> Lead:
        """A lead the acting user may see; ``NotFound`` otherwise."""
        with self._writer(None, "") as w:
            return visible_lead(w.uow, w.actor, lead_id)

    def _query(
        self,
        w: Writer,
        *,
        status: StatusFilter,
        category: Category | str | Collection[Category | str] | None,
        assignee_id: str | None,
        supplier_id: str | None,
        channel: str | None,
        project_id: str | None,
        pool_id: str | None,
        created_from: datetime | None,
        created_until: datetime | None,
        text: str | None,
        converted: bool | None,
        include_done: bool,
        after: Cursor | None = None,
        limit: int | None = None,
    ) -> LeadQuery:
        wf = workflow_of(w.uow, w.org)
        status_ids: set[str | None] | None = None
        if status is not _Any.ANY:
            wanted = [status] if status is None or isinstance(status, str) else list(status)
            unknown = [s for s in wanted if s is not None and s not in wf]
            if unknown:
                raise ValidationError(
                    "invalid lead filter",
                    [f"status: {s!r} is not a status of the current workflow" for s in unknown],
                )
            status_ids = set(wanted)
        chosen: set[Category] | None = None
        if category is not None:
            cats = [category] if isinstance(category, str) else list(category)
            try:
                chosen = {Category(c) for c in cats}
            except ValueError:
                raise ValidationError(
                    "invalid lead filter",
                    [f"category: {cats!r} must name todo, in_progress or done"],
                ) from None
        exclude = hidden_done(
            wf,
            include_done=include_done,
            status_ids=status_ids,
            categories=chosen,
            converted=converted,
        )
        if chosen is not None:
            in_cats: set[str | None] = {s.id for s in wf.statuses if s.category in chosen}
            status_ids = in_cats if status_ids is None else status_ids & in_cats
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValidationError("invalid lead filter", ["limit: must be 1 or more"])
        naive = _naive(created_from=created_from, created_until=created_until)
        if naive:
            raise ValidationError("invalid lead filter", naive)
        return LeadQuery(
            status_ids=status_ids,
            exclude_status_ids=exclude,
            assignee_id=assignee_id,
            supplier_id=supplier_id,
            channel=channel,
            project_id=project_id,
            pool_id=pool_id,
            created_from=created_from,
            created_until=created_until,
            text=text,
            converted=converted,
            scope=lead_scope(w.uow, w.actor),
            after=after,
            limit=limit,
        )

    @text_limits(text=MAX_SEARCH_TEXT)
    def list(
        self,
        *,
        status: StatusFilter = _Any.ANY,
        category: Category | str | Collection[Category | str] | None = None,
        assignee_id: str | None = None,
        supplier_id: str | None = None,
        channel: str | None = None,
        project_id: str | None = None,
        pool_id: str | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
        text: str | None = None,
        converted: bool | None = None,
        include_done: bool = False,
        after: Cursor | None = None,
        limit: int = 50,
    ) -> Page:
        """A page of the leads the acting user may see, newest first.

        Leads in ``done`` statuses are hidden unless ``include_done=True``, or
        another filter asks for done leads: a done status in ``status``, the
        done category, or ``converted=True`` (see
        :func:`~leadcore.leads.hidden_done`). ``status=None`` asks for leads
        with no status. Pass ``page.next`` as ``after`` for the next page;
        pages stay stable while new leads arrive.
        """
        if not _whole(limit, minimum=1):
            raise ValidationError(
                "invalid lead filter", [f"limit: must be 1 or more, got {limit!r}"]
            )
        with self._writer(None, "") as w:
            query = self._query(
                w,
                status=status,
                category=category,
                assignee_id=assignee_id,
                supplier_id=supplier_id,
                channel=channel,
                project_id=project_id,
                pool_id=pool_id,
                created_from=created_from,
                created_until=created_until,
                text=text,
                converted=converted,
                include_done=include_done,
                after=after,
                limit=limit + 1,
            )
            rows = list(w.uow.leads.query(w.org, query))
        more = len(rows) > limit
        items = tuple(rows[:limit])
        nxt = Cursor(items[-1].created_at, items[-1].id) if more and items else None
        return Page(items, nxt)

    @text_limits(text=MAX_SEARCH_TEXT)
    def status_counts(
        self,
        *,
        category: Category | str | Collection[Category | str] | None = None,
        assignee_id: str | None = None,
        supplier_id: str | None = None,
        channel: str | None = None,
        project_id: str | None = None,
        pool_id: str | None = None,
        created_from: datetime | None = None,
        created_until: datetime | None = None,
        text: str | None = None,
        converted: bool | None = None,
        include_done: bool = False,
    ) -> dict[str | None, int]:
        """How many visible leads sit in each status: the status tabs of a leads table.

        Every status of the current workflow appears (with 0 when empty), in
        status order, after ``None`` (no status). Done statuses are left out
        as :meth:`list` hides them: unless ``include_done=True``, the done
        category or ``converted=True`` is asked for.
        """
        with self._writer(None, "") as w:
            query = self._query(
                w,
                status=_Any.ANY,
                category=category,
                assignee_id=assignee_id,
                supplier_id=supplier_id,
                channel=channel,
                project_id=project_id,
                pool_id=pool_id,
                created_from=created_from,
                created_until=created_until,
                text=text,
                converted=converted,
                include_done=include_done,
            )
            counts = w.uow.leads.count_by_status(w.org, query)
            wf = workflow_of(w.uow, w.org)
        # No status is a tab only when the filter can match leads without one.
        keys: list[str | None] = [None] if query.status_ids is None else []
        keys += [
            s.id for s in wf.statuses if (query.status_ids is None or s.id in query.status_ids)
        ]
        out = {k: counts.get(k, 0) for k in keys if k not in query.exclude_status_ids}
        for k, v in counts.items():  # statuses of older versions not yet migrated
            out.setdefault(k, v)
        return out

    def history(
        self, lead_id: str, *, limit: int = 50, offset: int = 0
    ) -> builtins.list[HistoryEntry]:
        """A lead's history, newest first, one page at a time.

        Under the project rule "show only own history", a user without
        ``see_team_history`` sees only the entries they made.
        """
        problems = [
            f"{name}: must be {minimum} or more, got {value!r}"
            for name, value, minimum in (("limit", limit, 1), ("offset", offset, 0))
            if not _whole(value, minimum=minimum)
        ]
        if problems:
            raise ValidationError("invalid history page", problems)
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            rules = project_rules(w.uow, lead)
            actors = None
            if rules.show_only_own_history and not w.actor.has(Permission.SEE_TEAM_HISTORY):
                actors = {w.actor.user.id}
            entries = w.uow.history.for_lead(w.org, lead.id, actor_ids=actors)
        return list(entries[offset : offset + limit])

    def notes(self, lead_id: str) -> builtins.list[Note]:
        """A lead's notes, oldest first."""
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            return list(w.uow.notes.for_lead(w.org, lead.id))

    def tasks(self, lead_id: str) -> builtins.list[Task]:
        """A lead's tasks, by due time."""
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            return list(w.uow.tasks.for_lead(w.org, lead.id))

    def due_reminders(self, *, until: datetime | None = None) -> builtins.list[Task]:
        """Open tasks due before ``until`` (default: now) for the acting user.

        Where a lead's project shares reminders in group, the reminders of
        the user's group mates on that project's leads are included, when the
        user may see the lead.
        """
        naive = _naive(until=until)
        if naive:
            raise ValidationError("invalid reminder filter", naive)
        with self._writer(None, "") as w:
            cutoff = until or w.now
            me = w.actor.user.id
            mates = {
                uid for g in w.uow.groups.list(w.org) if me in g.member_ids for uid in g.member_ids
            } - {me}
            tasks = w.uow.tasks.open_for(w.org, {me} | mates, cutoff)
            scope = lead_scope(w.uow, w.actor)
            out = []
            for t in tasks:
                if t.assignee_id == me:
                    out.append(t)
                    continue
                lead = w.uow.leads.get(w.org, t.lead_id)
                if (
                    lead is not None
                    and (scope is None or scope.allows(lead))
                    and project_rules(w.uow, lead).share_reminders_in_group
                ):
                    out.append(t)
            return out

    # -- changes ---------------------------------------------------------------------

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
        self, lead_id: str, user_ids: Sequence[str] | str, *, expected_version: int | None = None
    ) -> Lead:
        """Assign (route) a lead to users, replacing its assignees (needs ``assign_leads``).

        More than one user only where the lead's project allows multiple
        relationships.
        """
        wanted = [user_ids] if isinstance(user_ids, str) else list(dict.fromkeys(user_ids))
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
                    ["user_ids: the project does not allow multiple relationships"],
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

    # -- conversion ----------------------------------------------------------------

    def convert(
        self,
        lead_id: str,
        *,
        account_id: str | None = None,
        account_name: str | None = None,
        new_account: bool = False,
        opportunity_name: str | None = None,
        amount: float | None = None,
        status_id: str | None = None,
        note: str | None = None,
        task: TaskDraft | None = None,
        expected_version: int | None = None,
    ) -> Conversion:
        """Convert a lead into a contact, an account and optionally an opportunity (``convert``).

        The account is ``account_id`` (an existing one) or a new one named
        ``account_name`` (default: the lead's name); when accounts of the same
        name exist and ``new_account`` is false, ``ConflictError`` names them
        so the caller can pick one. An opportunity starts in the first stage
        of the organisation's opportunity workflow ("Prospecting" by default).
        The lead moves to ``status_id`` (default: the first done status) through
        the same checks as any status change, then becomes read-only.
        """
        with self._writer(Permission.CONVERT, "convert leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            writable(lead)
            check_version(lead, expected_version)
            wf = workflow_of(w.uow, w.org)
            target = status_id or (wf.done_statuses() or (None,))[0]
            if target is None:
                raise ValidationError("cannot convert", ["the workflow has no done status"])
            if target in wf and not wf.is_done(target):
                raise ValidationError(
                    "cannot convert", [f"status_id: {target!r} is not a done status"]
                )
            from_status = lead.status_id
            moved = lead
            if lead.status_id != target:
                moved = change_status(
                    w,
                    lead,
                    wf,
                    target,
                    note=note,
                    task=task,
                    rules=project_rules(w.uow, lead),
                    reason="conversion",
                )
            account, created = self._account(w, lead, account_id, account_name, new_account)
            contact = Contact(
                id=self._ctx.ids.new("contact"),
                organization_id=w.org,
                name=lead.name,
                account_id=account.id,
                created_at=w.now,
                phones=lead.phones,
                emails=lead.emails,
                created_from_lead_id=lead.id,
            )
            w.uow.contacts.add(contact)
            opportunity = None
            if opportunity_name is not None:
                opportunity = self._opportunity(w, lead, account, contact, opportunity_name, amount)
            conversion = Conversion(
                id=self._ctx.ids.new("conversion"),
                organization_id=w.org,
                lead_id=lead.id,
                converted_at=w.now,
                converted_by=w.actor.user.id,
                contact_id=contact.id,
                account_id=account.id,
                account_created=created,
                opportunity_id=opportunity.id if opportunity else None,
                from_status=from_status,
                to_status=target,
                snapshot={
                    "name": lead.name,
                    "phones": lead.phones,
                    "emails": lead.emails,
                    **lead.fields,
                },
            )
            w.uow.conversions.add(conversion)
            w.save(moved, attrs.evolve(moved, conversion_id=conversion.id))
            w.history(lead, HistoryKind.CONVERTED, text=f"conversion {conversion.id}")
            w.emit(
                ev.LeadWasConverted,
                lead_id=lead.id,
                conversion_id=conversion.id,
                contact_id=contact.id,
                account_id=account.id,
                account_created=created,
                opportunity_id=conversion.opportunity_id,
            )
            w.uow.commit()
            return conversion

    def _account(
        self,
        w: Writer,
        lead: Lead,
        account_id: str | None,
        account_name: str | None,
        new_account: bool,
    ) -> tuple[Account, bool]:
        if account_id is not None:
            found = w.uow.accounts.get(w.org, account_id)
            if found is None:
                raise NotFound("account", account_id)
            return found, False
        name = (account_name or lead.name).strip()
        if not name:
            raise ValidationError("cannot convert", ["account_name: must not be blank"])
        if not new_account:
            key = name_key(name)
            same = [a.id for a in w.uow.accounts.list(w.org) if name_key(a.name) == key]
            if same:
                raise ConflictError(
                    f"accounts named {name!r} exist ({', '.join(same)}): pass account_id to use "
                    "one, or new_account=True to create another"
                )
        account = Account(
            id=self._ctx.ids.new("account"),
            organization_id=w.org,
            name=name,
            created_at=w.now,
            created_from_lead_id=lead.id,
        )
        w.uow.accounts.add(account)
        return account, True

    def _opportunity(
        self,
        w: Writer,
        lead: Lead,
        account: Account,
        contact: Contact,
        name: str,
        amount: float | None,
    ) -> Opportunity:
        if not name.strip():
            raise ValidationError("cannot convert", ["opportunity_name: must not be blank"])
        wf = w.uow.workflows.get(w.org, OPPORTUNITIES)
        if wf is None:
            wf = attrs.evolve(sample_workflow("opportunities"), version=1)
            w.uow.workflows.add(w.org, OPPORTUNITIES, wf)
            w.emit(ev.WorkflowPublished, kind=OPPORTUNITIES, workflow_id=wf.id, version=1)
        opportunity = Opportunity(
            id=self._ctx.ids.new("opportunity"),
            organization_id=w.org,
            name=name.strip(),
            account_id=account.id,
            contact_id=contact.id,
            stage_id=wf.entry[0],
            workflow_version=wf.version,
            created_at=w.now,
            amount=amount,
            created_from_lead_id=lead.id,
        )
        w.uow.opportunities.add(opportunity)
        return opportunity

    def unconvert(self, lead_id: str, *, reason: str) -> Lead:
        """Undo a conversion (needs ``unconvert``): the lead is writable again.

        The lead returns to the status it had before the conversion (or keeps
        its done status, when a later workflow version removed that one). The
        conversion record stays, marked undone with who, when and why, and so
        do the contact, account and opportunity it created (they may have been
        worked on since).
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("cannot un-convert", ["reason: must not be blank"])
        with self._writer(Permission.UNCONVERT, "un-convert leads") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            if lead.conversion_id is None:
                raise ValidationError(
                    "cannot un-convert",
                    [f"lead {lead.name!r} is not converted"],
                    ids={"lead_id": lead.id},
                )
            conversion = w.uow.conversions.get(w.org, lead.conversion_id)
            if conversion is None:  # pragma: no cover - written with the lead
                raise NotFound("conversion", lead.conversion_id)
            w.uow.conversions.update(
                attrs.evolve(
                    conversion, undone_at=w.now, undone_by=w.actor.user.id, undo_reason=reason
                )
            )
            back = conversion.from_status
            if back is not None and back not in workflow_of(w.uow, w.org):
                back = lead.status_id
            restored = w.save(lead, attrs.evolve(lead, conversion_id=None, status_id=back))
            w.history(
                lead,
                HistoryKind.UNCONVERTED,
                from_status=lead.status_id,
                to_status=back,
                text=reason.strip(),
            )
            w.emit(
                ev.LeadUnconverted,
                lead_id=lead.id,
                conversion_id=conversion.id,
                reason=reason.strip(),
            )
            w.emit(
                ev.StatusChanged,
                lead_id=lead.id,
                from_status=lead.status_id,
                to_status=back,
                workflow_version=lead.workflow_version,
                reason="unconversion",
            )
            w.uow.commit()
            return restored

    def lineage(self, lead_id: str) -> Lineage:
        """What a lead became: conversions, contacts, accounts and opportunities."""
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            conversions = tuple(w.uow.conversions.for_lead(w.org, lead.id))
            contacts = tuple(
                c for c in (w.uow.contacts.get(w.org, x.contact_id) for x in conversions) if c
            )
            accounts = tuple(
                a for a in (w.uow.accounts.get(w.org, x.account_id) for x in conversions) if a
            )
            opportunities = tuple(
                o
                for o in (
                    w.uow.opportunities.get(w.org, x.opportunity_id)
                    for x in conversions
                    if x.opportunity_id
                )
                if o
            )
            return Lineage(lead, conversions, contacts, accounts, opportunities)

    def accounts(self) -> builtins.list[Account]:
        """The organisation's accounts, by name."""
        with self._writer(None, "") as w:
            return list(w.uow.accounts.list(w.org))

    def account_leads(self, account_id: str) -> builtins.list[Lead]:
        """The leads converted into an account (that the acting user may see), once each.

        Undone conversions do not count; :meth:`lineage` keeps them.
        """
        with self._writer(None, "") as w:
            if w.uow.accounts.get(w.org, account_id) is None:
                raise NotFound("account", account_id)
            out = []
            for c in w.uow.conversions.for_account(w.org, account_id):
                if c.undone_at is not None:
                    continue
                try:
                    out.append(visible_lead(w.uow, w.actor, c.lead_id))
                except NotFound:
                    continue
            return out


def _naive(**values: datetime | None) -> builtins.list[str]:
    """A problem for each naive datetime: they cannot be compared with stored times."""
    return [
        problem
        for name, value in values.items()
        if (problem := aware_problem(value, name)) is not None
    ]


def _whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
