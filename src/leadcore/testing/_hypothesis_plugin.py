"""Registers leadcore's strategies with hypothesis (the ``hypothesis`` entry point).

With leadcore installed, ``st.from_type(Workflow)`` draws valid workflows,
and so on for every type in :data:`REGISTERED`.

Hypothesis runs this entry point while it is itself being imported, in every
program that imports hypothesis, whether or not it uses leadcore. So the
registration imports nothing of leadcore: a type whose module is already
loaded is registered at once, and the others the moment their module finishes
loading (a ``from_type`` call needs the type, hence its module, first).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

#: Each registered type, as (module, class name), with the strategy function that draws it.
REGISTERED: tuple[tuple[str, str, str], ...] = (
    ("leadcore.workflow", "Workflow", "workflows"),
    ("leadcore.dispatch", "ProjectRules", "project_rules"),
    ("leadcore.dispatch", "Pool", "pools"),
    ("leadcore.dispatch", "ProjectPools", "project_pools"),
    ("leadcore.dispatch", "AgentFilter", "agent_filters"),
    ("leadcore.calendar", "Recurrence", "recurrences"),
    ("leadcore.calendar", "Activity", "activities"),
    ("leadcore.testing._organizations", "OrganizationPlan", "organization_plans"),
)


def _strategy(name: str) -> Callable[[type], Any]:
    # A function, not a strategy: hypothesis calls it at ``from_type`` time, so
    # registering reads nothing and cannot re-enter a module still being imported.
    def build(_: type) -> Any:
        from leadcore.testing import strategies

        return getattr(strategies, name)()

    return build


def _register_module(module: ModuleType) -> None:
    from hypothesis import strategies as st

    for home, cls, strategy in REGISTERED:
        if home == module.__name__:
            st.register_type_strategy(getattr(module, cls), _strategy(strategy))


class _Loader(importlib.abc.Loader):
    """Runs the real loader, then registers the module's types."""

    def __init__(self, inner: importlib.abc.Loader) -> None:
        self._inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        _register_module(module)


class _WhenImported(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of a module whose types wait to be registered."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        self.names.discard(fullname)
        if not self.names:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def _register() -> None:
    waiting: set[str] = set()
    for home in dict.fromkeys(home for home, _, _ in REGISTERED):
        module = sys.modules.get(home)
        if module is not None:
            _register_module(module)
        else:
            waiting.add(home)
    if waiting:
        sys.meta_path.insert(0, _WhenImported(waiting))
