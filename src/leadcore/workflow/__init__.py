"""Lead status workflows as validated, immutable directed graphs.

A workflow is data (TOML, JSON or a dict), checked by a linter that reports
every finding at once, compiled once into lookup tables, and asked one
question on the hot path: :meth:`Workflow.decide`.

>>> from leadcore.workflow import Workflow, sample_workflow
>>> wf = sample_workflow()
>>> [s.id for s in wf.statuses][:3]
['new', 'no_answer', 'callback']
>>> wf.decide("new", "contacted", note="Spoke to Dana").allowed
True
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from leadcore.errors import WorkflowInvalid
from leadcore.workflow._decision import Decision, Reason, ReasonCode
from leadcore.workflow._diff import MigrationPlan, StatusChange, WorkflowDiff
from leadcore.workflow._lint import (
    CODES,
    Finding,
    LintCode,
    Severity,
    lint,
    load_json,
    load_toml,
    name_key,
)
from leadcore.workflow._model import Workflow
from leadcore.workflow._status import Category, Requirement, Status

__all__ = [
    "CODES",
    "Category",
    "Decision",
    "Finding",
    "LintCode",
    "MigrationPlan",
    "Reason",
    "ReasonCode",
    "Requirement",
    "Severity",
    "Status",
    "StatusChange",
    "Workflow",
    "WorkflowDiff",
    "WorkflowInvalid",
    "lint",
    "load_workflow",
    "name_key",
    "read_definition",
    "sample_workflow",
]


def read_definition(path: str | Path) -> object:
    """Read a definition file as plain data: ``.json`` as JSON, anything else as TOML.

    Raises ``OSError`` when the file cannot be read, and
    :class:`~leadcore.errors.WorkflowInvalid` (code ``syntax``) when it is not
    UTF-8 text or does not parse (a number too long for Python included).
    """
    p = Path(path)
    data = p.read_bytes()
    return load_json(data) if p.suffix.lower() == ".json" else load_toml(data)


def load_workflow(path: str | Path) -> Workflow:
    """Read and build a workflow from a ``.toml`` or ``.json`` file."""
    data = read_definition(path)
    if not isinstance(data, dict):
        return Workflow.from_dict({"status": data})  # reported as a shape error
    return Workflow.from_dict(data)


def sample_workflow(name: str = "sales") -> Workflow:
    """Return a bundled sample workflow: ``"sales"`` (12 statuses) or ``"qualification.he"``."""
    text = resources.files("leadcore.examples").joinpath(f"{name}.toml").read_text("utf-8")
    return Workflow.from_toml(text)
