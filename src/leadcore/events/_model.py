"""Typed, immutable domain events: what happened, in which organisation, by whom, when.

Every event serialises to JSON with a stable envelope::

    {"type": "lead.status_changed", "schema": 1, "event_id": "...",
     "organization_id": "...", "occurred_at": "2026-01-01T09:00:00+00:00",
     "actor_id": "...", "data": {...}}

``data`` holds the event's own fields. New fields may be added to ``data`` in
later versions of the same ``schema``; a field is only ever removed or changed
in meaning with a new ``schema`` number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import ClassVar, TypeVar

import attrs

__all__ = [
    "EVENT_TYPES",
    "SCHEMA",
    "ActivityCancelled",
    "ActivityRescheduled",
    "ActivityScheduled",
    "ActivityStatusChanged",
    "ActivityUpdated",
    "CalendarSettingsChanged",
    "DeliveryAccepted",
    "DeliveryRejected",
    "DeliveryReturned",
    "DoNotCallChanged",
    "EmailLogged",
    "Event",
    "ForwardingSettingsChanged",
    "GroupChanged",
    "LeadAssigned",
    "LeadCreated",
    "LeadDuplicateFlagged",
    "LeadForwarded",
    "LeadImported",
    "LeadRouted",
    "LeadSettingsChanged",
    "LeadUnconverted",
    "LeadUpdated",
    "LeadWasConverted",
    "LeaseExpired",
    "LeaseReleased",
    "NoteAdded",
    "OrganizationCreated",
    "OrganizationUpgraded",
    "PartnerAdded",
    "PartnershipChanged",
    "PoolsChanged",
    "ProjectChanged",
    "RolePermissionsChanged",
    "StatusChanged",
    "StoredEvent",
    "TaskCompleted",
    "TaskCreated",
    "UserAdded",
    "UserChanged",
    "WorkflowPublished",
    "event_type",
]

#: The envelope schema version.
SCHEMA = 1

#: Every event class by its type name (``"lead.status_changed"``).
EVENT_TYPES: dict[str, type[Event]] = {}

EV = TypeVar("EV", bound="Event")


def event_type(name: str) -> Callable[[type[EV]], type[EV]]:
    """Class decorator: register an event class under its stable type name."""

    def register(cls: type[EV]) -> type[EV]:
        if name in EVENT_TYPES:
            raise ValueError(f"event type {name!r} is registered twice")
        cls.type = name
        EVENT_TYPES[name] = cls
        return cls

    return register


def _tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Event:
    """What every event carries."""

    type: ClassVar[str] = "event"

    event_id: str
    """Unique; use it as the idempotency key of at-least-once delivery."""
    organization_id: str
    """The only organisation that ever sees this event."""
    occurred_at: datetime
    actor_id: str | None
    """The user who caused it (``None`` for the system)."""


@event_type("organization.created")
@attrs.frozen(kw_only=True)
class OrganizationCreated(Event):
    """An organisation was created, with its first user."""

    name: str
    kind: str
    admin_id: str
    created_by: str | None = None


@event_type("organization.upgraded")
@attrs.frozen(kw_only=True)
class OrganizationUpgraded(Event):
    """A basic organisation became a full one and now manages its own users alone.

    Recorded in the upgraded organisation and in the organisation that
    created it (which from then on has no say over it).
    """

    upgraded_id: str
    """The organisation that became full."""
    created_by: str | None = None
    """The organisation that had created it as a basic account."""


@event_type("user.added")
@attrs.frozen(kw_only=True)
class UserAdded(Event):
    """A user was added to the organisation."""

    user_id: str
    name: str
    role: str


@event_type("user.changed")
@attrs.frozen(kw_only=True)
class UserChanged(Event):
    """A user's role, permissions or active flag changed."""

    user_id: str
    change: str
    """``role``, ``permissions``, ``deactivated`` or ``activated``."""
    role: str
    active: bool


