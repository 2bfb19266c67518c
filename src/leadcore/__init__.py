"""leadcore: the embeddable core of a lead-management CRM or call centre.

Status workflows as validated graphs, organisations isolated from each other,
the lead lifecycle, a dispatch engine with leases, and activity calendars,
all behind pluggable storage.

>>> import leadcore
>>> wf = leadcore.sample_workflow()
>>> wf.decide("new", "won", restricted=True).codes
(<ReasonCode.NOT_NEXT_STAGE: 'not-next-stage'>,)
"""

from __future__ import annotations

from leadcore.clock import Clock, ManualClock, SystemClock
from leadcore.core import Leadcore, Session
from leadcore.errors import (
    ConflictError,
    Forbidden,
    LeadConverted,
    LeadcoreError,
    LeaseLost,
    MigrationInvalid,
    NotFound,
    TransitionRefused,
    ValidationError,
    WorkflowInvalid,
)
from leadcore.storage import MemoryStorage
from leadcore.tenancy import Organization, PartnerKind, Partnership, Permission, Role, User
from leadcore.workflow import (
    Category,
    Decision,
    Finding,
    Requirement,
    Status,
    Workflow,
    lint,
    load_workflow,
    sample_workflow,
)

__version__ = "0.1.0"

__all__ = [
    "Category",
    "Clock",
    "ConflictError",
    "Decision",
    "Finding",
    "Forbidden",
    "LeadConverted",
    "Leadcore",
    "LeadcoreError",
    "LeaseLost",
    "ManualClock",
    "MemoryStorage",
    "MigrationInvalid",
    "NotFound",
    "Organization",
    "PartnerKind",
    "Partnership",
    "Permission",
    "Requirement",
    "Role",
    "Session",
    "Status",
    "SystemClock",
    "TransitionRefused",
    "User",
    "ValidationError",
    "Workflow",
    "WorkflowInvalid",
    "__version__",
    "lint",
    "load_workflow",
    "sample_workflow",
]
