"""check_workflow and WorkflowMachine: clean workflows pass, broken ones get a counterexample."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest
from hypothesis import settings
from hypothesis.stateful import invariant, rule

from leadcore.errors import LeadcoreError, ValidationError, WorkflowInvalid
from leadcore.leads import HistoryEntry, HistoryKind, Lead
from leadcore.services._shared import Writer
from leadcore.testing import (
    PROPERTIES,
    ROLE_PROPERTIES,
    PropertyFailure,
    PropertyReport,
    PropertyViolated,
    WorkflowMachine,
    check_workflow,
)
from leadcore.workflow import Decision, Reason, ReasonCode, Workflow, sample_workflow


class Budget(TypedDict):
    max_examples: int
    max_steps: int
    seed: int


FAST: Budget = {"max_examples": 30, "max_steps": 10, "seed": 7}
# Hypothesis also draws constants from the project's own modules, so what one seed finds
# changes with the code; 100 runs find the stuck status whatever the code holds.
STUCK_BUDGET: Budget = {"max_examples": 100, "max_steps": 10, "seed": 7}


def _status(sid: str, category: str, *nxt: str, requires: str = "none") -> dict[str, object]:
    return {
        "id": sid,
        "name": sid.title(),
        "color": "#123456",
        "category": category,
        "requires": requires,
        "next": list(nxt),
    }


# "limbo" can be entered (it is a next stage of "new") but never left through next stages.
STUCK = Workflow.from_dict(
    {
        "id": "stuck",
        "name": "Stuck",
        "status": [
            _status("new", "todo", "limbo", "won"),
            _status("limbo", "in_progress"),
            _status("won", "done"),
        ],
    }
)


def test_the_bundled_sales_workflow_keeps_every_property() -> None:
    report = check_workflow(sample_workflow(), **FAST)
    assert report.ok
    assert bool(report)
    assert report.failures == ()
    assert str(report) == (
        "workflow 'sales' version 1: every property holds (seed 7; up to 30 runs of up to 10 steps)"
    )


@pytest.fixture(scope="module")
def stuck_report() -> PropertyReport:
    return check_workflow(STUCK, **STUCK_BUDGET)


def test_a_status_with_no_way_to_done_is_reported_with_a_shrunk_counterexample(
    stuck_report: PropertyReport,
) -> None:
    report = stuck_report
    assert not report.ok
    [failure] = report.failures
    assert failure.name == "role-reach-done"
    assert "'Limbo'" in failure.detail
    assert "dead-end" in failure.detail  # says which warning to accept if it is intended
    # The way a restricted user gets there, not an unrestricted user's jump into it.
    assert failure.steps == (
        "a qualifier (restricted to next stages) gives a lead with no status 'New'",
        "the qualifier moves it from 'New' to 'Limbo'",
        "the qualifier tries to move it from 'Limbo' to 'Won': refused (not-next-stage)",
    )
    assert failure.given[1] == "restricted to next stages: qualifier, salesperson"


def test_the_report_prints_the_counterexample_as_numbered_steps_not_a_traceback(
    stuck_report: PropertyReport,
) -> None:
    text = str(stuck_report)
    lines = text.splitlines()
    assert lines[0] == (
        "workflow 'stuck' version 1: 1 property broken (seed 7; up to 100 runs of up to 10 steps)"
    )
    assert f"role-reach-done: {ROLE_PROPERTIES['role-reach-done']}" in lines
    assert "  counterexample (3 steps):" in lines
    assert any(line.startswith("    1. ") for line in lines)
    assert any(line.startswith("    2. ") for line in lines)
    assert "Traceback" not in text


def test_accepting_the_warning_exempts_the_status_it_names(stuck_report: PropertyReport) -> None:
    report = check_workflow(STUCK, accept=["dead-end", "unreachable"], **FAST)
    assert report.ok
    assert "accepted: dead-end, unreachable" in str(report)
    # Another warning does not cover it.
    assert WorkflowMachine(STUCK, accept=["unreachable"])._stuck == {"limbo"}


def test_a_cycle_without_a_way_out_is_a_no_path_to_done_failure(tmp_path: Path) -> None:
    path = tmp_path / "cycle.toml"
    path.write_text(
        """
id = "cycle"
name = "Cycle"

[[status]]
id = "new"
name = "New"
color = "#000000"
category = "todo"
next = ["a", "won"]

