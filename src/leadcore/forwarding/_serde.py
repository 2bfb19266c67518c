"""Converter hooks the forwarding records need to round-trip through :mod:`leadcore.serde`."""

from __future__ import annotations

from leadcore.forwarding._routing import ConditionValue
from leadcore.leads._model import FieldValue
from leadcore.serde import converter

__all__: list[str] = []


def _structure_condition_value(data: object, _: object) -> ConditionValue:
    if isinstance(data, list | tuple):
        return tuple(converter.structure(v, FieldValue) for v in data)  # type: ignore[arg-type]
    return converter.structure(data, FieldValue)  # type: ignore[arg-type]


# The value of a condition is one value or a list of them, a union cattrs cannot pick
# a branch of by itself: rules must round-trip through the converter to be stored.
converter.register_structure_hook_func(
    lambda t: t == ConditionValue,
    _structure_condition_value,
)
