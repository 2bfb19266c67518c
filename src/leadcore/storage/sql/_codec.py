"""Records to and from the text the SQL tables keep, and instants to sortable integers.

Records are stored as JSON text made by the one converter of :mod:`leadcore.serde`.
A few values that the converter does not bring back exactly (a custom field's
``date``, a conversion snapshot's tuples, a ``timedelta``) get a tagged form
here, so that a record read back is equal to the one written: the SQL adapter
must answer exactly like the memory adapter, which keeps the records themselves.

Instants become whole microseconds since the Unix epoch (UTC), which sort the
same way as the instants and compare exactly on every database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, TypeVar

import attrs

from leadcore.leads._conversion import Conversion
from leadcore.leads._intake import LeadSettings
from leadcore.leads._model import Lead
from leadcore.serde import converter

__all__ = ["decode", "encode", "from_micros", "micros"]

T = TypeVar("T")

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    """Microseconds since the epoch; a naive ``datetime`` is read as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The aware UTC instant ``value`` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=value)


# -- tagged plain values --------------------------------------------------------------


def _tag(value: object) -> object:
    """Plain JSON data for a custom-field or snapshot value, keeping its exact type."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_tag(v) for v in value]}
    if isinstance(value, timedelta):
        return {"$timedelta": value // _MICROSECOND}
    return value


def _untag(data: object) -> object:
    if isinstance(data, dict) and len(data) == 1:
        ((tag, inner),) = data.items()
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$tuple":
            return tuple(_untag(v) for v in inner)
        if tag == "$timedelta":
            return timedelta(microseconds=inner)
    return data


def _tag_mapping(value: object) -> object:
    assert isinstance(value, Mapping)
    return {k: _tag(v) for k, v in value.items()}


def _untag_mapping(data: object) -> object:
    assert isinstance(data, dict)
    return {k: _untag(v) for k, v in data.items()}


@attrs.frozen
class _Exact:
    """An attribute the converter does not round-trip, with its own plain form."""

    attribute: str
    to_plain: Callable[[object], object]
    from_plain: Callable[[object], object]
    placeholder: object
    """A value the converter accepts for the attribute, replaced after structuring."""


# The attributes the converter cannot bring back exactly, per record type.
_EXACT: Final[dict[type, tuple[_Exact, ...]]] = {
    Lead: (_Exact("fields", _tag_mapping, _untag_mapping, {}),),
    Conversion: (_Exact("snapshot", _tag_mapping, _untag_mapping, {}),),
    LeadSettings: (_Exact("duplicate_window", _tag, _untag, None),),
}


def encode(record: object) -> str:
    """The JSON text a table keeps for ``record``."""
    data: Any = converter.unstructure(record)
    for exact in _EXACT.get(type(record), ()):
        data[exact.attribute] = exact.to_plain(getattr(record, exact.attribute))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode(text: str, cls: type[T]) -> T:
    """The record of type ``cls`` that :func:`encode` turned into ``text``."""
    data = json.loads(text)
    exacts = _EXACT.get(cls, ())
    if not exacts:
        return converter.structure(data, cls)
    values = {}
    for exact in exacts:
        values[exact.attribute] = exact.from_plain(data[exact.attribute])
        data[exact.attribute] = exact.placeholder
    return attrs.evolve(converter.structure(data, cls), **values)  # type: ignore[misc]
