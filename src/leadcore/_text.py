r"""The rules every piece of text given to a public call obeys, checked once at the boundary.

Text that no storage can keep is refused before anything is read or written,
so that every adapter gives the same answer:

- a lone surrogate (``"\ud800"``, which ``json.loads('"\\ud800"')`` makes)
  is not Unicode text: UTF-8 cannot encode it;
- a NUL character (U+0000) is not kept by PostgreSQL text columns;
- text longer than its bound: :data:`MAX_TEXT` characters in general,
  :data:`MAX_SEARCH_TEXT` for search text (SQL ``LIKE`` patterns have a size
  limit), names :data:`MAX_NAME` (checked where names are read).

A value gets :class:`~leadcore.errors.ValidationError` naming every bad
argument by its path (``fields['city']``, ``rules.name``...). An id given as
a positional argument names a record the call reads or acts on; such an id
with a NUL or a lone surrogate cannot exist, so it gets
:class:`~leadcore.errors.NotFound`, like any id that is not there.

:func:`checks_text` applies the rules to every public method of a service
class; :func:`text_problems` is the same check for code that reads nested
input itself (import rows).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, TypeVar

import attrs

from leadcore.errors import NotFound, ValidationError

__all__ = [
    "MAX_CHANNEL",
    "MAX_DOCUMENT",
    "MAX_NAME",
    "MAX_SEARCH_TEXT",
    "MAX_TEXT",
    "checks_text",
    "text_limits",
    "text_problem",
    "text_problems",
]

#: The longest text any argument may carry (notes, reasons, descriptions, field values).
MAX_TEXT: Final = 100_000
#: The longest search text (``leads.list(text=...)``, ``calendar.search(text=...)``).
MAX_SEARCH_TEXT: Final = 200
#: The longest name (of a lead, user, group, project, organisation...).
MAX_NAME: Final = 200
#: The longest channel of a lead (``"facebook"``): a short label that lists filter on.
MAX_CHANNEL: Final = 128
#: The longest document given as text (an iCalendar file to import).
MAX_DOCUMENT: Final = 10_000_000

C = TypeVar("C", bound=type)
F = TypeVar("F", bound=Callable[..., Any])

_LIMITS_ATTR: Final = "__leadcore_text_limits__"
# Nested values are walked this deep; deeper structures are not input a caller gives.
_MAX_DEPTH: Final = 8


def text_problem(value: str, path: str, limit: int = MAX_TEXT) -> str | None:
    r"""The problem with one piece of text, naming ``path``; ``None`` if it is acceptable.

    >>> print(text_problem("a\x00b", "name"))
    name: contains a NUL character (U+0000) at position 1; text may not contain NUL
    >>> print(text_problem("\ud800", "note"))
    note: contains a lone surrogate (U+D800) at position 0; text must be valid Unicode
    >>> print(text_problem("x" * 300, "text", 200))
    text: has 300 characters; at most 200 are allowed
    >>> text_problem("שלום %_\\", "text") is None
    True
    """
    if len(value) > limit:
        return f"{path}: has {len(value)} characters; at most {limit} are allowed"
    nul = value.find("\x00")
    if nul >= 0:
        return (
            f"{path}: contains a NUL character (U+0000) at position {nul}; text may not contain NUL"
        )
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return (
                f"{path}: contains a lone surrogate (U+{ord(value[exc.start]):04X}) "
                f"at position {exc.start}; text must be valid Unicode"
            )
    return None


def _shown(key: object) -> str:
    """A mapping key as a path shows it: its repr, cut short."""
    if isinstance(key, str) and len(key) > 40:
        key = key[:40] + "…"
    return repr(key)


def _walk(value: object, path: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every piece of text inside ``value`` with its path (containers and attrs records)."""
    if isinstance(value, str):
        yield path, value
    elif depth >= _MAX_DEPTH or isinstance(value, bytes | bytearray | int | float):
        return
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}[{_shown(key)}]"
            if isinstance(key, str):
                yield where, key
            yield from _walk(item, where, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        for index, item in enumerate(items):
            yield from _walk(item, f"{path}[{index}]", depth + 1)
    elif attrs.has(cls := type(value)):
        for field in attrs.fields(cls):
            if field.init and not field.name.startswith("_"):
                yield from _walk(getattr(value, field.name), f"{path}.{field.name}", depth + 1)


def text_problems(value: object, path: str, limit: int = MAX_TEXT) -> list[str]:
    r"""Every problem with the text inside ``value`` (nested lists, mappings, records).

    >>> text_problems({"name": "ok", "tags": ["a", "b\x00"]}, "row")
    ["row['tags'][1]: contains a NUL character (U+0000) at position 1; text may not contain NUL"]
    """
    if type(value) is dict and _plain_text(value, limit):
        return []
    problems = []
    for where, text in _walk(value, path):
        problem = text_problem(text, where, limit)
        if problem is not None:
            problems.append(problem)
    return problems


def _plain_text(value: dict[Any, Any], limit: int) -> bool:
    """Whether a flat mapping of text to text (an import row) has no problem, tested at once.

    ``False`` says only that the full walk must look (it then names each problem).
    """
    texts = [*value, *value.values()]
    if not all(type(t) is str for t in texts) or any(len(t) > limit for t in texts):
        return False
    joined = "".join(texts)
    if "\x00" in joined:
        return False
    if joined.isascii():
        return True
    try:
        joined.encode("utf-8")  # a lone surrogate stays one when joined to others
    except UnicodeEncodeError:
        return False
    return True


def text_limits(**limits: int | None) -> Callable[[F], F]:
    """Give parameters of one method their own bound; ``None`` leaves one to the method.

    ``@text_limits(text=MAX_SEARCH_TEXT)`` bounds a search text;
    ``@text_limits(rows=None)`` leaves ``rows`` to the method, which reports a
    bad row in its answer instead of refusing the whole call.
    """

    def mark(method: F) -> F:
        setattr(method, _LIMITS_ATTR, dict(limits))
        return method

    return mark


def _kind(name: str) -> str:
    for suffix in ("_ids", "_id"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return _KIND_NAMES.get(name, name.replace("_", " "))


# What a positional id argument names, where its parameter name says it less plainly.
_KIND_NAMES: Final = {"to_org": "partner", "agent": "user"}


def _is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_ids"))


def _plain(value: object) -> bool:
    """Whether ``value`` is obviously acceptable: nothing, a number, or short ASCII without NUL."""
    if value is None or type(value) is int or type(value) is bool:
        return True
    return type(value) is str and value.isascii() and len(value) <= MAX_TEXT and "\x00" not in value


@attrs.frozen
class _Parameters:
    """How a method's arguments map to parameter names, computed once per method."""

    positional: tuple[str, ...]
    var_positional: str | None
    limits: Mapping[str, int | None]

    @classmethod
    def of(cls, method: Callable[..., Any]) -> _Parameters:
        params = list(inspect.signature(method).parameters.values())[1:]  # without self
        return cls(
            positional=tuple(
                p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            ),
            var_positional=next((p.name for p in params if p.kind is p.VAR_POSITIONAL), None),
            limits=getattr(method, _LIMITS_ATTR, {}),
        )

    def check(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
        """Raise ``ValidationError`` naming every bad value, else ``NotFound`` for a bad id."""
        if not self.limits and all(map(_plain, args)) and all(map(_plain, kwargs.values())):
            return  # the hot path (an id, a short name): no walking, no lists
        problems: list[str] = []
        missing: list[NotFound] = []
        for name, value in zip(self.positional, args, strict=False):
            self._one(name, name, value, problems, missing)
        if self.var_positional is not None:
            for index, value in enumerate(args[len(self.positional) :]):
                path = f"{self.var_positional}[{index}]"
                self._one(self.var_positional, path, value, problems, missing)
        for name, value in kwargs.items():
            self._one(name, name, value, problems, missing)
        if problems:
            raise ValidationError("invalid text", problems)
        if missing:
            raise missing[0]

    def _one(
        self,
        name: str,
        path: str,
        value: object,
        problems: list[str],
        missing: list[NotFound],
    ) -> None:
        if value is None or isinstance(value, bool | int | float):
            return
        limit = self.limits.get(name, MAX_TEXT)
        if limit is None:
            return
        if isinstance(value, str) and text_problem(value, path, limit) is None:
            return  # the common case, without walking
        bad = [
            (text, problem)
            for where, text in _walk(value, path)
            if (problem := text_problem(text, where, limit)) is not None
        ]
        if not bad:
            return
        takes_id = name in self.positional or name == self.var_positional
        if takes_id and _is_id(name):
            missing.append(NotFound(_kind(name), bad[0][0]))
        else:
            problems.extend(problem for _, problem in bad)


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    parameters = _Parameters.of(method)

    @functools.wraps(method)
    def checked(self: object, *args: Any, **kwargs: Any) -> Any:
        parameters.check(args, kwargs)
        return method(self, *args, **kwargs)

    return checked


def checks_text(cls: C) -> C:
    """Check the text of every argument of every public method of ``cls`` before it runs.

    Applied to each service class and to the facade, it is the one place where
    text that no storage keeps (NUL, lone surrogates) or that exceeds its bound
    is refused: :class:`~leadcore.errors.ValidationError` naming every bad
    argument, or :class:`~leadcore.errors.NotFound` for a positional id that
    cannot exist. Class methods, static methods and properties are left alone.
    """
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(member):
            continue
        setattr(cls, name, _guarded(member))
    return cls
