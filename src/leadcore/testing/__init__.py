"""Tools for testing code built on leadcore.

- :func:`check_workflow` property-checks a workflow (a
  :class:`~leadcore.workflow.Workflow` or a file) and returns a
  :class:`PropertyReport` with a shrunk counterexample for each property it
  breaks; :class:`WorkflowMachine` is the state machine it runs, to subclass
  with rules of your own. Properties that speak about roles
  (:data:`ROLE_PROPERTIES`) are checked for each role from the decision
  engine, with the role's own shortest run as the counterexample.
- :func:`check_migration` compares two versions of a workflow and reports
  each hazard of moving leads from one to the other, as a
  :class:`MigrationReport`.
- :mod:`leadcore.testing.strategies`: hypothesis strategies for workflows,
  leads, dispatch settings, organisations and calendars.
- :mod:`leadcore.testing.pytest_plugin`: the fixtures ``leadcore_clock``,
  ``leadcore_core``, ``leadcore_orgs`` and ``leadcore_sample_workflow``.
- :mod:`leadcore.testing.conformance`: the conformance suite for storage
  adapters.
- :func:`staff_organization` and :class:`OrganizationPlan` build
  organisations for a test.

Everything here needs ``hypothesis`` (and the fixtures ``pytest``); the
names are imported on first use, so ``import leadcore.testing`` costs
nothing until then.

>>> from leadcore.testing import PROPERTIES
>>> sorted(PROPERTIES)[:2]
['history-complete', 'reach-done']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadcore.testing._migration_check import (
        MIGRATION_CODES,
        MigrationFinding,
        MigrationReport,
        check_migration,
    )
    from leadcore.testing._organizations import (
        AddPartner,
        AddUser,
        CreateOrganization,
        OrganizationPlan,
        PlanStep,
        StaffedOrganization,
        staff_organization,
    )
    from leadcore.testing._role_properties import ROLE_PROPERTIES
    from leadcore.testing._workflow_check import PropertyFailure, PropertyReport, check_workflow
    from leadcore.testing.stateful import PROPERTIES, Person, PropertyViolated, WorkflowMachine

__all__ = [
    "MIGRATION_CODES",
    "PROPERTIES",
    "ROLE_PROPERTIES",
    "AddPartner",
    "AddUser",
    "CreateOrganization",
    "MigrationFinding",
    "MigrationReport",
    "OrganizationPlan",
    "Person",
    "PlanStep",
    "PropertyFailure",
    "PropertyReport",
    "PropertyViolated",
    "StaffedOrganization",
    "WorkflowMachine",
    "check_migration",
    "check_workflow",
    "staff_organization",
]

_HOMES = {
    "leadcore.testing._migration_check": (
        "MIGRATION_CODES",
        "MigrationFinding",
        "MigrationReport",
        "check_migration",
    ),
    "leadcore.testing._role_properties": ("ROLE_PROPERTIES",),
    "leadcore.testing._organizations": (
        "AddPartner",
        "AddUser",
        "CreateOrganization",
        "OrganizationPlan",
        "PlanStep",
        "StaffedOrganization",
        "staff_organization",
    ),
    "leadcore.testing._workflow_check": ("PropertyFailure", "PropertyReport", "check_workflow"),
    "leadcore.testing.stateful": ("PROPERTIES", "Person", "PropertyViolated", "WorkflowMachine"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}


if not TYPE_CHECKING:  # type checkers see the imports above, and flag a misspelt name

    def __getattr__(name: str) -> object:
        # Hypothesis imports this package through its plugin while it is itself being
        # imported, and pytest through the fixtures plugin in every run of a project that
        # has leadcore installed: neither may pull in the state machine (and hypothesis).
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module 'leadcore.testing' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
