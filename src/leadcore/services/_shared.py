"""What every service shares: the acting user, one unit of work per call, events, look-ups.

The one way a use case opens its unit of work is :class:`Work` (a :class:`Writer`
inside); the shared look-ups (the lead in the actor's scope, the workflow, the
settings, the project rules) are plain functions of a unit of work, so services
never reach into one another.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, TypeVar

import attrs

from leadcore import events as ev
from leadcore._limits import datetime_problem, duration_problem
from leadcore._tracing import SpanLike, use_case_span
from leadcore.clock import Clock
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ConflictError, Forbidden, LeadConverted, NotFound, ValidationError
from leadcore.events._model import Event
from leadcore.ids import IdFactory
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import HistoryEntry, HistoryKind, Lead, Note, Task, TaskDraft
from leadcore.leads._query import Scope
from leadcore.storage.protocols import Storage, UnitOfWork
from leadcore.tenancy import Permission, RolePolicy, User, effective_permissions
from leadcore.workflow import Workflow

__all__ = [
    "LEADS",
    "Actor",
    "ServiceContext",
    "Work",
    "Writer",
    "check_version",
    "lead_scope",
    "lead_settings",
    "project_rules",
    "read_only",
    "record_event",
    "recording_events",
    "retry_on_conflict",
    "user_problem",
    "visible_lead",
    "workflow_of",
    "writable",
]

#: The workflow slot of lead statuses.
LEADS = "leads"

EV = TypeVar("EV", bound=Event)
R = TypeVar("R")

logger = logging.getLogger(__name__)


def retry_on_conflict(run: Callable[[], R], attempts: int) -> R:
    """Run a use case, again after a ``ConflictError`` (which wrote nothing), up to ``attempts``.

    For use cases whose conflicts are races worth retrying (two intakes of the
    same number, two agents shown the same lead), never for a caller's stale
    ``expected_version``.
    """
    for attempt in range(attempts):
        try:
            return run()
        except ConflictError as exc:
            if attempt == attempts - 1:
                logger.info(
                    "conflict after %d attempts, giving up: %s",
                    attempts,
                    exc,
                    extra={"attempt": attempt + 1, "attempts": attempts},
                )
                raise
            logger.debug(
                "conflict on attempt %d of %d, running again: %s",
                attempt + 1,
                attempts,
                exc,
                extra={"attempt": attempt + 1, "attempts": attempts},
            )
    raise AssertionError("unreachable")  # pragma: no cover


_recorded: ContextVar[set[str] | None] = ContextVar("leadcore_recorded_events", default=None)


@contextmanager
def recording_events() -> Iterator[set[str]]:
    """Collect the organisations :func:`record_event` records events for inside the block.

    What a delivery after the block needs to look at: the outbox heads of
    these organisations only, rather than of every organisation (on Citus, a
    query to every shard). Blocks nest; each collects its own.
    """
    found: set[str] = set()
    token = _recorded.set(found)
    try:
        yield found
    finally:
        _recorded.reset(token)


def record_event(
    uow: UnitOfWork,
    ids: IdFactory,
    cls: type[EV],
    *,
    organization_id: str,
    actor_id: str | None,
    now: datetime,
    **fields: Any,
) -> EV:
    """Build an event and record it in ``uow`` (it is committed with the change, or not at all)."""
    event = cls(
        event_id=ids.new("evt"),
        organization_id=organization_id,
        occurred_at=now,
        actor_id=actor_id,
        **fields,
    )
    uow.events.record(event)
    recording = _recorded.get()
    if recording is not None:
        recording.add(organization_id)
    return event


@attrs.frozen
class Actor:
    """The acting user as of this unit of work, with their effective permissions."""

    user: User
    permissions: frozenset[Permission]

    @property
    def organization_id(self) -> str:
        """The organisation the user acts in."""
        return self.user.organization_id

    @property
    def restricted(self) -> bool:
        """Whether the user may only move leads to next stages."""
        return Permission.RESTRICT_TO_NEXT_STAGES in self.permissions

    def has(self, permission: Permission) -> bool:
        """Whether the user holds ``permission``."""
        return permission in self.permissions

    def require(self, permission: Permission, action: str) -> None:
        """Raise :class:`~leadcore.errors.Forbidden` unless the user holds ``permission``."""
        if permission not in self.permissions:
            raise Forbidden(
                f"user {self.user.name!r} ({self.user.role}) may not {action}: "
                f"it needs the '{permission}' permission",
                permission=str(permission),
            )


@attrs.frozen
class ServiceContext:
    """Wiring shared by the services of one session."""

    storage: Storage
    clock: Clock
    ids: IdFactory
    user_id: str
    organization_id: str
    after_commit: Callable[[Collection[str]], object] | None = None
    """Called after every use case that ended without an error (event delivery), with the
    organisations the use case recorded events for."""

    def now(self) -> datetime:
        """Read the clock (once per use case)."""
        return self.clock.now()

    def actor(self, uow: UnitOfWork) -> Actor:
        """Load the acting user inside ``uow``; ``Forbidden`` if they were deactivated."""
        user = uow.users.get(self.organization_id, self.user_id)
        if user is None:
            raise NotFound("user", self.user_id)
        if not user.active:
            raise Forbidden(f"user {user.name!r} is inactive")
        policy = uow.role_policies.get(self.organization_id) or RolePolicy.default()
        return Actor(user, effective_permissions(user, policy))

    @contextmanager
    def _open(
        self, permission: Permission | None = None, action: str = ""
    ) -> Iterator[tuple[UnitOfWork, Actor]]:
        """Open a unit of work, load the actor and check ``permission`` (through :class:`Work`).

        The caller commits; anything not committed is rolled back.
        """
        with recording_events() as touched, self.storage.unit_of_work() as uow:
            actor = self.actor(uow)
            if permission is not None:
                actor.require(permission, action)
            yield uow, actor
        if self.after_commit is not None:
            self.after_commit(touched)

    def record(
        self, uow: UnitOfWork, actor: Actor, now: datetime, cls: type[EV], **fields: Any
    ) -> EV:
        """Record an event of this organisation, caused by ``actor``, in ``uow``."""
        return record_event(
            uow,
            self.ids,
            cls,
            organization_id=self.organization_id,
            actor_id=actor.user.id,
            now=now,
            **fields,
        )


class Writer:
    """The acting user, the instant and the unit of work of one use case."""

    def __init__(self, ctx: ServiceContext, uow: UnitOfWork, actor: Actor, now: datetime) -> None:
        self.ctx = ctx
        self.uow = uow
        self.actor = actor
        self.now = now

    @property
    def org(self) -> str:
        """The organisation id."""
        return self.actor.organization_id

    def emit(self, cls: type[EV], **fields: Any) -> EV:
        """Record a domain event of this use case (committed with it, or not at all)."""
        return self.ctx.record(self.uow, self.actor, self.now, cls, **fields)

    def history(self, lead: Lead, kind: HistoryKind, **values: str | None) -> HistoryEntry:
        """Write a history entry on ``lead``."""
        entry = HistoryEntry(
            id=self.ctx.ids.new("hist"),
            organization_id=self.org,
            lead_id=lead.id,
            kind=kind,
            at=self.now,
            actor_id=self.actor.user.id,
            **values,
        )
        self.uow.history.add(entry)
        return entry

    def task(self, lead: Lead, draft: TaskDraft, for_status: str | None = None) -> Task:
        """Create a task from a draft; the assignee must be an active user of the organisation."""
        assignee, due = self.checked_task(draft)
        task = Task(
            id=self.ctx.ids.new("task"),
            organization_id=self.org,
            lead_id=lead.id,
            title=draft.title.strip(),
            due_at=due,
            assignee_id=assignee,
            created_by=self.actor.user.id,
            created_at=self.now,
            kind=draft.kind,
            for_status=for_status,
        )
        self.uow.tasks.add(task)
        self.history(lead, HistoryKind.TASK_CREATED, task_id=task.id, text=task.title)
        self.emit(
            ev.TaskCreated,
            lead_id=lead.id,
            task_id=task.id,
            title=task.title,
            due_at=task.due_at,
            assignee_id=task.assignee_id,
            kind=str(task.kind),
        )
        return task

    def checked_task(self, draft: TaskDraft) -> tuple[str, datetime]:
        """Check a task draft: its assignee (an active user of the organisation) and due time."""
        problems = []
        if not isinstance(draft.title, str) or not draft.title.strip():
            problems.append("task.title: must not be blank")
        if draft.due_at is not None and draft.due_in is not None:
            problems.append("task: give due_at or due_in, not both")
        if draft.due_at is not None and draft.due_at.tzinfo is None:
            problems.append("task.due_at: must be timezone-aware")
        problems.extend(
            p
            for p in (
                datetime_problem(draft.due_at, "task.due_at"),
                duration_problem(draft.due_in, "task.due_in"),
            )
            if p is not None
        )
        if problems:
            raise ValidationError("invalid task", problems)
        assignee = draft.assignee_id or self.actor.user.id
        user = self.uow.users.get(self.org, assignee)
        if user is None or not user.active:
            raise NotFound("user", assignee)
        due = draft.due_at or (self.now + draft.due_in if draft.due_in is not None else self.now)
        return assignee, due

    def note(self, lead: Lead, text: str) -> Note:
        """Write a note on ``lead``."""
        note = Note(
            id=self.ctx.ids.new("note"),
            organization_id=self.org,
            lead_id=lead.id,
            author_id=self.actor.user.id,
            text=text,
            created_at=self.now,
        )
        self.uow.notes.add(note)
        self.emit(ev.NoteAdded, lead_id=lead.id, note_id=note.id, text=note.text)
        return note

    def save(self, old: Lead, new: Lead) -> Lead:
        """Store ``new`` over ``old`` (compare-and-set), bumping version and update time."""
        new = attrs.evolve(new, version=old.version + 1, updated_at=self.now)
        self.uow.leads.update(new, expected_version=old.version)
        return new


class Work:
    """Context manager: a unit of work with the actor loaded and the clock read once."""

    def __init__(self, ctx: ServiceContext, permission: Permission | None, action: str) -> None:
        self._ctx = ctx
        self._permission = permission
        self._action = action
        self._cm = ctx._open(permission, action)
        self._span: AbstractContextManager[SpanLike] | None = None

    def __enter__(self) -> Writer:
        span = use_case_span(self._action)
        current = span.__enter__()
        self._span = span
        try:
            uow, actor = self._cm.__enter__()
        except BaseException as exc:
            self._span = None
            span.__exit__(type(exc), exc, exc.__traceback__)
            raise
        current.set_attribute("leadcore.organization_id", actor.organization_id)
        return Writer(self._ctx, uow, actor, self._ctx.now())

    def __exit__(self, *exc: object) -> None:
        try:
            self._cm.__exit__(*exc)  # type: ignore[arg-type]
        finally:
            if self._span is not None:
                span, self._span = self._span, None
                span.__exit__(*exc)  # type: ignore[arg-type]


# -- shared look-ups: plain functions of a unit of work ------------------------------


def lead_settings(uow: UnitOfWork, org: str) -> LeadSettings:
    """The organisation's intake settings (the defaults until it saves its own)."""
    return uow.lead_settings.get(org) or LeadSettings()


