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
    channel: str | None = None


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
    organization_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    phones: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """Phone numbers in E.164 form (``+972501234567``)."""
    emails: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """E-mail addresses, normalised (trimmed, lower case)."""
    source: Source = attrs.field(factory=Source)
    project_id: str | None = None
    fields: Mapping[str, FieldValue] = attrs.field(factory=dict, converter=_fields)
    """Custom fields, typed by the organisation's field definitions."""
    status_id: str | None = None
    workflow_version: int | None = None
    assignee_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    last_contact_at: datetime | None = None
    attempts: int = 0
    version: int = 1
    duplicate_of: str | None = None
    """The earlier lead this one duplicates, when intake flagged it."""
    do_not_call: bool = False
    """A phone number of the lead is on the organisation's do-not-call list."""
    conversion_id: str | None = None
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
    organization_id: str
    lead_id: str
    author_id: str
    text: str
    created_at: datetime


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
    due_at: datetime | None = None
    due_in: timedelta | None = None
    assignee_id: str | None = None
    kind: TaskKind = TaskKind.TASK


@attrs.frozen
class Task:
    """A task or reminder on a lead, assigned to one user."""

    id: str
    organization_id: str
    lead_id: str
    title: str
    due_at: datetime
    assignee_id: str
    created_by: str
    created_at: datetime
    kind: TaskKind = TaskKind.TASK
    for_status: str | None = None
    """The status whose requirement created the task, if any."""
    completed_at: datetime | None = None
    completed_by: str | None = None

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
    organization_id: str
    lead_id: str
    kind: HistoryKind
    at: datetime
    actor_id: str
    from_status: str | None = None
    to_status: str | None = None
    note_id: str | None = None
    task_id: str | None = None
    text: str | None = None
    """A short readable detail (a note's text, a call outcome, a reason)."""
