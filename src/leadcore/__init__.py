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

import importlib
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadcore._paging import Cursor
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
        SchemaNotReady,
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

# The library's loggers are ``leadcore.<module>``; the host decides where records go.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Category",
    "Clock",
    "ConflictError",
    "Cursor",
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
    "SchemaNotReady",
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

# Each public name is imported on first use, so ``import leadcore`` (and the
# pytest and hypothesis plugins, which live inside the package) stays cheap.
_HOMES = {
    "leadcore._paging": ("Cursor",),
    "leadcore.clock": ("Clock", "ManualClock", "SystemClock"),
    "leadcore.core": ("Leadcore", "Session"),
    "leadcore.errors": (
        "ConflictError",
        "Forbidden",
        "LeadConverted",
        "LeadcoreError",
        "LeaseLost",
        "MigrationInvalid",
        "NotFound",
        "SchemaNotReady",
        "TransitionRefused",
        "ValidationError",
        "WorkflowInvalid",
    ),
    "leadcore.storage": ("MemoryStorage",),
    "leadcore.tenancy": (
        "Organization",
        "PartnerKind",
        "Partnership",
        "Permission",
        "Role",
        "User",
    ),
    "leadcore.workflow": (
        "Category",
        "Decision",
        "Finding",
        "Requirement",
        "Status",
        "Workflow",
        "lint",
        "load_workflow",
        "sample_workflow",
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

if not TYPE_CHECKING:  # type checkers see the imports above, and flag a misspelt name

    def __getattr__(name: str) -> object:
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module 'leadcore' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
