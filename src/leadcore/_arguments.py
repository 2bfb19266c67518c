"""Argument types at the public boundary: a wrong type is a ``ValidationError`` naming it.

A value from a web form or a JSON body is often of the wrong type (``"1"``
for a version, ``"no"`` for a flag, ``5`` for an id). Deep inside a use case
such a value gives a misleading answer (``ConflictError: is at version 1,
not 1``) or a raw ``TypeError``. :func:`checked_arguments` decorates a
service class: each public method then checks, before it runs, the
arguments it was given against the plain types its signature declares, and
raises one :class:`~leadcore.errors.ValidationError` that names every wrong
argument.

>>> @checked_arguments
... class Leads:
...     def update(self, lead_id: str, *, expected_version: int | None = None) -> str:
...         return lead_id
>>> Leads().update("lead-1", expected_version=2)
'lead-1'
>>> Leads().update(7, expected_version="2")
Traceback (most recent call last):
...
leadcore.errors.ValidationError: wrong argument type (2 problems):
  lead_id: expected text; got int 7
  expected_version: expected a whole number of 1 or more (the version read), or None; got str '2'

What is checked, by the declared type: ``str``, ``int`` and ``float`` (never
a ``bool``: ``True`` is not a version, a limit or a token), ``bool`` (only
``True`` and ``False``: ``"no"`` would be true), ``None``, a string enum
together with ``str`` and ``Literal`` strings (the type: the use case checks
the value and says which it takes), a collection of ``str`` (each item; one
string is not a list of ids), other collections and mappings (their kind),
and classes (``isinstance``). A parameter whose type has any other part is
not checked here; the use case checks it. Only the arguments a caller passes
are checked: defaults are trusted. The check reads no storage and no clock,
so every adapter gives the same answer.
"""

from __future__ import annotations

import collections.abc as abc
import enum
import functools
import inspect
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import attrs

from leadcore.errors import ValidationError

__all__ = ["VERSION", "Check", "check_for", "checked_arguments"]

T = TypeVar("T")

_SUMMARY = "wrong argument type"
_COLLECTIONS = (abc.Iterable, abc.Collection, abc.Sequence, abc.Set)


def _got(value: object) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"got {type(value).__name__} {text}"


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_collection(value: object) -> bool:
    return isinstance(value, abc.Iterable) and not isinstance(value, str | bytes | abc.Mapping)


def _is_texts(value: object) -> bool:
    return _is_collection(value) and all(isinstance(v, str) for v in value)  # type: ignore[attr-defined]


@attrs.frozen
class Check:
    """The accepted types of one argument: a test, and words that say what is accepted."""

    accepts: Callable[[object], bool]
    """Whether a value is of an accepted type."""
    expected: str
    """What is accepted, for the message (``"text or None"``...)."""
    items: bool = False
    """Whether the items of a collection are checked: an iterator is read into a tuple first."""

    def problem(self, value: object, name: str) -> str | None:
        """The problem with ``value`` as argument ``name``, or ``None``."""
        if self.accepts(value):
            return None
        return f"{name}: expected {self.expected}; {_got(value)}"


VERSION = Check(
    lambda v: v is None or (_is_whole(v) and v >= 1),  # type: ignore[operator]
    "a whole number of 1 or more (the version read), or None",
)
"""An ``expected_version``: the version the caller read (``int`` of 1 or more), or ``None``."""

#: Checks by parameter name, where the name says more than the type.
_BY_NAME = {"expected_version": VERSION}

_Part = tuple[Callable[[object], bool], str, bool]


def _literal_words(values: tuple[object, ...]) -> str:
    shown = [str(v) for v in values if not isinstance(v, enum.Enum)]
    return "text (one of " + ", ".join(shown) + ")" if shown else ""


