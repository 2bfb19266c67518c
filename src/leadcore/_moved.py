"""Old import paths kept for one release: each name warns and answers from its new home."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["moved_module", "moved_names", "renamed", "renamed_names"]


def _answer(old: str, module: str, attribute: str, *, renamed: bool = False) -> object:
    """``module.attribute``, with one ``DeprecationWarning`` for the old name ``old``.

    The new home may itself forward (a name moved twice): only this warning is given.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = getattr(importlib.import_module(module), attribute)  # AttributeError if unknown
    new = f"{module}.{attribute}"
    message = (
        f"{old} is renamed {new}; the old name will be removed in the next release"
        if renamed
        else f"{old} moved to {new}; the old path will be removed in the next release"
    )
    warnings.warn(message, DeprecationWarning, stacklevel=3)  # the caller of __getattr__
    return value


def moved_module(old: str, new: str) -> Callable[[str], object]:
    """A module ``__getattr__`` for a module that moved whole from ``old`` to ``new``."""

    def __getattr__(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        return _answer(f"{old}.{name}", new, name)

    return __getattr__


def moved_names(old: str, names: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for moved names of ``old``: ``names`` maps each to its module."""

    def __getattr__(name: str) -> object:
        new = names.get(name)
        if new is None:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        return _answer(f"{old}.{name}", new, name)

    return __getattr__


def renamed_names(
    old: str,
    names: Mapping[str, str],
    *,
    otherwise: Callable[[str], object] | None = None,
) -> Callable[[str], object]:
    """A module ``__getattr__`` for renamed names of ``old``.

    ``names`` maps each old name to the new one's full dotted path
    (``"leadcore.events.LeadWasConverted"``); any other name goes to
    ``otherwise`` (another module ``__getattr__``), or is an ``AttributeError``.
    """

    def __getattr__(name: str) -> object:
        new = names.get(name)
        if new is None:
            if otherwise is not None:
                return otherwise(name)
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        module, _, attribute = new.rpartition(".")
        return _answer(f"{old}.{name}", module, attribute, renamed=True)

    return __getattr__


class renamed:
    """A method's old name, kept for one release: it warns, then calls the new name.

    >>> import warnings
    >>> class Service:
    ...     def set_settings(self, value: int) -> int:
    ...         return value
    ...     configure = renamed("set_settings")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     Service().configure(3)
    3
    >>> str(caught[0].message).split(";")[0]
    'Service.configure is renamed Service.set_settings'

    It is not a function, so the boundary checks of the service classes leave it
    alone: the call they check is the one under the new name.
    """

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = ""
        self.__doc__ = f"Deprecated alias of :meth:`{new}` (one release)."

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = name
        self.owner = owner.__name__

    def __get__(self, instance: object, owner: type | None = None) -> Callable[..., Any]:
        if instance is None:
            return self  # type: ignore[return-value]
        target = getattr(instance, self.new)
        message = (
            f"{self.owner}.{self.old} is renamed {self.owner}.{self.new}; "
            "the old name will be removed in the next release"
        )

        def alias(*args: Any, **kwargs: Any) -> Any:
            warnings.warn(message, DeprecationWarning, stacklevel=2)
            return target(*args, **kwargs)

        return alias