@event_type("role.permissions_changed")
@attrs.frozen(kw_only=True)
class RolePermissionsChanged(Event):
    """What a role may do in this organisation changed; ``permissions`` is the new set."""

    role: str
    permissions: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("group.changed")
@attrs.frozen(kw_only=True)
class GroupChanged(Event):
    """A group of users was created, changed its members, or was deleted."""

    group_id: str
    name: str
    change: str
    """``created``, ``members`` or ``deleted``."""
    member_ids: tuple[str, ...] = attrs.field(converter=_tuple)
    """The members after the change (before it, for ``deleted``)."""


@event_type("partner.added")
@attrs.frozen(kw_only=True)
class PartnerAdded(Event):
    """A partner organisation was linked (this organisation's view of it)."""

    partnership_id: str
    partner_id: str
    partner_name: str
    kind: str


@event_type("partnership.changed")
@attrs.frozen(kw_only=True)
class PartnershipChanged(Event):
    """A partnership was deactivated or activated."""

    partnership_id: str
    partner_id: str
    active: bool


@event_type("workflow.published")
@attrs.frozen(kw_only=True)
class WorkflowPublished(Event):
    """A new version of a workflow was published."""

    kind: str
    workflow_id: str
    version: int
    migrated_leads: int = 0


@event_type("project.changed")
@attrs.frozen(kw_only=True)
class ProjectChanged(Event):
    """A project was created or changed."""

    project_id: str
    name: str
    created: bool


@event_type("settings.changed")
@attrs.frozen(kw_only=True)
class LeadSettingsChanged(Event):
    """The organisation's lead intake settings changed; ``fields`` names which."""

    fields: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("do_not_call.changed")
@attrs.frozen(kw_only=True)
class DoNotCallChanged(Event):
    """A phone number (E.164) was put on or taken off the do-not-call list."""

    number: str
    blocked: bool


@event_type("lead.created")
@attrs.frozen(kw_only=True)
class LeadCreated(Event):
    """A lead was created (one by one or by an import)."""

    lead_id: str
    name: str
    phones: tuple[str, ...] = attrs.field(converter=_tuple)
    emails: tuple[str, ...] = attrs.field(converter=_tuple)
    channel: str | None = None
    supplier_id: str | None = None
    project_id: str | None = None
    duplicate_of: str | None = None
    do_not_call: bool = False


@event_type("lead.imported")
@attrs.frozen(kw_only=True)
class LeadImported(Event):
    """An import finished: how many rows of each outcome."""

    rows: int
    created: int
    duplicates: int
    blacklisted: int
    invalid: int


@event_type("lead.duplicate_flagged")
@attrs.frozen(kw_only=True)
class LeadDuplicateFlagged(Event):
    """A new lead was flagged as a duplicate of an earlier one."""

    lead_id: str
    duplicate_of: str


@event_type("lead.status_changed")
@attrs.frozen(kw_only=True)
class StatusChanged(Event):
    """A lead moved from one status to another (also by migration or un-conversion)."""

    lead_id: str
    from_status: str | None
    to_status: str | None
    workflow_version: int | None
    reason: str = "change"
    """``change``, ``migration``, ``conversion`` or ``unconversion``."""
    note_id: str | None = None
    task_id: str | None = None


@event_type("lead.note_added")
@attrs.frozen(kw_only=True)
class NoteAdded(Event):
    """A note was written on a lead."""

    lead_id: str
    note_id: str
    text: str


@event_type("lead.task_created")
@attrs.frozen(kw_only=True)
class TaskCreated(Event):
    """A task or callback was created on a lead."""

    lead_id: str
    task_id: str
    title: str
    due_at: datetime
    assignee_id: str
    kind: str


@event_type("lead.task_completed")
@attrs.frozen(kw_only=True)
class TaskCompleted(Event):
    """A task was completed."""

    lead_id: str
    task_id: str


@event_type("lead.assigned")
@attrs.frozen(kw_only=True)
class LeadAssigned(Event):
    """A lead's assignees changed."""

    lead_id: str
    assignee_ids: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("lead.updated")
