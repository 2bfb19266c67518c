"""Registers leadcore's strategies with hypothesis (the ``hypothesis`` entry point).

With leadcore installed, ``st.from_type(Workflow)`` draws valid workflows.
The strategies module is imported lazily: hypothesis loads this plugin while
it is itself being imported.
"""

from __future__ import annotations

from typing import Any


def _strategy(name: str) -> Any:
    from hypothesis import strategies as st

    def build() -> Any:
        from leadcore.testing import strategies

        return getattr(strategies, name)()

    return st.deferred(build)


def _register() -> None:
    from hypothesis import strategies as st

    from leadcore.workflow import Workflow

    st.register_type_strategy(Workflow, _strategy("workflows"))
