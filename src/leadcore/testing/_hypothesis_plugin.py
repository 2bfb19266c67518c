"""Registers leadcore's strategies with hypothesis (the ``hypothesis`` entry point).

With leadcore installed, ``st.from_type(Workflow)`` draws valid workflows,
and so on for every type in :data:`REGISTERED`. The strategies module is
imported lazily: hypothesis loads this plugin while it is itself being
imported.
"""

from __future__ import annotations

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


def _strategy(name: str) -> Any:
    from hypothesis import strategies as st

    def build() -> Any:
        from leadcore.testing import strategies

        return getattr(strategies, name)()

    return st.deferred(build)


def _register() -> None:
    import importlib

    from hypothesis import strategies as st

    for module, cls, strategy in REGISTERED:
        st.register_type_strategy(
            getattr(importlib.import_module(module), cls), _strategy(strategy)
        )