@attrs.frozen(kw_only=True)
class LeadUpdated(Event):
    """A lead's details changed; ``fields`` names which."""

    lead_id: str
    fields: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("lead.converted")
@attrs.frozen(kw_only=True)
class LeadWasConverted(Event):
    """A lead was converted.

    The event of a conversion; the error raised when a converted lead is
    changed is :class:`leadcore.errors.LeadConverted`.
    """

    lead_id: str
    conversion_id: str
    contact_id: str
    account_id: str
    account_created: bool
    opportunity_id: str | None


@event_type("lead.unconverted")
@attrs.frozen(kw_only=True)
class LeadUnconverted(Event):
    """A conversion was undone."""

    lead_id: str
    conversion_id: str
    reason: str


@attrs.frozen
class StoredEvent:
    """An event with its position in its organisation's commit order (1, 2, 3...)."""

    position: int
    event: Event


@event_type("dispatch.pools_changed")
@attrs.frozen(kw_only=True)
class PoolsChanged(Event):
    """A project's pools or their priority order changed."""

    project_id: str
    pool_ids: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("dispatch.claimed")
@attrs.frozen(kw_only=True)
class LeadClaimed(Event):
    """An agent was handed a lead by dispatch."""

    project_id: str
    lead_id: str
    agent_id: str
    token: int
    expires_at: datetime
    exclusive: bool
    tier: str
    rule: str
    pool_id: str


@event_type("dispatch.called")
@attrs.frozen(kw_only=True)
class CallLogged(Event):
    """A call was logged under a claim; the lead stays locked for the window from now."""

    lead_id: str
    agent_id: str
    token: int
    attempts: int
    outcome: str | None = None
    expires_at: datetime


@event_type("dispatch.released")
@attrs.frozen(kw_only=True)
class LeaseReleased(Event):
    """An agent gave a claimed lead back before its lock window ended."""

    lead_id: str
    agent_id: str
    token: int


@event_type("dispatch.lease_expired")
@attrs.frozen(kw_only=True)
class LeaseExpired(Event):
    """A claim ran out without being released (seen when the lead was claimed again)."""

    lead_id: str
    agent_id: str
    token: int
    expired_at: datetime


@event_type("delivery.forwarded")
@attrs.frozen(kw_only=True)
class LeadForwarded(Event):
    """A lead was sent to a partner (``outgoing``) or received from one (``incoming``).

    Recorded in both organisations, each with its own delivery and lead ids;
    ``state`` is what that organisation may know (the sender sees what the
    receiver's policy discloses of a duplicate).
    """

    delivery_id: str
    direction: str
    lead_id: str | None
    """This organisation's lead (``None`` when the receiver kept no record)."""
    partner_id: str
    state: str
    reason_id: str | None = None
    rule_id: str | None = None
    """The routing rule that sent it (sender side)."""


@attrs.frozen(kw_only=True)
class _DeliveryFeedback(Event):
    """Feedback on a delivery, as one of the two organisations records it."""

    delivery_id: str
    direction: str
    lead_id: str | None
    partner_id: str
    reason_id: str | None = None
    reason_label: str | None = None


@event_type("delivery.accepted")
@attrs.frozen(kw_only=True)
class DeliveryAccepted(_DeliveryFeedback):
    """The receiver accepted a delivered lead (recorded by both sides)."""


@event_type("delivery.rejected")
@attrs.frozen(kw_only=True)
class DeliveryRejected(_DeliveryFeedback):
    """The receiver rejected a delivered lead, with a reason (recorded by both sides)."""


@event_type("delivery.returned")
@attrs.frozen(kw_only=True)
class DeliveryReturned(_DeliveryFeedback):
    """The receiver returned a lead, with a reason (recorded by both sides)."""


