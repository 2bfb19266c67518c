"""Events to and from JSON-ready dicts, through the one converter of :mod:`leadcore.serde`.

Reading is strict: an envelope from outside (a queue, a webhook, a file) is
checked field by field against the event class before it becomes an event, and
every problem is reported at once, each with its path (``data.lead_id``...). No
value is coerced: ``5`` is not a string and ``"false"`` is not a boolean.
Fields a later version of the same ``schema`` adds to ``data`` are ignored.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final, Union, get_args, get_origin

import attrs
from cattrs.fns import identity

from leadcore.errors import ValidationError
from leadcore.events._model import EVENT_TYPES, SCHEMA, Event
from leadcore.serde import converter

__all__ = ["event_from_dict", "event_to_dict"]

_ENVELOPE = ("event_id", "organization_id", "occurred_at", "actor_id")


def event_to_dict(event: Event) -> dict[str, Any]:
    """The stable JSON envelope of an event (see :mod:`leadcore.events`)."""
    return {
        "type": type(event).type,
        "schema": SCHEMA,
        "event_id": event.event_id,
        "organization_id": event.organization_id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "data": (_DATA.get(type(event)) or _data_of(type(event)))(event),
    }


#: Classes the converter passes through as they are.
_PLAIN: Final = frozenset(
    t for t in (str, int, float, bool, type(None)) if converter.get_unstructure_hook(t) is identity
)


#: The function :func:`_data_of` built for each event class.
_DATA: Final[dict[type[Event], Callable[[Event], dict[str, Any]]]] = {}


def _data_of(cls: type[Event]) -> Callable[[Event], dict[str, Any]]:
    """The ``data`` of an event of ``cls``: ``converter.unstructure(dict(event_fields(e)))``.

    Built once per class (an import records thousands of events): the field names
    are read once, and values of the classes the converter passes through are
    taken as they are; every other value goes through the converter by its class,
    as the mapping would have it.
    """
    names = tuple(f.name for f in attrs.fields(cls) if f.name not in _ENVELOPE)
    unstructure = converter.unstructure
    plain = _PLAIN

    def data(event: Event) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in names:
            value = getattr(event, name)
            out[name] = value if type(value) in plain else unstructure(value)
        return out

    _DATA[cls] = data
    return data


def event_from_dict(data: Mapping[str, Any]) -> Event:
    """Read an event from its envelope; ``ValidationError`` names everything that is wrong."""
    if not isinstance(data, Mapping):
        raise ValidationError(
            "not a leadcore event", [f"expected an object (a mapping), got {_kind(data)}"]
        )
    problems: list[str] = []
    kind = data.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(EVENT_TYPES))
        problems.append(f"type: {kind!r} is not an event type; known: {known}")
    schema = data.get("schema")
    if schema != SCHEMA or isinstance(schema, bool):
        problems.append(f"schema: {schema!r} is not supported; accepted: {SCHEMA}")
    body = data.get("data", {})
    if not isinstance(body, Mapping):
        problems.append(f"data: expected an object (a mapping), got {_kind(body)}")
        body = None
    if cls is None:
        raise ValidationError("not a leadcore event", problems)
    payload: dict[str, Any] = {k: v for k, v in (body or {}).items() if k not in _ENVELOPE}
    payload.update({k: data[k] for k in _ENVELOPE if k in data})
    payload.setdefault("actor_id", None)
    fields = attrs.fields(attrs.resolve_types(cls))
    known_names = {f.name for f in fields}
    for f in fields:
        if body is None and f.name not in _ENVELOPE:
            continue  # the data object itself is already reported
        path = f.name if f.name in _ENVELOPE else f"data.{f.name}"
        if f.name not in payload:
            if f.default is attrs.NOTHING:
                problems.append(f"{path}: missing")
            continue
        problem = _problem(payload[f.name], f.type, path)
        if problem is not None:
            problems.append(problem)
    for name in ("event_id", "organization_id"):
        if isinstance(payload.get(name), str) and not payload[name].strip():
            problems.append(f"{name}: must not be blank")
    if problems:
        raise ValidationError(f"invalid {kind} event", problems)
    try:
        return converter.structure({k: v for k, v in payload.items() if k in known_names}, cls)
    except Exception as exc:  # pragma: no cover - every field was checked above
        raise ValidationError(f"invalid {kind} event", [str(exc)]) from None


def _problem(value: object, tp: object, path: str) -> str | None:
    """What is wrong with ``value`` as a ``tp`` (``None`` if nothing)."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union or origin is types.UnionType:
        if value is None and type(None) in args:
            return None
        options = [a for a in args if a is not type(None)]
        if len(options) == 1:
            inner = _problem(value, options[0], path)
            return None if inner is None else inner.replace(", got ", " or null, got ", 1)
        return None  # pragma: no cover - no event field has a wider union
    if tp is datetime:
        if not isinstance(value, str):
            return f"{path}: expected an ISO 8601 date-time with an offset, got {_kind(value)}"
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return f"{path}: {value!r} is not an ISO 8601 date-time"
        if parsed.tzinfo is None:
            return f"{path}: {value!r} has no UTC offset; write e.g. {value}+00:00"
        return None
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if not isinstance(value, list | tuple):
            return f"{path}: expected a list, got {_kind(value)}"
        for i, item in enumerate(value):
            inner = _problem(item, args[0], f"{path}[{i}]")
            if inner is not None:
                return inner
        return None
    if tp is str:
        ok, wanted = isinstance(value, str), "a string"
    elif tp is bool:
        ok, wanted = isinstance(value, bool), "true or false"
    elif tp is int:
        ok, wanted = isinstance(value, int) and not isinstance(value, bool), "an integer"
    elif tp is float:
        ok, wanted = isinstance(value, int | float) and not isinstance(value, bool), "a number"
    else:
        return None  # pragma: no cover - left to the converter
    return None if ok else f"{path}: expected {wanted}, got {_kind(value)}"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 40 else text[:37] + '...'}"
