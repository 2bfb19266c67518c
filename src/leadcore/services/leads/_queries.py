"""Reading leads: one, a page, status counts, history, notes, tasks, reminders."""

from __future__ import annotations

import builtins
import warnings
from collections.abc import Collection
from datetime import datetime
from typing import TypeAlias

from leadcore._arguments import checked_arguments
from leadcore._limits import aware_problem
from leadcore._text import MAX_SEARCH_TEXT, checks_text, text_limits
from leadcore.dispatch._rules import HistoryScope, history_authors
from leadcore.errors import (
    ValidationError,
)
from leadcore.leads._model import (
    Lead,
    Note,
    Task,
)
from leadcore.leads._query import (
    Cursor,
    HistoryPage,
    LeadQuery,
    Page,
    hidden_done,
    history_page,
)
from leadcore.services._shared import (
    Writer,
    lead_scope,
    project_rules,
    visible_lead,
    workflow_of,
)
from leadcore.services.leads._part import LeadsPart
from leadcore.tenancy import Permission
from leadcore.workflow import Category

#: A status filter: status ids (``None`` among them for leads with no status), or ``None``: any.
StatusFilter: TypeAlias = str | Collection[str | None] | None


@checks_text
@checked_arguments
class LeadQueries(LeadsPart):
    """The reading use cases of ``s.leads``."""

    def get(self, lead_id: str) -> Lead:
        """A lead the acting user may see; ``NotFound`` otherwise."""
        with self._writer(None, "") as w:
            return visible_lead(w.uow, w.actor, lead_id)

    def _query(
        self,
        w: Writer,
        *,
        status_ids: StatusFilter,
        categories: Category | str | Collection[Category | str] | None,
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
        statuses: set[str | None] | None = None
        if status_ids is not None:
            wanted = [status_ids] if isinstance(status_ids, str) else list(status_ids)
            unknown = [s for s in wanted if s is not None and s not in wf]
            if unknown:
                raise ValidationError(
                    "invalid lead filter",
                    [f"status_ids: {s!r} is not a status of the current workflow" for s in unknown],
                )
            statuses = set(wanted)
        chosen: set[Category] | None = None
        if categories is not None:
            cats = [categories] if isinstance(categories, str) else list(categories)
            try:
                chosen = {Category(c) for c in cats}
            except ValueError:
                raise ValidationError(
                    "invalid lead filter",
                    [f"categories: {cats!r} must name todo, in_progress or done"],
                ) from None
        exclude = hidden_done(
            wf,
            include_done=include_done,
            status_ids=statuses,
            categories=chosen,
            converted=converted,
        )
        if chosen is not None:
            in_cats: set[str | None] = {s.id for s in wf.statuses if s.category in chosen}
            statuses = in_cats if statuses is None else statuses & in_cats
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValidationError("invalid lead filter", ["limit: must be 1 or more"])
        naive = _naive(created_from=created_from, created_until=created_until)
        if naive:
            raise ValidationError("invalid lead filter", naive)
        return LeadQuery(
            status_ids=statuses,
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
        status_ids: StatusFilter = None,
        categories: Category | str | Collection[Category | str] | None = None,
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

        ``status_ids`` and ``categories`` keep the leads in one of the
        statuses or categories given; ``None`` in ``status_ids`` asks for
        leads with no status. Leads in ``done`` statuses are hidden unless
        ``include_done=True``, or another filter asks for done leads: a done
        status in ``status_ids``, the done category, or ``converted=True``
        (see :func:`~leadcore.leads.hidden_done`). ``status=`` and
        ``category=`` are the old names of ``status_ids=`` and
        ``categories=`` (one release, with a ``DeprecationWarning``). Pass
        ``page.next`` as ``after`` for the next page; pages stay stable while
        new leads arrive.
        """
        if not _whole(limit, minimum=1):
            raise ValidationError(
                "invalid lead filter", [f"limit: must be 1 or more, got {limit!r}"]
            )
        with self._writer(None, "") as w:
            query = self._query(
                w,
                status_ids=status_ids,
                categories=categories,
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
        categories: Category | str | Collection[Category | str] | None = None,
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
                status_ids=None,
                categories=categories,
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
        self,
        lead_id: str,
        *,
        limit: int = 50,
        after: Cursor | None = None,
        offset: int | None = None,
    ) -> HistoryPage:
        """A lead's history, newest first, one page at a time.

        A page holds up to ``limit`` entries; pass its ``.next`` as ``after``
        for the next page. ``offset=`` is the old way to page (one release,
        with a ``DeprecationWarning``): it skips that many entries (after
        ``after``, if given). The project rule ``history_scope`` says whose
        entries a user without ``see_team_history`` sees: their own, their
        groups' members' too, or all.
        """
        problems = [
            f"{name}: must be {minimum} or more, got {value!r}"
            for name, value, minimum in (("limit", limit, 1), ("offset", offset, 0))
            if not (name == "offset" and value is None) and not _whole(value, minimum=minimum)
        ]
        if problems:
            raise ValidationError("invalid history page", problems)
        if offset is not None:
            warnings.warn(
                "LeadsService.history: offset= is now after= (pass page.next); "
                "the old form will be removed in the next release",
                DeprecationWarning,
                stacklevel=3,
            )
        with self._writer(None, "") as w:
            lead = visible_lead(w.uow, w.actor, lead_id)
            rules = project_rules(w.uow, lead)
            groups = (
                [g.member_ids for g in w.uow.groups.list(w.org)]
                if rules.history_scope is HistoryScope.GROUP
                else []
            )
            actors = history_authors(
                rules.history_scope,
                w.actor.user.id,
                groups,
                sees_team_history=w.actor.has(Permission.SEE_TEAM_HISTORY),
            )
            entries = w.uow.history.for_lead(w.org, lead.id, actor_ids=actors)
        return history_page(entries, limit=limit, after=after, skip=offset or 0)

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


def _naive(**values: datetime | None) -> builtins.list[str]:
    """A problem for each naive datetime: they cannot be compared with stored times."""
    return [
        problem
        for name, value in values.items()
        if (problem := aware_problem(value, name)) is not None
    ]


def _whole(value: object, *, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum
