"""Old import paths kept for one release: each name still answers, the same object, with a warning.

The names are those each old module exported in the release before the move
(its ``__all__`` then). The object it gives must be the one the package
exports under that name now: from a public module's ``__all__``, else from the
service layer's own modules (``leadcore.services._shared``...).
"""

from __future__ import annotations

import importlib
import pkgutil
import warnings

import pytest

import leadcore

OLD_PATHS: dict[str, tuple[str, ...]] = {
    "leadcore.leads.service": (
        "LeadsService",
        "Lineage",
        "OPPORTUNITIES",
        "StatusFilter",
        "Work",
        "Writer",
    ),
    "leadcore.calendar.service": (
        "Booking",
        "CalendarImport",
        "CalendarService",
        "CalendarSettings",
        "ConflictPolicy",
        "DEFAULT_STATUSES",
        "DEFAULT_TYPES",
        "ScheduleConflict",
        "SharedCalendars",
        "UNSET",
    ),
    "leadcore.dispatch.service": ("DispatchService",),
    "leadcore.tenancy.service": ("PartnersService", "UsersService", "new_organization"),
    "leadcore.workflow.service": ("LEADS", "WorkflowService"),
    "leadcore.leads.reporting": ("FunnelKey", "ReportsService"),
    "leadcore.leads.forwarding": (
        "CapPeriod",
        "CapUsage",
        "Caps",
        "Condition",
        "ConditionOp",
        "DEFAULT_REASONS",
        "DeliveriesService",
        "Delivery",
        "DeliveryReportRow",
        "DeliveryState",
        "DeliveryTrail",
        "Direction",
        "DuplicateDisclosure",
        "DuplicateHandling",
        "FeedbackReason",
        "FieldMapping",
        "LeadCopy",
        "PartnerTerms",
        "ReceivingPolicy",
        "ReportPeriod",
        "RoutingOutcome",
        "RoutingRule",
        "RoutingService",
        "STANDARD_FIELDS",
        "Strategy",
        "Target",
        "TargetKind",
        "delivery_report",
        "feedback_problems",
        "forward",
        "forward_lead",
        "order_targets",
        "period_key",
        "rotate",
    ),
    "leadcore._service": ("Actor", "ServiceContext", "record_event", "retry_on_conflict"),
    "leadcore.events": ("DeliveryFailure", "EventLog", "Handler"),
}

CASES = [(path, name) for path, names in OLD_PATHS.items() for name in names]


def _homes() -> dict[str, object]:
    """Every name the package exports now, from the public modules first, then the services'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        modules = [
            importlib.import_module(info.name)
            for info in pkgutil.walk_packages(leadcore.__path__, "leadcore.")
            if not info.name.endswith("__main__")
        ]
    public = [m for m in modules if not any(p.startswith("_") for p in m.__name__.split("."))]
    services = [m for m in modules if m.__name__.startswith("leadcore.services.")]
    found: dict[str, object] = {}
    for module in [*services, *public]:  # public modules win
        for name in getattr(module, "__all__", ()):
            if module.__name__ not in OLD_PATHS:
                found[name] = getattr(module, name)
    return found


HOMES = _homes()


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p}.{n}" for p, n in CASES])
def test_an_old_path_gives_the_same_object_with_a_warning(path: str, name: str) -> None:
    module = importlib.import_module(path)
    with pytest.warns(DeprecationWarning, match=rf"{path}\.{name} (moved|is renamed)"):
        old = getattr(module, name)
    assert name in HOMES, f"{name} is exported by no module any more"
    assert old is HOMES[name]


def test_every_old_public_module_path_is_listed() -> None:
    # A public forwarding module (its docstring starts "Deprecated") must be tested above.
    forwarders = {
        info.name
        for info in pkgutil.walk_packages(leadcore.__path__, "leadcore.")
        if not any(part.startswith("_") for part in info.name.split("."))
        and (importlib.import_module(info.name).__doc__ or "").startswith("Deprecated")
    }
    assert forwarders <= set(OLD_PATHS), sorted(forwarders - set(OLD_PATHS))