@event_type("forwarding.settings_changed")
@attrs.frozen(kw_only=True)
class ForwardingSettingsChanged(Event):
    """Routing rules, the receiving policy or a partner's terms changed; ``setting`` says which."""

    setting: str
    """``rules``, ``policy`` or ``terms``."""
    partnership_id: str | None = None
    """The partnership whose terms changed (``terms`` only)."""


@event_type("lead.routed")
@attrs.frozen(kw_only=True)
class LeadRouted(Event):
    """A routing rule sent a lead to a user (``users``) or a partner (``partners``)."""

    lead_id: str
    rule_id: str
    to: str
    target_id: str
    delivery_id: str | None = None


@event_type("calendar.settings_changed")
@attrs.frozen(kw_only=True)
class CalendarSettingsChanged(Event):
    """The calendar's settings, activity types or statuses changed; ``fields`` names which."""

    fields: tuple[str, ...] = attrs.field(converter=_tuple)


@event_type("email.logged")
@attrs.frozen(kw_only=True)
class EmailLogged(Event):
    """An e-mail sent or received was logged, linked to clients and activities."""

    email_id: str
    direction: str
    """``in`` or ``out``."""
    clients: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    """The linked clients, as ``kind:id`` text."""
    activity_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple)


@event_type("activity.scheduled")
@attrs.frozen(kw_only=True)
class ActivityScheduled(Event):
    """An activity was put in the calendar (scheduled, or imported from iCalendar).

    Times are instants (an all-day activity's midnights in its zone). Titles
    and notes stay out of events: a private activity's are for its participants.
    """

    activity_id: str
    type_id: str
    status_id: str
    responsible_user_id: str
    user_ids: tuple[str, ...] = attrs.field(converter=_tuple)
    start: datetime
    end: datetime
    all_day: bool = False
    recurring: bool = False
    conflicts: int = 0
    """How many conflicts of participants the organisation's setting let through."""
    source: str = "schedule"
    """``schedule`` or ``import``."""


@event_type("activity.updated")
@attrs.frozen(kw_only=True)
class ActivityUpdated(Event):
    """An activity's details changed; ``fields`` names which.

    ``occurrence`` is the original start of the one occurrence changed, if
    only one was; with ``following``, that occurrence and the later ones
    became the new series ``new_activity_id``.
    """

    activity_id: str
    fields: tuple[str, ...] = attrs.field(converter=_tuple)
    occurrence: datetime | None = None
    following: bool = False
    new_activity_id: str | None = None


@event_type("activity.rescheduled")
@attrs.frozen(kw_only=True)
class ActivityRescheduled(Event):
    """An activity, one occurrence, or an occurrence and the following ones moved."""

    activity_id: str
    start: datetime
    end: datetime
    occurrence: datetime | None = None
    following: bool = False
    new_activity_id: str | None = None
    conflicts: int = 0


@event_type("activity.status_changed")
@attrs.frozen(kw_only=True)
class ActivityStatusChanged(Event):
    """An activity (or one occurrence, or the following ones) moved to another status.

    ``next_type_id`` is the activity type suggested for a follow-up when the
    new status completes an activity whose type suggests one.
    """

    activity_id: str
    from_status: str
    to_status: str
    meaning: str
    occurrence: datetime | None = None
    following: bool = False
    new_activity_id: str | None = None
    next_type_id: str | None = None


@event_type("activity.cancelled")
@attrs.frozen(kw_only=True)
class ActivityCancelled(Event):
    """An activity, one occurrence, or an occurrence and the following ones were cancelled."""

    activity_id: str
    occurrence: datetime | None = None
    following: bool = False
    status_id: str | None = None
    """The cancelled status the activity took (``None`` when only occurrences were dropped)."""


def event_fields(event: Event) -> Mapping[str, object]:
    """The event's own fields (everything but the envelope)."""
    envelope = {"event_id", "organization_id", "occurred_at", "actor_id"}
    return {
        f.name: getattr(event, f.name) for f in attrs.fields(type(event)) if f.name not in envelope
    }
