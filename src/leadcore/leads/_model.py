"""Lead records and what hangs off them: notes, tasks, history entries."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType

import attrs

__all__ = [
    "FieldValue",
    "HistoryEntry",
    "HistoryKind",
    "Lead",
    "Note",
    "Source",
    "Task",
    "TaskDraft",
    "TaskKind",
]

#: The value of a custom field.
FieldValue = str | int | float | bool | date | None


def _tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _fields(value: Mapping[str, FieldValue]) -> Mapping[str, FieldValue]:
    # Read-only: the memory store hands out the very record it keeps.
    return MappingProxyType(dict(value))


@attrs.frozen
class Source:
    """Where a lead came from: a supplier organisation and/or a channel (e.g. ``"facebook"``)."""

    supplier_id: str | None = None
    """The supplier organisation the lead came from, if any."""
    channel: str | None = None
    """The channel it came through, such as ``"facebook"``, if known."""


@attrs.frozen(hash=False)
class Lead:
    """A prospect an organisation works towards a sale.

    ``status_id`` is ``None`` until the lead takes its first status;
    ``workflow_version`` is the version of the organisation's lead workflow it
    was last moved under. ``version`` counts every change, for optimistic
    concurrency (``expected_version``). A lead with a ``conversion_id`` is
    converted and read-only by policy.
    """

    id: str
    """The lead's id, unique in its organisation."""
    organization_id: str
    """The organisation the lead belongs to."""
    name: str
    """The person's name, as given."""
    created_at: datetime
    """When the lead was created."""
    updated_at: datetime
    """When the lead itself last changed."""
    phones: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Phone numbers in E.164 form (``+972501234567``)."""
    emails: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """E-mail addresses, normalised (trimmed, lower case)."""
    source: Source = attrs.field(factory=Source)
    """Where the lead came from: supplier and channel."""
    project_id: str | None = None
    """The project (campaign) the lead belongs to, if any."""
    fields: Mapping[str, FieldValue] = attrs.field(factory=dict, converter=_fields)
    """Custom fields, typed by the organisation's field definitions."""
    status_id: str | None = None
    """The current status in the organisation's lead workflow; ``None`` before the first."""
    workflow_version: int | None = None
    """The workflow version the lead was last moved under."""
    assignee_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """The users the lead is assigned (routed) to."""
    last_contact_at: datetime | None = None
    """When a call to the lead was last logged, if ever."""
    attempts: int = 0
    """How many calls were logged for the lead."""
    version: int = 1
    """Counts every change of the lead, for ``expected_version``."""
    duplicate_of: str | None = None
    """The earlier lead this one duplicates, when intake flagged it."""
    do_not_call: bool = False
    """A phone number of the lead is on the organisation's do-not-call list."""
    conversion_id: str | None = None
    """The conversion that made the lead read-only, while it stands."""
    pool_id: str | None = None
    """The dispatch pool the lead belongs to, if any."""

    @property
    def converted(self) -> bool:
        """Whether the lead has been converted."""
        return self.conversion_id is not None


@attrs.frozen
class Note:
    """A note written on a lead."""

    id: str
    """The note's id."""
    organization_id: str
    """The organisation the note belongs to."""
    lead_id: str
    """The lead the note is on."""
    author_id: str
    """The user who wrote it."""
    text: str
    """What was written."""
    created_at: datetime
    """When it was written."""


class TaskKind(enum.StrEnum):
    """A plain task, or a callback that makes the lead due for dispatch at its time."""

    TASK = "task"
    CALLBACK = "callback"


@attrs.frozen
class TaskDraft:
    """What a user gives to create a task (e.g. the one a status requires).

    ``due_in`` is an alternative to ``due_at``, counted from the time of the
    change. The assignee defaults to the acting user.
    """

    title: str
    """What is to be done."""
    due_at: datetime | None = None
    """When it is due."""
    due_in: timedelta | None = None
    """When it is due, counted from the time of the change."""
    assignee_id: str | None = None
    """Who should do it; default: the acting user."""
    kind: TaskKind = TaskKind.TASK
    """A plain task, or a callback (see :class:`TaskKind`)."""


@attrs.frozen
class Task:
    """A task or reminder on a lead, assigned to one user."""

    id: str
    """The task's id."""
    organization_id: str
    """The organisation the task belongs to."""
    lead_id: str
    """The lead the task is on."""
    title: str
    """What is to be done."""
    due_at: datetime
    """When it is due; reminders fall due then."""
    assignee_id: str
    """The user who should do it."""
    created_by: str
    """The user who created it."""
    created_at: datetime
    """When it was created."""
    kind: TaskKind = TaskKind.TASK
    """A plain task, or a callback that makes the lead due for dispatch."""
    for_status: str | None = None
    """The status whose requirement created the task, if any."""
    completed_at: datetime | None = None
    """When it was completed; ``None`` while it is open."""
    completed_by: str | None = None
    """Who completed it."""

    @property
    def done(self) -> bool:
        """Whether the task is completed."""
        return self.completed_at is not None


class HistoryKind(enum.StrEnum):
    """What a history entry records."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    MIGRATED = "migrated"
    NOTE = "note"
    TASK_CREATED = "task_created"
    TASK_COMPLETED = "task_completed"
    ASSIGNED = "assigned"
    CALL = "call"
    UPDATED = "updated"
    CONVERTED = "converted"
    UNCONVERTED = "unconverted"


@attrs.frozen
class HistoryEntry:
    """One thing that happened to a lead, who did it and when.

    Status changes carry ``from_status`` and ``to_status``; a note or task made
    with the change is linked by ``note_id`` / ``task_id``.
    """

    id: str
    """The entry's id."""
    organization_id: str
    """The organisation the entry belongs to."""
    lead_id: str
    """The lead it is about."""
    kind: HistoryKind
    """What happened."""
    at: datetime
    """When it happened."""
    actor_id: str
    """The user who did it."""
    from_status: str | None = None
    """For a status change: the status before (``None`` from no status)."""
    to_status: str | None = None
    """For a status change: the status after."""
    note_id: str | None = None
    """The note written with the change, if any."""
    task_id: str | None = None
    """The task created with the change, if any."""
    text: str | None = None
    """A short readable detail (a note's text, a call outcome, a reason)."""