[[status]]
id = "a"
name = "A"
color = "#000000"
category = "in_progress"
next = ["b"]

[[status]]
id = "b"
name = "B"
color = "#000000"
category = "in_progress"
next = ["a"]

[[status]]
id = "won"
name = "Won"
color = "#000000"
category = "done"
""",
        encoding="utf-8",
    )
    report = check_workflow(path, **FAST)
    assert report.source == str(path)
    assert [f.name for f in report.failures] == ["role-reach-done"]
    assert "no-path-to-done" in report.failures[0].detail
    assert check_workflow(path, accept=["no-path-to-done"], **FAST).ok


def test_the_same_seed_gives_the_same_report(stuck_report: PropertyReport) -> None:
    assert check_workflow(STUCK, **STUCK_BUDGET) == stuck_report


def test_without_a_seed_the_report_names_the_seed_it_used() -> None:
    report = check_workflow(sample_workflow(), max_examples=3, max_steps=5)
    again = check_workflow(sample_workflow(), max_examples=3, max_steps=5, seed=report.seed)
    assert again == report


def test_a_broken_file_raises_workflow_invalid(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"\nname = "X"\nstatus = []\n', encoding="utf-8")
    with pytest.raises(WorkflowInvalid):
        check_workflow(path, **FAST)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"accept": ["self-loop"]}, "accept[0]: 'self-loop' is not a lint warning"),
        ({"accept": ["nope"]}, "accept[0]: 'nope' is not a lint warning"),
        ({"max_examples": 0}, "max_examples: must be a whole number, 1 or more, got 0"),
        ({"max_steps": True}, "max_steps: must be a whole number, 1 or more, got True"),
    ],
)
def test_bad_options_are_refused_with_what_is_accepted(
    kwargs: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_workflow(sample_workflow(), **kwargs)
    assert any(p.startswith(problem) for p in caught.value.problems)


# -- the properties catch a core that breaks them ------------------------------------------


def test_a_core_that_skips_requirements_breaks_requirements_or_next_stages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def allow_everything(self: Workflow, current: str | None, target: str, **_: object) -> Decision:
        return Decision(target=target)

    monkeypatch.setattr(Workflow, "decide", allow_everything)
    report = check_workflow(sample_workflow(), **FAST)
    failures = {f.name: f for f in report.failures}
    # The role properties ask the engine too: a restricted role may now close a new lead.
    entry = failures.pop("entry-not-done")
    assert entry.steps == (
        "a qualifier (restricted to next stages) gives a lead with no status 'Won'",
    )
    assert set(failures) <= {"requirements-enforced", "restricted-next-stages"}
    assert failures
    for failure in failures.values():
        assert "was accepted, but" in failure.detail
        assert failure.steps[-1].endswith("accepted")


def test_a_core_that_refuses_valid_moves_breaks_valid_moves_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_everything(
        self: Workflow, current: str | None, target: str, **_: object
    ) -> Decision:
        return Decision(target=target, reasons=(Reason(ReasonCode.SAME_STATUS, "never"),))

    monkeypatch.setattr(Workflow, "decide", refuse_everything)
    report = check_workflow(sample_workflow(), **FAST)
    assert [f.name for f in report.failures] == ["role-reachable", "valid-moves-accepted"]
    assert "can never bring a lead into 'New'" in report.failures[0].detail
    assert report.failures[0].steps == (
        "an account_manager tries to give a lead with no status 'New': refused (same-status)",
    )
    assert "though it meets every requirement" in report.failures[1].detail


def test_a_core_that_forgets_history_entries_breaks_history_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = Writer.history

    def forgetful(self: Writer, lead: Lead, kind: HistoryKind, **values: str | None) -> Any:
        if kind is HistoryKind.STATUS_CHANGED:
            return None
        return original(self, lead, kind, **values)

    monkeypatch.setattr(Writer, "history", forgetful)
    report = check_workflow(sample_workflow(), **FAST)
    assert [f.name for f in report.failures] == ["history-complete"]
    assert "records the status changes none" in report.failures[0].detail


# -- subclassing -------------------------------------------------------------------------


class NoteTaking(WorkflowMachine):
    """A host's machine: adds a rule, and an invariant that fails once a lead has a note."""

    @rule(lead=WorkflowMachine.leads)
    def add_a_note(self, lead: str) -> None:
        self.step(f"Dana writes a note on {lead}")
        self.admin.leads.add_note(lead, "left a voicemail")

    @invariant()
    def no_lead_has_a_note(self) -> None:
        for lead in self.statuses:
            if self.admin.leads.notes(lead):
                self.violate("no-notes", f"{lead} has a note")


