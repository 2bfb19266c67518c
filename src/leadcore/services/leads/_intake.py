"""How leads come in: one at a time (``create``) or in a batch (``import_many``)."""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence, Sized

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text, text_limits
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import (
    ValidationError,
)
from leadcore.leads._intake import LeadSettings, first_originals
from leadcore.leads._model import (
    HistoryKind,
    Lead,
)
from leadcore.leads._project import Project
from leadcore.leads._rows import (
    ImportInterrupted,
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
                if problems := self._check_refs(w, checked, "lead"):
                    raise ValidationError("invalid lead references", problems)
                [(lead, _)] = self._admit(w, [checked], settings)
                w.uow.commit()
                return lead

        # A concurrent intake of the same contact: run again to see it.
        return retry_on_conflict(run, _INTAKE_ATTEMPTS)

    @text_limits(rows=None)  # a bad row is reported as invalid, the others imported
    def import_many(
        self,
        rows: Iterable[object],
        *,
        batch_size: int = 1000,
        progress: Callable[[int, int | None], object] | None = None,
    ) -> ImportReport:
        """Import rows of lead data (mappings); report what became of each (needs ``create_leads``).

        A row is created, flagged as a duplicate (of a stored lead or of an
        earlier row), flagged as blacklisted, or rejected as invalid with every
        reason; an invalid row writes nothing. Keys: ``name``, ``phone(s)``,
        ``email(s)``, ``channel``, ``supplier_id``, ``project_id``, ``pool_id``,
        ``assignee_ids``, ``fields``, or a custom field key.

        ``rows`` may be any iterable; it is read ``batch_size`` rows at a time
        and never held whole. Each batch is checked, looked up and written in a
        few statements, in its own transaction. After each committed batch
        ``progress(done, total)`` is called with the rows done so far and
        ``len(rows)`` (``None`` when ``rows`` has no length). A batch that
        fails writes nothing; if earlier batches were committed,
        :class:`~leadcore.leads.ImportInterrupted` carries their report. A
        ``progress`` that raises (a cancel button, a closed progress bar) stops
        the import the same way, after the batch it was told of, before the
        next one is read.
        """
        if batch_size < 1:
            raise ValidationError(
                "cannot import leads",
                [f"batch_size: expected a whole number of 1 or more; got {batch_size!r}"],
            )
        total = len(rows) if isinstance(rows, Sized) else None
        source = iter(rows)
        report: list[ImportRow] = []
        batches = 0
        while True:
            start = len(report)
            try:
                batch = list(itertools.islice(source, batch_size))
                if not batch:
                    break
                done = retry_on_conflict(
                    functools.partial(self._import_batch, batch, start), _INTAKE_ATTEMPTS
                )
            except Exception as exc:
                # Nothing of this batch was written; earlier batches stay committed.
                if batches == 0:
                    raise
                raise ImportInterrupted(ImportReport(report, batches), exc) from exc
            report.extend(done)
            batches += 1
            outcomes = [row.outcome for row in done]
            counts = {
                "rows": len(done),
                "created": outcomes.count(ImportOutcome.CREATED),
                "duplicates": outcomes.count(ImportOutcome.DUPLICATE),
                "blacklisted": outcomes.count(ImportOutcome.BLACKLISTED),
                "invalid": outcomes.count(ImportOutcome.INVALID),
            }
            logger.info(
                "imported %(rows)d rows: %(created)d created, %(duplicates)d duplicates, "
                "%(blacklisted)d blacklisted, %(invalid)d invalid",
                counts,
                # ``created`` is a LogRecord attribute: the counts go in one field.
                extra={"organization_id": self._ctx.organization_id, "import_counts": counts},
            )
            if progress is not None:
                try:
                    progress(len(report), total)
                except Exception as exc:
                    # The batch is committed: the caller gets the report of every batch so far.
                    raise ImportInterrupted(ImportReport(report, batches), exc) from exc
        return ImportReport(report, batches)

    def _import_batch(self, batch: Sequence[object], start: int) -> list[ImportRow]:
        """Import one batch in one unit of work; rows are numbered from ``start``."""
        with self._writer(Permission.CREATE_LEADS, "import leads") as w:
            settings = lead_settings(w.uow, w.org)
            org = w.uow.organizations.get(w.org)
            region = org.default_region if org else None
            refs = _References(w)
            report: list[ImportRow | None] = []
            accepted: list[tuple[int, LeadInput]] = []
            for index, row in enumerate(batch, start):
                checked, problems = read_row(row, index, settings, region)
                if checked is not None:
                    problems = self._check_refs(w, checked, f"rows[{index}]", refs)
                if checked is None or problems:
                    report.append(ImportRow(index, ImportOutcome.INVALID, problems=tuple(problems)))
                else:
                    accepted.append((len(report), checked))
                    report.append(None)
            admitted = self._admit(w, [c for _, c in accepted], settings)
            for (position, _), (lead, outcome) in zip(accepted, admitted, strict=True):
                report[position] = ImportRow(
                    position + start, outcome, lead.id, duplicate_of=lead.duplicate_of
                )
            rows = [r for r in report if r is not None]
            result = ImportReport(rows)
            w.emit(
                ev.LeadImported,
                rows=len(rows),
                created=result.count(ImportOutcome.CREATED),
                duplicates=result.count(ImportOutcome.DUPLICATE),
                blacklisted=result.count(ImportOutcome.BLACKLISTED),
                invalid=result.count(ImportOutcome.INVALID),
            )
            w.uow.commit()
            return rows

    def _check_refs(
        self, w: Writer, checked: LeadInput, path: str, refs: _References | None = None
    ) -> list[str]:
        """Every problem with the records ``checked`` refers to (empty when they exist)."""
        refs = refs or _References(w)
        problems: list[str] = []
        if checked.project_id is not None and refs.project(checked.project_id) is None:
            problems.append(f"{path}.project_id: no project {checked.project_id!r}")
        for uid in checked.assignee_ids:
            if not refs.active_user(uid):
                problems.append(f"{path}.assignee_ids: no active user {uid!r}")
        if len(checked.assignee_ids) > 1:
            project = None if checked.project_id is None else refs.project(checked.project_id)
            rules = ProjectRules() if project is None else project.rules
            if not rules.allow_multiple_relationships:
                problems.append(
                    f"{path}.assignee_ids: the project does not allow multiple relationships"
                )
        supplier = checked.source.supplier_id
        if supplier is not None and supplier not in refs.partners():
            problems.append(f"{path}.supplier_id: {supplier!r} is not a partner")
        return problems

    def _admit(
        self, w: Writer, accepted: Sequence[LeadInput], settings: LeadSettings
    ) -> list[tuple[Lead, ImportOutcome]]:
        """Store checked leads in order: duplicates and do-not-call numbers looked up for all."""
        if not accepted:
            return []
        leads = [
            Lead(
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
            for checked in accepted
        ]
        since = None if settings.duplicate_window is None else w.now - settings.duplicate_window
        fields = settings.duplicate_fields
        stored = w.uow.leads.matching(
            w.org,
            phones={p for lead in leads for p in lead.phones} if "phone" in fields else (),
            emails={e for lead in leads for e in lead.emails} if "email" in fields else (),
            name_keys={name_key(lead.name) for lead in leads} if "name" in fields else (),
            since=since,
        )
        originals = first_originals(leads, stored, settings)
        listed = w.uow.do_not_call.listed(w.org, {p for lead in leads for p in lead.phones})
        out: list[tuple[Lead, ImportOutcome]] = []
        for lead, original in zip(leads, originals, strict=True):
            blocked = any(p in listed for p in lead.phones)
            if original is not None:
                lead = attrs.evolve(lead, duplicate_of=original.duplicate_of or original.id)
            if blocked:
                lead = attrs.evolve(lead, do_not_call=True)
            if blocked:
                outcome = ImportOutcome.BLACKLISTED
            elif original is not None:
                outcome = ImportOutcome.DUPLICATE
            else:
                outcome = ImportOutcome.CREATED
            out.append((lead, outcome))
        w.uow.leads.add_many([lead for lead, _ in out])
        for lead, _ in out:
            detail = None if lead.duplicate_of is None else f"duplicate of {lead.duplicate_of}"
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
        return out


class _References:
    """The records import rows refer to, each read once per batch."""

    def __init__(self, w: Writer) -> None:
        self._w = w
        self._projects: dict[str, Project | None] = {}
        self._users: dict[str, bool] = {}
        self._partners: frozenset[str] | None = None

    def project(self, project_id: str) -> Project | None:
        if project_id not in self._projects:
            self._projects[project_id] = self._w.uow.projects.get(self._w.org, project_id)
        return self._projects[project_id]

    def active_user(self, user_id: str) -> bool:
        if user_id not in self._users:
            user = self._w.uow.users.get(self._w.org, user_id)
            self._users[user_id] = user is not None and user.active
        return self._users[user_id]

    def partners(self) -> frozenset[str]:
        if self._partners is None:
            found = self._w.uow.partnerships.list(self._w.org)
            self._partners = frozenset(p.partner_id for p in found)
        return self._partners
