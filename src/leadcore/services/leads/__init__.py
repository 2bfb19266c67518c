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


@checks_text
@checked_arguments
class LeadsService(LeadSetup, LeadIntake, LeadQueries, LeadChanges, LeadConversion):
    """The lead lifecycle of the acting user's organisation (``s.leads``)."""

    configure = renamed("set_settings")
