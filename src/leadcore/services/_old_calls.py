"""Old call shapes of service methods, accepted for one release with a warning.

Renamed keyword arguments (:func:`renamed_keywords`) are rewritten to their
new names.

The views take who first, then when: ``week(user_ids, day)`` and
``month(user_ids, year, month)``, as ``day(user_ids, day)`` always did; a
search page is ``limit=`` long. The old shapes (``week(day, user_ids=...)``,
``month(year, month, user_ids=...)``, where the users defaulted to the acting
user, and ``search(page_size=...)``) are rewritten into the new one before the
boundary checks run, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, Generic, ParamSpec, TypeAlias, TypeVar, overload

__all__ = ["OldCalls", "month_call", "renamed_keywords", "search_call", "week_call"]

P = ParamSpec("P")
R = TypeVar("R")

Arguments: TypeAlias = tuple[tuple[Any, ...], dict[str, Any]]
#: Rewrites an old call (``acting_user, args, kwargs``) into the new shape, with what was old;
#: ``None`` when the call already has the new shape.
Adapt: TypeAlias = Callable[[str, tuple[Any, ...], dict[str, Any]], "tuple[Arguments, str] | None"]


class OldCalls(Generic[P, R]):
    """A method that also takes its old call shape for one release, rewritten by ``adapt``.

    On the class it is the method itself (so documentation, signatures and the
    boundary checks see the new shape); on an instance it rewrites an old call,
    warns, and calls the method.
    """

    def __init__(self, method: Callable[Concatenate[Any, P], R], adapt: Adapt) -> None:
        self.method = method
        self.adapt = adapt
        self.__doc__ = method.__doc__
        self.owner = ""
        self.name = method.__name__

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner.__name__
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> Callable[Concatenate[Any, P], R]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> Callable[P, R]: ...

    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., R]:
        if instance is None:
            return self.method
        method, adapt, where = self.method, self.adapt, f"{self.owner}.{self.name}"
        acting: str = instance._ctx.user_id  # type: ignore[attr-defined]

        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> R:
            old = adapt(acting, args, kwargs)
            if old is not None:
                (args, kwargs), what = old
                warnings.warn(
                    f"{where}: {what}; the old form will be removed in the next release",
                    DeprecationWarning,
                    stacklevel=2,
                )
            return method(instance, *args, **kwargs)

        call.__wrapped__ = functools.partial(method, instance)
        return call


def _who_first(
    acting: str, args: tuple[Any, ...], kwargs: dict[str, Any], when: tuple[str, ...]
) -> Arguments:
    """The old positional ``when`` arguments and ``user_ids=`` keyword as one keyword call."""
    new = dict(kwargs)
    new.update(zip(when, args, strict=False))
    users = new.pop("user_ids", None)
    return (), {"user_ids": acting if users is None else users, **new}


def week_call(
    acting: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Arguments, str] | None:
    """Rewrite ``week(day, user_ids=...)`` and ``week(day=...)`` into ``week(user_ids, day)``."""
    old_positional = len(args) == 1 and isinstance(args[0], date) and "day" not in kwargs
    old_keywords = not args and "user_ids" not in kwargs
    if not (old_positional or old_keywords):
        return None
    return _who_first(acting, args, kwargs, ("day",)), (
        "week(day, user_ids=...) is now week(user_ids, day), who first, then when"
    )


def month_call(
    acting: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Arguments, str] | None:
    """Rewrite ``month(year, month, user_ids=...)`` into ``month(user_ids, year, month)``."""
    old_positional = 1 <= len(args) <= 2 and isinstance(args[0], int)
    old_keywords = not args and "user_ids" not in kwargs
    if not (old_positional or old_keywords):
        return None
    return _who_first(acting, args, kwargs, ("year", "month")), (
        "month(year, month, user_ids=...) is now month(user_ids, year, month), who first, then when"
    )


def search_call(
    acting: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Arguments, str] | None:
    """Rewrite ``search(page_size=...)`` into ``search(limit=...)``."""
    if "page_size" not in kwargs:
        return None
    new = dict(kwargs)
    size = new.pop("page_size")
    if "limit" in new:
        raise TypeError("search() takes limit= (page_size= is its old name), not both")
    new["limit"] = size
    return (args, new), "search(page_size=...) is now search(limit=...)"


def renamed_keywords(
    names: dict[str, str], *, values: dict[str, Callable[[Any], Any]] | None = None
) -> Adapt:
    """Rewrite keyword arguments renamed ``old=`` to ``new=`` (``names`` maps old to new).

    ``values`` may rewrite an old argument's value for its new name (a single
    status becoming a set of them).
    """
    convert = values or {}

    def adapt(
        acting: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[Arguments, str] | None:
        old = [name for name in names if name in kwargs]
        if not old:
            return None
        new = dict(kwargs)
        for name in old:
            target = names[name]
            if target in new:
                raise TypeError(f"takes {target}= ({name}= is its old name), not both")
            value = new.pop(name)
            new[target] = convert[name](value) if name in convert else value
        return (args, new), ", ".join(f"{name}= is now {names[name]}=" for name in old)

    return adapt
