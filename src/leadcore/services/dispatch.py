"""Use cases of dispatch (``s.dispatch``): pools, filters, "next lead", calls under a claim.

Every write made under a claim (a call, a status change, a note, a renewal, a
release) commits only if its fencing token is still a live claim of the acting
agent *at commit*: the token is checked against the lease, and the lease as
checked is written back with compare-and-set in the same unit of work. A token
that is expired, superseded, released or another agent's raises
:class:`~leadcore.errors.LeaseLost` and writes nothing; a lead the caller may
not see is answered like a missing one (:class:`~leadcore.errors.NotFound`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import NamedTuple, TypeVar

import attrs

from leadcore import events as ev
from leadcore._arguments import checked_arguments
from leadcore._text import checks_text
from leadcore.dispatch._agent import Agent, AgentLoad
from leadcore.dispatch._explain import Explanation, explain
from leadcore.dispatch._filters import AgentFilter, validate_filter
from leadcore.dispatch._leases import (
    Claim,
    Lease,
    check_token,
    claim_lead,
    extend_after_call,
    release_lease,
    renew_lease,
)
from leadcore.dispatch._pools import Pool, ProjectPools
from leadcore.errors import ConflictError, Forbidden, NotFound, ValidationError
from leadcore.leads._model import HistoryKind, Lead, Note, TaskDraft
from leadcore.leads._project import Project
from leadcore.services._shared import (
    LEADS,
    ServiceContext,
    Work,
    Writer,
    lead_settings,
    project_rules,
    retry_on_conflict,
    visible_lead,
    workflow_of,
    writable,
)
from leadcore.services._status import change_status
from leadcore.tenancy import Permission
from leadcore.workflow import Workflow

__all__ = ["DispatchService"]

R = TypeVar("R")

# A lost race to the head of a pool costs one more look (the loser is shown the next lead).
# Rare: row locks (PostgreSQL, MariaDB) and in-process reservations kept until the claim's
# commit is visible (SQLite) pass by what others chose; pinned by the threaded tests.
_CLAIM_ATTEMPTS = 4
# A write under a claim whose commit conflicted runs again: its check then answers
# LeaseLost if the claim was lost, else (another holder's write under a window of 0
# touched the lease meanwhile) it commits. Bounded like every retry.
_FENCE_ATTEMPTS = 8
_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@checks_text
@checked_arguments
class DispatchService:
    """The call-centre "next lead" engine of the acting user's organisation (``s.dispatch``)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    # -- helpers -------------------------------------------------------------------

    def _work(self, permission: Permission | None, action: str) -> Work:
        return Work(self._ctx, permission, action)

    @staticmethod
    def _project(w: Writer, project_id: str) -> Project:
        project = w.uow.projects.get(w.org, project_id)
        if project is None:
            raise NotFound("project", project_id)
        return project

    @staticmethod
    def _member(w: Writer, project: Project) -> None:
        if w.actor.user.id not in project.member_ids:
            raise Forbidden(
                f"user {w.actor.user.name!r} is not an agent of project {project.name!r}",
                permission=None,
            )

    @staticmethod
    def _pools(w: Writer, project: Project) -> ProjectPools:
        pools = w.uow.dispatch.pools(w.org, project.id)
        return ProjectPools(()) if pools is None else pools

    def _lead(self, w: Writer, lead_id: str) -> Lead:
        lead = w.uow.leads.get(w.org, lead_id)
        if lead is None:
            raise NotFound("lead", lead_id)
        return lead

    def _rules_of(self, w: Writer, lead: Lead) -> Project | None:
        return None if lead.project_id is None else w.uow.projects.get(w.org, lead.project_id)

    # -- configuration ----------------------------------------------------------------

    def set_pools(
        self,
        project_id: str,
        pools: Iterable[Pool],
        *,
        order: Iterable[str] | None = None,
        agent_orders: Mapping[str, Iterable[str]] | None = None,
    ) -> ProjectPools:
        """Set a project's pools and their priority order, per project and per agent.

        Needs ``manage_dispatch``. Private pools must belong to agents of the
        project. ``order`` lists pool ids, highest priority first; pools it
        omits follow in the order of ``pools``, so ``None`` (or nothing) means
        the order of ``pools``. ``agent_orders`` (``None``: none) replaces
        ``order`` for the agents it names.
        """
        with self._work(Permission.MANAGE_DISPATCH, "manage dispatch") as w:
            project = self._project(w, project_id)
            value = ProjectPools(tuple(pools), tuple(order or ()), dict(agent_orders or {}))
            problems = [
                f"pools[{i}].owner_id: {p.owner_id!r} is not an agent of the project"
                for i, p in enumerate(value.pools)
                if p.owner_id is not None and p.owner_id not in project.member_ids
            ]
            problems += [
                f"agent_orders[{a!r}]: not an agent of the project"
                for a in value.agent_orders
                if a not in project.member_ids
            ]
            if problems:
                raise ValidationError("cannot set the pools", problems)
            w.uow.dispatch.set_pools(w.org, project.id, value)
            w.emit(ev.PoolsChanged, project_id=project.id, pool_ids=[p.id for p in value.pools])
            w.uow.commit()
            return value

    def pools(self, project_id: str) -> ProjectPools:
        """A project's pools (empty until set)."""
        with self._work(None, "") as w:
            return self._pools(w, self._project(w, project_id))

    def set_filter(self, project_id: str, agent_id: str, value: AgentFilter | None) -> None:
        """Set (or clear) an agent's dispatch filter in a project.

        A manager (``manage_dispatch``) sets anyone's; an agent sets their own
        only where the project lets agents set their own filters and they hold
        ``set_own_dispatch_filters``. Statuses and fields the filter names
        must exist.
        """
        with self._work(None, "") as w:
            project = self._project(w, project_id)
            own = agent_id == w.actor.user.id
            if not w.actor.has(Permission.MANAGE_DISPATCH):
                if not own:
                    w.actor.require(Permission.MANAGE_DISPATCH, "set other agents' filters")
                if not project.rules.agents_set_own_filters:
                    raise Forbidden(
                        f"project {project.name!r} does not let agents set their own filters"
                    )
                w.actor.require(Permission.SET_OWN_DISPATCH_FILTERS, "set their own filters")
            if agent_id not in project.member_ids:
                raise NotFound("agent of the project", agent_id)
            if value is not None:
                workflow = workflow_of(w.uow, w.org, LEADS)
                settings = lead_settings(w.uow, w.org)
                validate_filter(
                    value, workflow=workflow, fields={d.key for d in settings.custom_fields}
                )
            w.uow.dispatch.set_agent_filter(w.org, project.id, agent_id, value)
            w.uow.commit()

    def filter(self, project_id: str, agent_id: str | None = None) -> AgentFilter | None:
        """An agent's filter in a project (default: the acting user's)."""
        with self._work(None, "") as w:
            project = self._project(w, project_id)
            return w.uow.dispatch.agent_filter(w.org, project.id, agent_id or w.actor.user.id)

    # -- the next lead ----------------------------------------------------------------

    def next(self, project_id: str) -> Claim | None:
        """Claim the next lead for the acting agent, or ``None`` when there is none.

        The claim carries the lead, a fencing ``token``, ``expires_at`` (now
        plus the lock window), ``alert_at`` and ``auto_dial``. Needs
        ``dispatch`` and membership of the project. :meth:`explain` says why
        this lead, or why none.
        """

        def run() -> Claim | None:
            return self._next(project_id)

        # Another agent claimed the same lead first: ask again.
        return retry_on_conflict(run, _CLAIM_ATTEMPTS)

    def _context(
        self, w: Writer, project_id: str
    ) -> tuple[Project, ProjectPools, Agent, AgentLoad]:
        project = self._project(w, project_id)
        self._member(w, project)
        pools = self._pools(w, project)
        me = w.actor.user.id
        agent = Agent(me, w.uow.dispatch.agent_filter(w.org, project.id, me))
        rules = project.rules
        if rules.max_claims_per_hour is None and rules.max_claims_per_day is None:
            # No cap to enforce: reading every claim of the last day would make each
            # "next" cost more as the shift goes on.
            return project, pools, agent, AgentLoad()
        since = w.now - (_HOUR if rules.max_claims_per_day is None else _DAY)
        times = w.uow.dispatch.claim_times(w.org, project.id, me, since)
        return project, pools, agent, AgentLoad.from_claim_times(times, w.now)

    def _next(self, project_id: str) -> Claim | None:
        with self._work(Permission.DISPATCH, "take leads from dispatch") as w:
            project, pools, agent, load = self._context(w, project_id)
            workflow = workflow_of(w.uow, w.org, LEADS)
            choice = w.uow.dispatch.next_choice(
                w.org,
                project.id,
                agent,
                rules=project.rules,
                pools=pools,
                workflow=workflow,
                now=w.now,
                load=load,
                reserve=True,
            )
            if choice is None:
                return None
            # Read through this unit of work: a change committed to the lead from now on
            # makes this claim conflict, and one committed since the index answered shows.
            lead = self._lead(w, choice.lead_id)
            if not self._dispatchable(w, lead, project, workflow):
                raise ConflictError(f"lead {lead.id!r} changed while it was being claimed")
            previous = w.uow.dispatch.lease(w.org, choice.lead_id)
            lease, claim = claim_lead(
                choice, agent.id, rules=project.rules, now=w.now, previous=previous
            )
            w.uow.dispatch.put_lease(
                w.org, lease, expected_token=None if previous is None else previous.token
            )
            w.uow.dispatch.record_claim(w.org, project.id, agent.id, w.now)
            if (
                previous is not None
                and previous.exclusive
                and not previous.released
                and previous.expires_at <= w.now
            ):
                w.emit(
                    ev.LeaseExpired,
                    lead_id=previous.lead_id,
                    agent_id=previous.agent_id,
                    token=previous.token,
                    expired_at=previous.expires_at,
                )
            w.emit(
                ev.LeadClaimed,
                project_id=project.id,
                lead_id=claim.lead_id,
                agent_id=agent.id,
                token=claim.token,
                expires_at=claim.expires_at,
                exclusive=claim.exclusive,
                tier=str(claim.tier),
                rule=str(claim.rule),
                pool_id=claim.pool_id,
            )
            w.uow.commit()
            return attrs.evolve(claim, lead=lead)

    @staticmethod
    def _dispatchable(w: Writer, lead: Lead, project: Project, workflow: Workflow) -> bool:
        """Invariant 5 on the lead as this unit of work reads it."""
        status = lead.status_id
        return not (
            lead.converted
            or lead.do_not_call
            or lead.project_id != project.id
            or (status is not None and (status not in workflow or workflow.is_done(status)))
            or any(w.uow.do_not_call.contains(w.org, phone) for phone in lead.phones)
        )

    def explain(self, project_id: str) -> Explanation:
        """Why the acting agent would get this lead now, or why none (structured and as text)."""
        with self._work(Permission.DISPATCH, "take leads from dispatch") as w:
            project, pools, agent, load = self._context(w, project_id)
            workflow = workflow_of(w.uow, w.org, LEADS)
            candidates = w.uow.dispatch.candidates(w.org, project.id, workflow)
            leases = w.uow.dispatch.leases(w.org, [c.lead_id for c in candidates])
            why = explain(
                candidates,
                dict(leases),
                agent,
                project.rules,
                pools,
                now=w.now,
                load=load,
                agent_name=w.actor.user.name,
            )
            if why.choice is None:
                return why
            # The lead's name for the text; the lead itself is the agent's to see once claimed.
            lead = w.uow.leads.get(w.org, why.choice.lead_id)
            return attrs.evolve(why, lead_name=None if lead is None else lead.name)

    # -- work under a claim ---------------------------------------------------------

    def _fenced(
        self,
        permission: Permission,
        action: str,
        lead_id: str,
        token: int,
        write: Callable[[Writer, _Held], tuple[R, Lease]],
        *,
        same_lead: bool = False,
    ) -> R:
        """Run ``write`` under the claim ``token`` on ``lead_id``, fenced at commit.

        The one path of every write made under a claim. The lead is looked up as
        the caller may see it (an invisible lead is answered like a missing one),
        the token is checked against the lease, and ``write`` stages its changes
        and says which lease to keep. That lease is then written back with
        compare-and-set on the record as checked, in the same unit of work: a
        claim (or any other write of the lease) committed since the check makes
        the commit conflict and write nothing. The use case then runs again,
        and its check answers ``LeaseLost`` when the token has gone; with
        ``same_lead``, a lead changed meanwhile answers ``ConflictError`` instead
        of being written again from its new state.
        """
        if isinstance(token, bool) or not isinstance(token, int):
            raise ValidationError(
                f"cannot {action}", [f"token: must be a whole number, got {token!r}"]
            )
        seen: list[int] = []
        for attempt in range(_FENCE_ATTEMPTS):
            try:
                with self._work(permission, action) as w:
                    lead = visible_lead(w.uow, w.actor, lead_id)
                    if same_lead and seen and seen[0] != lead.version:
                        raise _LeadMoved(
                            f"lead {lead_id!r} was changed by another unit of work; "
                            "nothing was written"
                        )
                    seen.append(lead.version)
                    lease = check_token(
                        w.uow.dispatch.lease(w.org, lead_id),
                        lead_id=lead_id,
                        agent_id=w.actor.user.id,
                        token=token,
                        now=w.now,
                    )
                    result, kept = write(w, _Held(lead, lease, self._rules_of(w, lead)))
                    w.uow.dispatch.put_lease(w.org, kept, expected_token=lease.token)
                    w.uow.commit()
                    return result
            except _LeadMoved as moved:
                raise ConflictError(str(moved)) from None
            except ConflictError:
                if attempt == _FENCE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def lease(self, lead_id: str) -> Lease | None:
        """The lead's current lease record (who holds it and until when)."""
        with self._work(None, "") as w:
            visible_lead(w.uow, w.actor, lead_id)
            return w.uow.dispatch.lease(w.org, lead_id)

    def log_call(
        self, lead_id: str, token: int, *, outcome: str | None = None, note: str | None = None
    ) -> Lease:
        """Record a call under a claim: history, attempts, last contact; lock for the window again.

        Raises :class:`~leadcore.errors.LeaseLost` (writing nothing) when the
        token is not a live claim of the acting agent at commit, and
        :class:`~leadcore.errors.ValidationError` (writing nothing) for a call
        without a note in a project that forces notes
        (``force_notes_on_status_change``: no status set and no action
        finished without a note).
        """

        def write(w: Writer, held: _Held) -> tuple[Lease, Lease]:
            lead, lease, project = held
            writable(lead)
            forced = project is not None and project.rules.force_notes_on_status_change
            if forced and (note is None or not note.strip()):
                assert project is not None
                raise ValidationError(
                    "a note is required",
                    [
                        f"note: project {project.name!r} forces notes "
                        "(force_notes_on_status_change): log the call with a note"
                    ],
                    ids={"project_id": project.id, "lead_id": lead.id},
                )
            new_lease = lease
            if project is not None:
                new_lease = extend_after_call(
                    lease,
                    lead_id=lead_id,
                    agent_id=w.actor.user.id,
                    token=token,
                    rules=project.rules,
                    now=w.now,
                )
            moved = w.save(
                lead, attrs.evolve(lead, attempts=lead.attempts + 1, last_contact_at=w.now)
            )
            text = outcome if note is None else (f"{outcome}: {note}" if outcome else note)
            w.history(lead, HistoryKind.CALL, text=text)
            if note and not note.isspace():
                w.note(lead, note.strip())
            w.emit(
                ev.CallLogged,
                lead_id=lead.id,
                agent_id=w.actor.user.id,
                token=token,
                attempts=moved.attempts,
                outcome=outcome,
                expires_at=new_lease.expires_at,
            )
            return new_lease, new_lease

        return self._fenced(Permission.DISPATCH, "log calls", lead_id, token, write)

    def renew(self, lead_id: str, token: int) -> Lease:
        """Extend a valid claim to now plus the lock window (``LeaseLost`` if it is not valid)."""

        def write(w: Writer, held: _Held) -> tuple[Lease, Lease]:
            lead, lease, project = held
            if project is None:
                return lease, lease
            renewed = renew_lease(
                lease,
                lead_id=lead.id,
                agent_id=w.actor.user.id,
                token=token,
                rules=project.rules,
                now=w.now,
            )
            return renewed, renewed

        return self._fenced(Permission.DISPATCH, "renew claims", lead_id, token, write)

    def release(self, lead_id: str, token: int) -> None:
        """Give the lead back now (``LeaseLost`` if the token is no longer valid).

        With a lock window of 0, only the acting agent's claim ends: other
        agents' claims on the lead stay valid.
        """

        def write(w: Writer, held: _Held) -> tuple[None, Lease]:
            lead, lease, _ = held
            released = release_lease(
                lease, lead_id=lead.id, agent_id=w.actor.user.id, token=token, now=w.now
            )
            w.emit(ev.LeaseReleased, lead_id=lead.id, agent_id=w.actor.user.id, token=token)
            return None, released

        self._fenced(Permission.DISPATCH, "release claims", lead_id, token, write)

    def change_status(
        self,
        lead_id: str,
        token: int,
        status_id: str,
        *,
        note: str | None = None,
        task: TaskDraft | None = None,
    ) -> Lead:
        """Change a claimed lead's status, after checking the claim's token.

        The same checks as :meth:`LeadsService.change_status
        <leadcore.services.leads.LeadsService.change_status>` apply, plus the
        token: ``LeaseLost`` and nothing written when it is not a live claim of
        the acting agent at commit.
        """

        def write(w: Writer, held: _Held) -> tuple[Lead, Lease]:
            lead, lease, project = held
            moved = change_status(
                w,
                lead,
                workflow_of(w.uow, w.org, LEADS),
                status_id,
                note=note,
                task=task,
                rules=project.rules if project else project_rules(w.uow, lead),
            )
            return moved, lease

        return self._fenced(
            Permission.CHANGE_STATUS, "change lead statuses", lead_id, token, write, same_lead=True
        )

    def add_note(self, lead_id: str, token: int, text: str) -> Note:
        """Write a note on a claimed lead, after checking the claim's token.

        ``LeaseLost`` and nothing written when the token is not a live claim
        of the acting agent at commit.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("cannot add the note", ["text: must not be blank"])

        def write(w: Writer, held: _Held) -> tuple[Note, Lease]:
            lead, lease, _ = held
            writable(lead)
            note = w.note(lead, text.strip())
            w.history(lead, HistoryKind.NOTE, note_id=note.id, text=note.text)
            return note, lease

        return self._fenced(Permission.EDIT_LEADS, "add notes", lead_id, token, write)


class _Held(NamedTuple):
    """A lead under a claim, as one attempt of a fenced write read it."""

    lead: Lead
    lease: Lease
    project: Project | None


class _LeadMoved(ConflictError):
    """The lead changed between two attempts of a write that must not re-apply to it."""
