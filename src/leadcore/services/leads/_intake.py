"""How leads come in: one at a time (``create``) or in a batch (``import_many``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text, text_limits
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import (
    ValidationError,
)
from leadcore.leads._intake import LeadSettings, is_duplicate
from leadcore.leads._model import (
    HistoryKind,
    Lead,
)
from leadcore.leads._rows import (
    ImportOutcome,
    ImportReport,
    ImportRow,
    LeadInput,
    read_input,
    read_row,
)
from leadcore.services._shared import (
    Writer,
    lead_settings,
    retry_on_conflict,
)
from leadcore.services.leads._part import LeadsPart
from leadcore.tenancy import Permission
from leadcore.workflow import name_key

logger = logging.getLogger(__name__)

_INTAKE_ATTEMPTS = 3


@checks_text
@checked_arguments
class LeadIntake(LeadsPart):
    """Lead intake of ``s.leads``: ``create`` and ``import_many``."""

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
                counts = {
                    "rows": len(result.rows),
                    "created": result.count(ImportOutcome.CREATED),
                    "duplicates": result.count(ImportOutcome.DUPLICATE),
                    "blacklisted": result.count(ImportOutcome.BLACKLISTED),
                    "invalid": result.count(ImportOutcome.INVALID),
                }
                w.emit(ev.LeadImported, **counts)
                w.uow.commit()
                logger.info(
                    "imported %(rows)d rows: %(created)d created, %(duplicates)d duplicates, "
                    "%(blacklisted)d blacklisted, %(invalid)d invalid",
                    counts,
                    # ``created`` is a LogRecord attribute: the counts go in one field.
                    extra={"organization_id": w.org, "import_counts": counts},
                )
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
