"""Use cases of the lead lifecycle (``s.leads``).

Intake, status changes, notes, tasks, lists, assignment and conversion.

Every method runs in one unit of work: a status change, its history entry and
the task its status requires are written together, or nothing is.
:class:`LeadsService` is one class made of parts of one idea each: setup
(projects, intake settings, the do-not-call list), intake, queries, changes
and conversion.
"""

from __future__ import annotations

from leadcore._arguments import checked_arguments
from leadcore._moved import moved_names, renamed
from leadcore._text import checks_text
from leadcore.services._old_calls import OldCalls, renamed_keywords
from leadcore.services._pipeline import OPPORTUNITIES
from leadcore.services.leads._changes import LeadChanges
from leadcore.services.leads._conversion import LeadConversion, Lineage
from leadcore.services.leads._intake import LeadIntake
from leadcore.services.leads._queries import LeadQueries, StatusFilter
from leadcore.services.leads._setup import LeadSetup

__all__ = ["OPPORTUNITIES", "LeadsService", "Lineage", "StatusFilter"]

# The unit-of-work helper is the service layer's own, no longer exported here.
__getattr__ = moved_names(
    "leadcore.services.leads",
    {"Work": "leadcore.services._shared", "Writer": "leadcore.services._shared"},
)


def _one_status(value: object) -> object:
    """``status=`` took one status id or ``None`` (no status): ``status_ids=`` takes several."""
    return [value] if value is None or isinstance(value, str) else value


@checks_text
@checked_arguments
class LeadsService(LeadSetup, LeadIntake, LeadQueries, LeadChanges, LeadConversion):
    """The lead lifecycle of the acting user's organisation (``s.leads``)."""

    configure = renamed("set_settings")
    # Filters that take several values are plural; the lead's users are its assignees.
    list = OldCalls(
        LeadQueries.list,
        renamed_keywords(
            {"status": "status_ids", "category": "categories"},
            values={"status": _one_status},
        ),
    )
    status_counts = OldCalls(
        LeadQueries.status_counts, renamed_keywords({"category": "categories"})
    )
    assign = OldCalls(LeadChanges.assign, renamed_keywords({"user_ids": "assignee_ids"}))
    # The do-not-call list is a set of numbers: add_/remove_ like any child record.
    block_number = renamed("add_blocked_number")
    unblock_number = renamed("remove_blocked_number")