def test_a_subclass_adds_rules_and_properties_and_its_steps_are_reported() -> None:
    report = check_workflow(sample_workflow(), machine=NoteTaking, **FAST)
    [failure] = report.failures
    assert failure.name == "no-notes"
    assert failure.steps[-1] == "Dana writes a note on lead-1"
    assert str(failure).splitlines()[0] == "no-notes"  # a host property has no stated promise


class Crashing(WorkflowMachine):
    @rule()
    def crash(self) -> None:
        self.step("something goes wrong")
        raise KeyError("lead-404")

    @rule()
    def assert_false(self) -> None:
        self.step("an assertion fails")
        raise AssertionError("the host's own check")


def test_an_error_inside_a_run_is_a_failure_with_its_steps_not_a_traceback() -> None:
    report = check_workflow(sample_workflow(), machine=Crashing, **FAST)
    by_name = {f.name: f for f in report.failures}
    assert set(by_name) == {"unexpected-error", "assertion"}
    assert by_name["unexpected-error"].detail == "KeyError: 'lead-404'"
    assert by_name["unexpected-error"].steps == ("something goes wrong",)
    assert by_name["assertion"].detail == "AssertionError: the host's own check"
    assert by_name["assertion"].steps == ("an assertion fails",)


class SalesMachine(WorkflowMachine):
    workflow = sample_workflow()


SalesMachine.TestCase.settings = settings(max_examples=5, stateful_step_count=10, deadline=None)
TestSalesMachine = SalesMachine.TestCase


def test_a_machine_without_a_workflow_says_how_to_give_it_one() -> None:
    with pytest.raises(ValidationError) as caught:
        WorkflowMachine()
    assert "workflow: set it on WorkflowMachine" in caught.value.problems[0]


def test_property_violated_is_a_leadcore_error_and_an_assertion() -> None:
    error = PropertyViolated("reach-done", "lead-1 is stuck", ["Dana creates lead-1"])
    assert isinstance(error, LeadcoreError)
    assert isinstance(error, AssertionError)
    assert str(error) == "reach-done: lead-1 is stuck\n  1. Dana creates lead-1"


def test_a_report_with_failures_is_falsy_and_lists_each() -> None:
    failure = PropertyFailure("history-complete", "lead-1 lost an entry", steps=("a", "b"))
    report = PropertyReport("wf.toml", "wf", 1, seed=3, max_examples=5, max_steps=5)
    broken = PropertyReport(
        "wf.toml", "wf", 1, seed=3, max_examples=5, max_steps=5, failures=(failure, failure)
    )
    assert report
    assert not broken
    assert str(broken).splitlines()[0] == (
        "wf.toml: 2 properties broken (seed 3; up to 5 runs of up to 5 steps)"
    )
    assert str(broken).count("  counterexample (2 steps):") == 2


def test_every_stated_property_has_a_promise() -> None:
    assert set(PROPERTIES) == {
        "requirements-enforced",
        "restricted-next-stages",
        "reach-done",
        "history-complete",
        "valid-moves-accepted",
    }
    assert all(text.strip() for text in PROPERTIES.values())


def test_history_entries_are_read_newest_first_by_the_invariant() -> None:
    # The invariant reverses the stored order; a lead with two moves shows both, in order.
    machine = WorkflowMachine(sample_workflow())
    try:
        lead = machine.create_lead(machine.admin.user_id, None)
        assert isinstance(lead, str)
        machine.change_status(machine.admin.user_id, lead, "new")
        machine.change_status(machine.admin.user_id, lead, "contacted", note="spoke")
        machine.history_is_complete()
        entries: tuple[HistoryEntry, ...] = machine.admin.leads.history(lead).items
        assert [e.to_status for e in entries if e.kind is HistoryKind.STATUS_CHANGED] == [
            "contacted",
            "new",
        ]
        assert machine.steps[-1].endswith("with the note 'spoke', without a task: accepted")
    finally:
        machine.teardown()
