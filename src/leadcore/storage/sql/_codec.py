"""Records to and from the text the SQL tables keep, and instants to sortable integers.

Records are stored as JSON text made by the one converter of :mod:`leadcore.serde`,
which brings every record back exactly (custom fields and conversion snapshots in
the tagged form of :mod:`leadcore.leads._serde`): the SQL adapter must answer
exactly like the memory adapter, which keeps the records themselves.

Instants become whole microseconds since the Unix epoch (UTC), which sort the
same way as the instants and compare exactly on every database.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import attrs

from leadcore.leads._intake import LeadSettings
from leadcore.leads._serde import tag, untag
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


@attrs.frozen
class _Exact:
    """An attribute the converter does not round-trip, with its own plain form."""

    attribute: str
    to_plain: Callable[[object], object]
    from_plain: Callable[[object], object]
    placeholder: object
    """A value the converter accepts for the attribute, replaced after structuring."""


# The attributes the tables keep in a form of their own, per record type. The
# duplicate window was stored tagged before the converter read timedeltas exactly,
# and stays so, so that databases written then read the same.
_EXACT: Final[dict[type, tuple[_Exact, ...]]] = {
    LeadSettings: (_Exact("duplicate_window", tag, untag, None),),
}


# ``json.dumps`` with arguments builds an encoder on every call; this one is built once.
_JSON: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(record: object) -> str:
    """The JSON text a table keeps for ``record``."""
    data: Any = converter.unstructure(record)
    for exact in _EXACT.get(type(record), ()):
        data[exact.attribute] = exact.to_plain(getattr(record, exact.attribute))
    return _JSON.encode(data)


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
