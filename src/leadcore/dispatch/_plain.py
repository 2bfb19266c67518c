"""Reading dispatch records from plain data, with every problem reported at once."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import TypeVar, cast

import attrs
from cattrs.errors import BaseValidationError
from cattrs.v import format_exception, transform_error

from leadcore.errors import ValidationError

__all__ = ["from_plain", "to_plain"]

T = TypeVar("T")

_OURS = "\x00"


def to_plain(value: object) -> dict[str, object]:
    """A record as plain data (through :mod:`leadcore.serde`)."""
    # Imported here: serde may one day register dispatch hooks and import this package.
    from leadcore import serde

    data: dict[str, object] = serde.unstructure(value)
    return data


def from_plain(cls: type[T], data: object, summary: str) -> T:
    """Build ``cls`` from plain data; unknown keys and bad values raise one ``ValidationError``.

    ``summary`` heads the error ("project rules are invalid").
    """
    from leadcore import serde

    if not isinstance(data, Mapping):
        raise ValidationError(
            summary,
            [f"$: must be a mapping of field names to values, got {type(data).__name__}"],
        )
    record = cast("type[attrs.AttrsInstance]", cls)
    known = [a.alias or a.name for a in attrs.fields(record) if a.init]
    problems = [
        f"{key}: unknown field (accepted: {', '.join(known)})" for key in data if key not in known
    ]
    if problems:
        raise ValidationError(summary, problems)
    try:
        return serde.structure(data, cls)
    except BaseValidationError as exc:
        problems = [m for m in transform_error(exc, format_exception=_format) if _OURS not in m]
        ours = [
            p for leaf in _leaves(exc) if isinstance(leaf, ValidationError) for p in leaf.problems
        ]
        raise ValidationError(summary, [*ours, *problems]) from exc
    except ValidationError as exc:
        raise ValidationError(summary, exc.problems) from exc


def _format(exc: BaseException, type_: type | None) -> str:
    if isinstance(exc, ValidationError):
        return _OURS
    if isinstance(type_, type) and issubclass(type_, enum.Enum):
        accepted = ", ".join(str(m.value) for m in type_)
        return f"must be one of {accepted}"
    return format_exception(exc, type_)


def _leaves(exc: BaseException) -> Iterator[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaves(inner)
    else:
        yield exc
