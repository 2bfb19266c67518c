"""Every error leadcore raises.

Each error subclasses :class:`LeadcoreError` *and* the builtin exception a
caller would naturally catch, so both ``except LeadcoreError`` and, say,
``except ValueError`` work::

    >>> from leadcore.errors import NotFound, LeadcoreError
    >>> issubclass(NotFound, LeadcoreError), issubclass(NotFound, LookupError)
    (True, True)

Validation errors carry *every* finding at once, never only the first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadcore.workflow import Decision, Finding

__all__ = [
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
]


_NO_IDS: Mapping[str, str] = MappingProxyType({})


class LeadcoreError(Exception):
    """Base class of every error raised by leadcore.

    The message is for people: it names leads, users and projects by their
    names. ``ids`` keeps, for programs, the ids of the records the message
    names, by role (``{"lead_id": "lead-7", "project_id": "project-2"}``).

    >>> err = LeadConverted("lead 'Yossi Cohen' is converted and read-only",
    ...                     ids={"lead_id": "lead-7"})
    >>> str(err), err.ids["lead_id"]
    ("lead 'Yossi Cohen' is converted and read-only", 'lead-7')
    """

    ids: Mapping[str, str] = _NO_IDS
    """The ids of the records the message names, by role; empty when it names none."""


def _ids(ids: Mapping[str, str] | None) -> Mapping[str, str]:
    return _NO_IDS if not ids else MappingProxyType(dict(ids))


class _Message(LeadcoreError):
    """An error that is one message for people, and the ids of what it names."""

    def __init__(self, message: str, *, ids: Mapping[str, str] | None = None) -> None:
        self.ids = _ids(ids)
        super().__init__(message)


class ValidationError(LeadcoreError, ValueError):
    """Input was rejected; ``problems`` lists every reason, each naming where.

    >>> err = ValidationError("lead is invalid", ["phones[0]: not a phone number"])
    >>> print(err)
    lead is invalid (1 problem):
      phones[0]: not a phone number
    """

    def __init__(
        self,
        summary: str,
        problems: Sequence[str] = (),
        *,
        ids: Mapping[str, str] | None = None,
    ) -> None:
        self.summary = summary
        self.problems: tuple[str, ...] = tuple(problems)
        self.ids = _ids(ids)
        super().__init__(summary, self.problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.summary
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{self.summary} ({count} {noun}):"]
        lines.extend(f"  {p}" for p in self.problems)
        return "\n".join(lines)


class SchemaNotReady(LeadcoreError, RuntimeError):
    """A database is not at the schema this leadcore uses, and was not to be changed.

    Raised by :meth:`Leadcore.open <leadcore.Leadcore.open>` for a database at
    an older schema version, or one that holds other tables and no leadcore
    schema, unless it is opened with ``migrate=True``; and for a database at a
    newer version than this leadcore knows. ``version`` is the database's
    schema version (0: none), ``latest`` this leadcore's; ``problems`` says
    what was found and what to do.

    >>> err = SchemaNotReady("database schema is out of date", ["schema version: 3, needs 5"],
    ...                      version=3, latest=5)
    >>> print(err)
    database schema is out of date (1 problem):
      schema version: 3, needs 5
    """

    def __init__(
        self, summary: str, problems: Sequence[str] = (), *, version: int, latest: int
    ) -> None:
        self.summary = summary
        self.problems: tuple[str, ...] = tuple(problems)
        self.version = version
        """The schema version the database is at (0: no leadcore schema)."""
        self.latest = latest
        """The schema version this leadcore uses."""
        super().__init__(summary, self.problems)

    def __str__(self) -> str:
        return ValidationError.__str__(self)  # type: ignore[arg-type]


class WorkflowInvalid(LeadcoreError, ValueError):
    """A workflow definition has at least one error-severity finding.

    ``findings`` holds every finding (errors and warnings) in document
    order; ``errors`` only the ones that stopped the build.
    """

    def __init__(self, findings: Sequence[Finding], *, source: str = "workflow") -> None:
        self.findings: tuple[Finding, ...] = tuple(findings)
        self.source = source
        super().__init__(self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The findings of severity ``error``."""
        return tuple(f for f in self.findings if f.severity == "error")

    def __str__(self) -> str:
        errors = self.errors
        noun = "error" if len(errors) == 1 else "errors"
        lines = [f"{self.source} is invalid ({len(errors)} {noun}):"]
        lines.extend(f"  {f}" for f in errors)
        return "\n".join(lines)


class MigrationInvalid(LeadcoreError, ValueError):
    """A migration plan between two workflow versions is incomplete or wrong.

    ``problems`` names every removed status left without a live target and
    every mapping that points nowhere.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        noun = "problem" if len(self.problems) == 1 else "problems"
        return "\n".join(
            [f"migration plan is invalid ({len(self.problems)} {noun}):"]
            + [f"  {p}" for p in self.problems]
        )


class NotFound(LeadcoreError, LookupError):
    """No such object in the acting organisation.

    An object of *another* organisation is reported exactly like one that
    does not exist, so that existence never leaks across organisations.
    """

    def __init__(self, kind: str, ident: object) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(kind, ident)

    def __str__(self) -> str:
        return f"{self.kind} {self.ident!r} not found"


class Forbidden(LeadcoreError, PermissionError):
    """The acting user lacks a permission, or is inactive."""

    def __init__(self, message: str, *, permission: str | None = None) -> None:
        self.permission = permission
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class ConflictError(_Message, RuntimeError):
    """A write lost an optimistic-concurrency race (stale ``expected_version``)."""


class LeadConverted(_Message, PermissionError):
    """The lead is converted and therefore read-only by policy; ``ids["lead_id"]`` names it."""


class LeaseLost(_Message, RuntimeError):
    """A write was made under an expired or superseded dispatch claim."""


class TransitionRefused(LeadcoreError, ValueError):
    """A status change was refused by the workflow; ``decision`` holds every reason.

    ``codes`` lists the stable reason codes (``note-required``, ``not-next-stage``, ...).
    """

    def __init__(
        self,
        lead_id: str,
        decision: Decision,
        *,
        lead_name: str | None = None,
        subject: str = "lead",
    ) -> None:
        self.lead_id = lead_id
        """The id of the lead (or the ``subject``: an opportunity) that was to move."""
        self.lead_name = lead_name
        """Its name, which the message shows (the id when not given)."""
        self.subject = subject
        """What was to move: ``"lead"``, or ``"opportunity"`` for a stage change."""
        self.decision = decision
        self.ids = _ids({f"{subject}_id": lead_id})
        super().__init__(lead_id, decision)

    @property
    def codes(self) -> tuple[str, ...]:
        """The reason codes, in order."""
        return tuple(str(r.code) for r in self.decision.reasons)

    def __str__(self) -> str:
        name = self.lead_id if self.lead_name is None else self.lead_name
        return f"{self.subject} {name!r}: {self.decision.explain()}"
