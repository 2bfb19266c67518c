"""check_workflow over generated workflows: one without lint warnings keeps every property."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from leadcore.testing import check_workflow
from leadcore.testing.strategies import workflows
from leadcore.workflow import Workflow


@settings(max_examples=5, suppress_health_check=[HealthCheck.nested_given])
@given(workflows(clean=True, max_statuses=6))
def test_every_workflow_without_warnings_keeps_every_property(wf: Workflow) -> None:
    report = check_workflow(wf, max_examples=8, max_steps=10, seed=0)
    assert report.ok, str(report)