def _part(part: object, others: tuple[object, ...]) -> _Part | None:
    """The test, words and item flag of one member of a union; ``None`` if not checkable."""
    if part is typing.Any:
        return None  # anything goes (and ``isinstance`` refuses ``Any`` on Python 3.11+)
    if part is type(None):
        return (lambda v: v is None), "None", False
    if part is str:
        return (lambda v: isinstance(v, str)), "text", False
    if part is bytes:
        return (lambda v: isinstance(v, bytes)), "bytes", False
    if part is bool:
        return (lambda v: isinstance(v, bool)), "True or False", False
    if part is int:
        return _is_whole, "a whole number", False
    if part is float:
        return _is_number, "a number", False
    if isinstance(part, type) and issubclass(part, enum.Enum):
        if issubclass(part, str) and str in others:
            # The type only: the use case says which values it takes, with the others' problems.
            listed = ", ".join(str(m.value) for m in part)
            return (lambda v: isinstance(v, str)), f"text (one of {listed})", False
        # A sentinel such as "not given": accepted, not worth naming.
        words = "" if part.__name__.startswith("_") else f"a {part.__name__}"
        return (lambda v: isinstance(v, part)), words, False
    origin = typing.get_origin(part)
    args = typing.get_args(part)
    if origin is typing.Literal:
        kinds = tuple({type(a) for a in args})
        return (
            (lambda v: type(v) in kinds),
            _literal_words(args),
            False,
        )
    if origin is abc.Callable:
        return callable, "a function (a callable)", False
    if origin in _COLLECTIONS:
        if args == (str,):
            return _is_texts, "a list of text", True
        return _is_collection, "a list", False
    if origin is tuple:
        return (lambda v: isinstance(v, tuple | list)), "a tuple", False
    if origin is abc.Mapping or origin is dict:
        return (lambda v: isinstance(v, abc.Mapping)), "a mapping", False
    if isinstance(part, type) and origin is None and not getattr(part, "_is_protocol", False):
        return (lambda v: isinstance(v, part)), f"a {part.__name__}", False
    return None


def check_for(annotation: object, name: str = "") -> Check | None:
    """The check of a parameter of type ``annotation`` (evaluated), or ``None`` if not checkable."""
    if name in _BY_NAME:
        return _BY_NAME[name]
    union = typing.get_origin(annotation) in (types.UnionType, typing.Union)
    members = typing.get_args(annotation) if union else (annotation,)
    # Literal[...] | None and the like arrive flattened; a str-valued enum takes the str part.
    enums_take_str = any(
        isinstance(m, type) and issubclass(m, enum.Enum) and issubclass(m, str) for m in members
    )
    parts: list[_Part] = []
    for member in members:
        if member is str and enums_take_str:
            continue
        found = _part(member, members)
        if found is None:
            return None
        parts.append(found)
    tests = [test for test, _, _ in parts]
    words = [w for _, w, _ in parts if w and w != "None"]
    if any(w == "None" for _, w, _ in parts):
        words.append("None")
    if len(words) > 1:  # "True, False or None", not "True or False or None"
        words = [w.replace(" or ", ", ") for w in words]
    expected = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    return Check(lambda v: any(test(v) for test in tests), expected, any(i for _, _, i in parts))


def _resolve(annotation: object, namespace: dict[str, Any]) -> object:
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)
    except Exception:  # a name imported only for type checking: not checked here
        return None


def _materialize(value: object) -> object:
    """A one-shot iterator read into a tuple, so that checking its items does not consume it."""
    if not _is_collection(value) or isinstance(value, list | tuple | abc.Set):
        return value
    return tuple(value)  # type: ignore[arg-type]


def _wrap(method: Callable[..., T]) -> Callable[..., T]:
    namespace = dict(vars(typing))
    namespace.update(getattr(method, "__globals__", {}))
    params = list(inspect.signature(method).parameters.values())
    # (name, index among all positional arguments (self is 0) or None, is *args, check)
    plan: list[tuple[str, int | None, bool, Check]] = []
    for index, p in enumerate(params[1:], start=1):
        if p.kind is p.VAR_KEYWORD:
            continue
        annotation = _resolve(p.annotation, namespace)
        check = None if annotation is None else check_for(annotation, p.name)
        if check is None:
            continue
        positional = p.kind is not p.KEYWORD_ONLY
        plan.append((p.name, index if positional else None, p.kind is p.VAR_POSITIONAL, check))
    if not plan:
        return method

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> T:
        problems: list[str] = []
        values = list(args)
        for name, index, star, check in plan:
            if star:
                assert index is not None
                for i in range(index, len(values)):
                    problem = check.problem(values[i], f"{name}[{i - index}]")
                    if problem:
                        problems.append(problem)
                continue
            if name in kwargs:
                if check.items:
                    kwargs[name] = _materialize(kwargs[name])
                value = kwargs[name]
            elif index is not None and index < len(values):
                if check.items:
                    values[index] = _materialize(values[index])
                value = values[index]
            else:
                continue  # not given: the default is trusted
            problem = check.problem(value, name)
            if problem:
                problems.append(problem)
        if problems:
            raise ValidationError(_SUMMARY, problems)
        return method(*values, **kwargs)

    return checked


def checked_arguments(cls: type[T]) -> type[T]:
    """Class decorator: every public method checks its arguments' declared types first."""
    for name, member in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(member):
            setattr(cls, name, _wrap(member))
    return cls
