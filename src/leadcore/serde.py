"""The one cattrs converter through which definitions and records become plain data.

Everything leadcore stores or exchanges round-trips through :data:`converter`:
enums by value, datetimes as ISO 8601 text, workflows in their documented
definition format.

>>> from leadcore.workflow import sample_workflow, Workflow
>>> wf = sample_workflow()
>>> structure(unstructure(wf), Workflow) == wf
True
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from cattrs.preconf.json import make_converter

from leadcore.workflow import Workflow

__all__ = ["converter", "dumps", "loads", "structure", "unstructure"]

T = TypeVar("T")

#: The converter. Modules with their own record types register hooks on it.
converter = make_converter()

converter.register_unstructure_hook(Workflow, lambda wf: wf.to_dict())
converter.register_structure_hook(Workflow, lambda data, _: Workflow.from_dict(data))


def _decimal(data: object, _: object) -> Decimal:
    # Text (how amounts are written) or a number (amounts stored as floats before).
    if isinstance(data, bool) or not isinstance(data, str | int | float):
        raise ValueError(f"expected a decimal number, got {data!r}")
    try:
        return Decimal(str(data))
    except InvalidOperation:
        raise ValueError(f"{data!r} is not a decimal number") from None


converter.register_unstructure_hook(Decimal, str)
converter.register_structure_hook(Decimal, _decimal)


def unstructure(obj: object) -> Any:
    """Turn a leadcore value into plain data (dicts, lists, strings, numbers)."""
    return converter.unstructure(obj)


def structure(data: object, cls: type[T]) -> T:
    """Build a ``cls`` value from plain data, validating it on the way."""
    return converter.structure(data, cls)


def dumps(obj: object) -> str:
    """Serialise a leadcore value to JSON text."""
    return json.dumps(unstructure(obj), ensure_ascii=False, sort_keys=True)


def loads(text: str, cls: type[T]) -> T:
    """Read a ``cls`` value from JSON text made by :func:`dumps`."""
    return structure(json.loads(text), cls)