def workflow_of(uow: UnitOfWork, org: str, kind: str = LEADS) -> Workflow:
    """The organisation's current workflow of ``kind``; ``NotFound`` if it has none."""
    wf = uow.workflows.get(org, kind)
    if wf is None:
        raise NotFound(f"{kind} workflow", kind)
    return wf


def lead_scope(uow: UnitOfWork, actor: Actor) -> Scope | None:
    """The leads ``actor`` may see (``None``: all of the organisation's)."""
    if actor.has(Permission.SEE_ALL_LEADS):
        return None
    projects: frozenset[str] = frozenset()
    if actor.has(Permission.SEE_CAMPAIGN_LEADS):
        projects = frozenset(
            p.id for p in uow.projects.list(actor.organization_id) if actor.user.id in p.member_ids
        )
    assignee = actor.user.id if actor.has(Permission.SEE_ROUTED_LEADS) else None
    return Scope(project_ids=projects, assignee_id=assignee)


def visible_lead(uow: UnitOfWork, actor: Actor, lead_id: str) -> Lead:
    """The lead ``lead_id`` if ``actor`` may see it; ``NotFound`` otherwise (absent or hidden)."""
    lead = uow.leads.get(actor.organization_id, lead_id)
    if lead is None:
        raise NotFound("lead", lead_id)
    scope = lead_scope(uow, actor)
    if scope is not None and not scope.allows(lead):
        raise NotFound("lead", lead_id)  # invisible is answered like absent
    return lead


