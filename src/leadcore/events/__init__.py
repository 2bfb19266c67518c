"""Domain events and the transactional outbox.

Every change a service commits records its events in the same unit of work;
``core.events`` (an :class:`~leadcore.services.outbox.EventLog`) reads them back in commit order per
organisation, lets each consumer acknowledge its position, and calls
in-process subscribers after each commit, at least once.
"""

from __future__ import annotations

from leadcore._moved import moved_names as _moved_names
from leadcore._moved import renamed_names as _renamed_names
from leadcore.events._codec import event_from_dict, event_to_dict
from leadcore.events._model import (
    EVENT_TYPES,
    SCHEMA,
    ActivityCancelled,
    ActivityRescheduled,
    ActivityScheduled,
    ActivityStatusChanged,
    ActivityUpdated,
    CalendarSettingsChanged,
    CallLogged,
    DeliveryAccepted,
    DeliveryRejected,
    DeliveryReturned,
    DoNotCallChanged,
    EmailLogged,
    Event,
    ForwardingSettingsChanged,
    GroupChanged,
    LeadAssigned,
    LeadClaimed,
    LeadCreated,
    LeadDuplicateFlagged,
    LeadForwarded,
    LeadImported,
    LeadRouted,
    LeadSettingsChanged,
    LeadUnconverted,
    LeadUpdated,
    LeadWasConverted,
    LeaseExpired,
    LeaseReleased,
    NoteAdded,
    OrganizationCreated,
    OrganizationUpgraded,
    PartnerAdded,
    PartnershipChanged,
    PoolsChanged,
    ProjectChanged,
    RolePermissionsChanged,
    StatusChanged,
    StoredEvent,
    TaskCompleted,
    TaskCreated,
    UserAdded,
    UserChanged,
    WorkflowPublished,
    event_type,
)

__all__ = [
    "EVENT_TYPES",
    "SCHEMA",
    "ActivityCancelled",
    "ActivityRescheduled",
    "ActivityScheduled",
    "ActivityStatusChanged",
    "ActivityUpdated",
    "CalendarSettingsChanged",
    "CallLogged",
    "DeliveryAccepted",
    "DeliveryRejected",
    "DeliveryReturned",
    "DoNotCallChanged",
    "EmailLogged",
    "Event",
    "ForwardingSettingsChanged",
    "GroupChanged",
    "LeadAssigned",
    "LeadClaimed",
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
    "event_from_dict",
    "event_to_dict",
    "event_type",
]

# Kept for one release, with a warning: the outbox reader moved to the service layer, and the
# event ``LeadConverted`` is named ``LeadWasConverted`` (``leadcore.LeadConverted`` is the error).
__getattr__ = _renamed_names(
    "leadcore.events",
    {"LeadConverted": "leadcore.events.LeadWasConverted"},
    otherwise=_moved_names(
        "leadcore.events",
        dict.fromkeys(("DeliveryFailure", "EventLog", "Handler"), "leadcore.services.outbox"),
    ),
)
