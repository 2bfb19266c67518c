"""Registers leadcore's strategies with hypothesis (the ``hypothesis`` entry point).

With leadcore installed, ``st.from_type(Workflow)`` draws valid workflows.
"""

from __future__ import annotations


def _register() -> None:
    from hypothesis import strategies as st

    from leadcore.testing import strategies
    from leadcore.workflow import Status, Workflow

    st.register_type_strategy(Workflow, strategies.workflows())
    st.register_type_strategy(Status, strategies.workflows().map(lambda wf: wf.statuses[0]))