def user_problem(w: Writer, user_id: object, where: str) -> str | None:
    """What is wrong with ``user_id`` as an owner: it must be an active user of the organisation.

    ``None`` (no owner) is fine; a value that is not text is named by its type.
    The one owner check of accounts and opportunities, at creation and update.
    """
    if user_id is None:
        return None
    if not isinstance(user_id, str):
        return f"{where}: expected text, got {type(user_id).__name__}"
    user = w.uow.users.get(w.org, user_id)
    if user is None or not user.active:
        return f"{where}: {user_id!r} is not an active user of the organisation"
    return None


def project_rules(uow: UnitOfWork, lead: Lead) -> ProjectRules:
    """The rules of the lead's project (the defaults for a lead outside projects)."""
    if lead.project_id is None:
        return ProjectRules()
    project = uow.projects.get(lead.organization_id, lead.project_id)
    return ProjectRules() if project is None else project.rules


def check_version(lead: Lead, expected_version: int | None) -> None:
    """``ConflictError`` unless the lead is at ``expected_version`` (``None``: any)."""
    if expected_version is not None and lead.version != expected_version:
        raise ConflictError(
            f"lead {lead.name!r} is at version {lead.version}, not {expected_version}: "
            "it was changed meanwhile",
            ids={"lead_id": lead.id},
        )


def read_only(lead: Lead) -> LeadConverted:
    """The error that a change to a converted lead raises (it names the lead by name)."""
    return LeadConverted(f"lead {lead.name!r} is converted and read-only", ids={"lead_id": lead.id})


def writable(lead: Lead) -> None:
    """``LeadConverted`` if the lead is converted (read-only by policy)."""
    if lead.converted:
        raise read_only(lead)
