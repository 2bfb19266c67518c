"""Every leadcore error as an HTTP problem (RFC 9457), shared by the framework integrations.

Each error class maps to a status and a stable problem ``type``;
:func:`problem_details` renders an error as the JSON object a response
carries (``application/problem+json``): ``type``, ``title``, ``status``,
``detail`` and fields naming what and where (``problems``, ``findings``,
``codes``, ``kind``/``id``, ``permission``, ``ids``).

>>> from leadcore.errors import NotFound
>>> doc = problem_details(NotFound("lead", "lead-7"))
>>> doc["status"], doc["type"], doc["kind"], doc["id"]
(404, 'urn:leadcore:problem:not-found', 'lead', 'lead-7')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

from leadcore.calendar._ical import IcalUnavailable
from leadcore.calendar._outcomes import ScheduleConflict
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
from leadcore.leads import ImportInterrupted

__all__ = ["MEDIA_TYPE", "PROBLEMS", "Problem", "problem_details", "problem_for"]

#: The media type of a problem details document.
MEDIA_TYPE: Final = "application/problem+json"


@attrs.frozen
class Problem:
    """How one kind of error is answered over HTTP."""

    status: int
    """The HTTP status code."""
    slug: str
    """The last part of the problem ``type`` (``not-found``)."""
    title: str
    """A short summary, the same for every occurrence."""

    @property
    def type(self) -> str:
        """The problem type URI."""
        return f"urn:leadcore:problem:{self.slug}"


#: Every error class leadcore raises, with its answer. A subclass not listed
#: takes its nearest listed base's; a test keeps every public class listed.
PROBLEMS: Final[Mapping[type[LeadcoreError], Problem]] = {
    LeadcoreError: Problem(500, "error", "leadcore could not complete the request"),
    ValidationError: Problem(422, "validation", "the input was rejected"),
    ScheduleConflict: Problem(409, "schedule-conflict", "the time is already taken"),
    WorkflowInvalid: Problem(422, "workflow-invalid", "the workflow definition is invalid"),
    MigrationInvalid: Problem(422, "migration-invalid", "the migration plan is invalid"),
    TransitionRefused: Problem(422, "transition-refused", "the workflow refused the move"),
    NotFound: Problem(404, "not-found", "no such record"),
    Forbidden: Problem(403, "forbidden", "the user may not do this"),
    # The lead's state forbids the change, not the user's rights: a conflict.
    LeadConverted: Problem(409, "lead-converted", "the lead is converted and read-only"),
    ConflictError: Problem(409, "conflict", "the record was changed meanwhile"),
    LeaseLost: Problem(409, "lease-lost", "the lease on the lead was lost"),
    IcalUnavailable: Problem(501, "ical-unavailable", "iCalendar support is not installed"),
    SchemaNotReady: Problem(503, "schema-not-ready", "the database schema is not ready"),
    ImportInterrupted: Problem(
        500, "import-interrupted", "the import stopped after committed batches"
    ),
}


def problem_for(error: type[LeadcoreError]) -> Problem:
    """The answer to an error class: its own, else its nearest listed base's."""
    for cls in error.__mro__:
        found = PROBLEMS.get(cls)
        if found is not None:
            return found
    return PROBLEMS[LeadcoreError]


def problem_details(error: LeadcoreError, *, instance: str | None = None) -> dict[str, object]:
    """The problem details document (a JSON object) of ``error``.

    ``instance`` names the request (its path) when given.
    """
    problem = problem_for(type(error))
    doc: dict[str, object] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": str(error),
        "error": type(error).__name__,
    }
    if instance is not None:
        doc["instance"] = instance
    if error.ids:
        doc["ids"] = dict(error.ids)
    if isinstance(error, ValidationError):
        doc["summary"] = error.summary
        doc["problems"] = list(error.problems)
    elif isinstance(error, MigrationInvalid):
        doc["problems"] = list(error.problems)
    elif isinstance(error, WorkflowInvalid):
        doc["source"] = error.source
        doc["findings"] = [
            {"code": str(f.code), "severity": str(f.severity), "path": f.path, "message": f.message}
            for f in error.findings
        ]
    elif isinstance(error, TransitionRefused):
        doc["codes"] = list(error.codes)
    elif isinstance(error, NotFound):
        doc["kind"] = error.kind
        doc["id"] = str(error.ident)
    elif isinstance(error, Forbidden) and error.permission is not None:
        doc["permission"] = error.permission
    return doc
