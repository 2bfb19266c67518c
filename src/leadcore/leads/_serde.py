"""Teach leadcore's one converter (:mod:`leadcore.serde`) the exact values of lead records.

A custom field (``Lead.fields``) or a conversion snapshot value may be a
``date``, a ``datetime`` or a tuple, which plain JSON would bring back as a
string or a list. Those values get a one-key tagged form (``{"$date":
"1990-01-02"}``), so that a record read back equals the one written:

>>> from datetime import UTC, date, datetime
>>> from leadcore import serde
>>> from leadcore.leads import Lead
>>> t = datetime(2026, 3, 1, tzinfo=UTC)
>>> lead = Lead(id="l1", organization_id="o1", name="Yael", created_at=t, updated_at=t,
...             fields={"born": date(1990, 1, 2), "children": 2})
>>> serde.unstructure(lead)["fields"]
{'born': {'$date': '1990-01-02'}, 'children': 2}
>>> serde.loads(serde.dumps(lead), Lead) == lead
True

The SQL adapter stores records in this same form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Final

from leadcore.leads._model import FieldValue
from leadcore.serde import converter

__all__ = ["register", "tag", "untag"]

_MICROSECOND: Final = timedelta(microseconds=1)

#: The annotations of ``Lead.fields`` and ``Conversion.snapshot``.
_FIELDS: Final = Mapping[str, FieldValue]
_SNAPSHOT: Final = Mapping[str, FieldValue | tuple[str, ...]]


def tag(value: object) -> object:
    """Plain JSON data for a field or snapshot value, keeping its exact type."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [tag(v) for v in value]}
    if isinstance(value, timedelta):
        return {"$timedelta": value // _MICROSECOND}
    return value


def untag(data: object) -> object:
    """The value :func:`tag` made ``data`` of (anything else as it is)."""
    if isinstance(data, dict) and len(data) == 1:
        ((name, inner),) = data.items()
        if name == "$datetime":
            return datetime.fromisoformat(inner)
        if name == "$date":
            return date.fromisoformat(inner)
        if name == "$tuple":
            return tuple(untag(v) for v in inner)
        if name == "$timedelta":
            return timedelta(microseconds=inner)
    return data


def _tag_mapping(value: Mapping[str, object]) -> dict[str, object]:
    return {k: tag(v) for k, v in value.items()}


def _untag_mapping(data: object, _: object) -> dict[str, object]:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a mapping of field values, got {type(data).__name__}")
    return {str(k): untag(v) for k, v in data.items()}


def register() -> None:
    """Register the hooks (idempotent; :mod:`leadcore.leads` calls it on import)."""
    # Predicates: the annotations are generic aliases, which dispatch by class cannot take.
    converter.register_unstructure_hook_func(_is_field_mapping, _tag_mapping)
    converter.register_structure_hook_func(_is_field_mapping, _untag_mapping)


def _is_field_mapping(annotation: object) -> bool:
    return annotation in (_FIELDS, _SNAPSHOT)
