"""Reports (``s.reports``): the funnel, the pipeline, time in status, transition rates, pile-ups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from leadcore._arguments import checked_arguments
from leadcore._limits import aware_problem
from leadcore._text import checks_text
from leadcore.errors import ValidationError
from leadcore.leads._model import Lead
from leadcore.leads._pipeline import PipelineKey, PipelineReport, pipeline_report
from leadcore.leads._query import LeadQuery
from leadcore.leads._reports import (
    FunnelRow,
    StatusTime,
    TransitionRate,
    funnel,
    status_stays,
    time_in_status,
    transition_rates,
)
from leadcore.services._pipeline import OPPORTUNITIES, pipeline_settings
from leadcore.services._shared import LEADS, ServiceContext, Work
from leadcore.tenancy import Permission

__all__ = ["FunnelKey", "ReportsService"]

#: What a funnel is grouped by.
FunnelKey = Literal["source", "channel", "supplier", "project", "all"]

_KEYS: dict[str, Callable[[Lead], str | None]] = {
    "channel": lambda lead: lead.source.channel,
    "supplier": lambda lead: lead.source.supplier_id,
    "project": lambda lead: lead.project_id,
    "source": lambda lead: lead.source.supplier_id or lead.source.channel,
    "all": lambda lead: None,
}


@checks_text
@checked_arguments
class ReportsService:
    """Reports over the whole organisation (needs ``see_reports``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def funnel(
        self,
        *,
        by: FunnelKey = "source",
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[FunnelRow]:
        """Leads created in ``[start, end)`` -> conversions -> accounts -> opportunities.

        Grouped ``by`` source (supplier, else channel), channel, supplier,
        project, or ``"all"`` for one row. Each row also counts the
        opportunities closed as won and their revenue per currency.
        """
        key = _KEYS.get(by)
        problems = _period_problems(start, end)
        if key is None:
            problems.insert(0, f"by: {by!r} is not one of {', '.join(_KEYS)}")
        if problems or key is None:
            raise ValidationError("invalid report", problems)
        with Work(self._ctx, Permission.SEE_REPORTS, "see reports") as w:
            leads = w.uow.leads.query(w.org, LeadQuery(created_from=start, created_until=end))
            conversions = w.uow.conversions.list(w.org)
            opportunities = {o.id: o for o in w.uow.opportunities.list(w.org)}
        return funnel(leads, conversions, key, opportunities)

    def pipeline(self, *, by: PipelineKey = "stage") -> PipelineReport:
        """The open pipeline grouped ``by`` stage, owner or close month, with win rate and cycle.

        Each row sums the open opportunities' amounts per currency, and the
        amounts weighted by their stage's win probability (the pipeline
        settings' ``probabilities``); the report counts the won and lost
        ones, the win rate ``won / (won + lost)``, the mean time from
        creation to close, and the won revenue per currency.
        """
        if by not in ("stage", "owner", "close_month"):
            raise ValidationError(
                "invalid report", [f"by: {by!r} is not one of stage, owner, close_month"]
            )
        with Work(self._ctx, Permission.SEE_REPORTS, "see reports") as w:
            opportunities = w.uow.opportunities.list(w.org)
            wf = w.uow.workflows.get(w.org, OPPORTUNITIES)
            settings = pipeline_settings(w.uow, w.org)
        return pipeline_report(opportunities, wf, settings, by)

    def time_in_status(
        self, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[StatusTime]:
        """How long leads stay in each status, from the history of moves in ``[start, end)``."""
        _check_period(start, end)
        with Work(self._ctx, Permission.SEE_REPORTS, "see reports") as w:
            entries = w.uow.history.between(w.org, start, end)
            wf = w.uow.workflows.get(w.org, LEADS)
            now = w.now
        order = wf.status_ids if wf is not None else ()
        return time_in_status(status_stays(entries, min(now, end) if end else now), order)

    def transitions(
        self, *, start: datetime | None = None, end: datetime | None = None
    ) -> list[TransitionRate]:
        """Every move observed in ``[start, end)`` with its share of moves out of its status."""
        _check_period(start, end)
        with Work(self._ctx, Permission.SEE_REPORTS, "see reports") as w:
            entries = w.uow.history.between(w.org, start, end)
        return transition_rates(entries)

    def pileups(self, *, limit: int = 5) -> list[StatusTime]:
        """The live statuses where leads pile up: most leads now, then longest mean stay.

        Done statuses are left out: every finished lead rests in one, so they
        would always top the list without being a bottleneck.
        """
        with Work(self._ctx, Permission.SEE_REPORTS, "see reports") as w:
            wf = w.uow.workflows.get(w.org, LEADS)
        done = frozenset(wf.done_statuses()) if wf is not None else frozenset()
        rows = [r for r in self.time_in_status() if r.status_id not in done]
        rows.sort(key=lambda r: (-r.current, -r.mean.total_seconds(), r.status_id))
        return rows[:limit]


def _period_problems(start: datetime | None, end: datetime | None) -> list[str]:
    # Stored times are aware; a naive bound could not be compared with them.
    return [
        problem
        for name, value in (("start", start), ("end", end))
        if (problem := aware_problem(value, name)) is not None
    ]


def _check_period(start: datetime | None, end: datetime | None) -> None:
    problems = _period_problems(start, end)
    if problems:
        raise ValidationError("invalid report", problems)
