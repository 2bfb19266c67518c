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
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from cattrs._compat import is_optional
from cattrs.fns import identity
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter

from leadcore.dispatch._rules import HistoryScope, ProjectRules
from leadcore.workflow import Workflow

__all__ = ["converter", "dumps", "loads", "structure", "unstructure"]

T = TypeVar("T")

#: The converter. Modules with their own record types register hooks on it.
converter = make_converter()


def _optional_plain(annotation: Any) -> bool:
    """Whether ``annotation`` is ``X | None`` with ``X`` written as it is (text, numbers)."""
    if not is_optional(annotation):
        return False
    args = [a for a in annotation.__args__ if a is not type(None)]
    return (
        len(args) == 1
        and not isinstance(args[0], TypeVar)
        and (converter.get_unstructure_hook(args[0]) is identity)
    )


# ``str | None`` and the like: the value as it is, as for ``str`` alone. cattrs would
# call a wrapper that tests for ``None`` and then calls the identity; with this hook,
# the generated functions of records read the attribute inline (an import encodes
# thousands of records, each with a dozen optional ids).
converter.register_unstructure_hook_factory(_optional_plain, lambda _: identity)

converter.register_unstructure_hook(Workflow, lambda wf: wf.to_dict())
converter.register_structure_hook(Workflow, lambda data, _: Workflow.from_dict(data))

# Project rules: the deprecated flag ``show_only_own_history`` is never written, and
# rules stored with it load silently as the history scope it meant.
converter.register_unstructure_hook(
    ProjectRules,
    make_dict_unstructure_fn(ProjectRules, converter, show_only_own_history=override(omit=True)),
)
_structure_rules = make_dict_structure_fn(ProjectRules, converter)


def _rules_from(data: Any, cls: type[ProjectRules]) -> ProjectRules:
    if isinstance(data, Mapping) and isinstance(data.get("show_only_own_history"), bool):
        data = dict(data)
        own = data.pop("show_only_own_history")
        if own and "history_scope" not in data:
            data["history_scope"] = HistoryScope.OWN.value
    return _structure_rules(data, cls)


converter.register_structure_hook(ProjectRules, _rules_from)


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
