"""Statuses and workflows as values: lookups, immutability, equality, the bundled samples."""

from __future__ import annotations

import attrs
import pytest

from leadcore.errors import NotFound, WorkflowInvalid
from leadcore.workflow import (
    Category,
    Requirement,
    Status,
    Workflow,
    load_workflow,
    read_definition,
    sample_workflow,
)


def _statuses() -> list[Status]:
    return [
        Status(id="new", name="New", color="#1E88E5", category="todo", next=("won", "lost")),
        Status(id="won", name="Won", color="#43A047", category="done", requires="note"),
        Status(id="lost", name="Lost", color="#E53935", category=Category.DONE),
    ]


def test_status_reads_file_spellings_into_enums() -> None:
    won = _statuses()[1]
    assert won.category is Category.DONE
    assert won.requires is Requirement.NOTE
    assert won.is_done
    assert won.next == ()
    assert won.to_dict() == {
        "id": "won",
        "name": "Won",
        "color": "#43A047",
        "category": "done",
        "requires": "note",
        "next": [],
    }


def test_requirements_say_what_they_need() -> None:
    assert [(r.needs_note, r.needs_task) for r in Requirement] == [
        (False, False),
        (True, False),
        (False, True),
        (True, True),
    ]


def test_a_workflow_built_directly_defaults_its_entry_to_the_first_status() -> None:
    wf = Workflow(id="sales", name="Sales", statuses=_statuses())
    assert wf.entry == ("new",)
    assert wf.version == 1
    assert wf.status_ids == ("new", "won", "lost")
    assert wf.next_stages(None) == ("new",)
    assert wf == Workflow.from_dict(wf.to_dict())


def test_lookups() -> None:
    wf = Workflow(id="sales", name="Sales", statuses=_statuses(), entry=["new"], version=4)
    assert wf.status("won").name == "Won"
    assert wf.next_stages("new") == ("won", "lost")
    assert wf.next_stages("won") == ()
    assert wf.is_done("lost")
    assert not wf.is_done("new")
    assert wf.index("lost") == 2
    assert wf.done_statuses() == ("won", "lost")
    assert "new" in wf
    assert "nope" not in wf
    assert None not in wf
    assert repr(wf) == "Workflow(id='sales', name='Sales', version=4, statuses=3)"


@pytest.mark.parametrize(
    "call",
    [
        lambda wf: wf.status("nope"),
        lambda wf: wf.next_stages("nope"),
        lambda wf: wf.is_done("nope"),
        lambda wf: wf.index("nope"),
    ],
    ids=["status", "next_stages", "is_done", "index"],
)
def test_an_unknown_status_is_not_found(call: object) -> None:
    wf = Workflow(id="sales", name="Sales", statuses=_statuses())
    with pytest.raises(NotFound) as info:
        call(wf)  # type: ignore[operator]
    assert isinstance(info.value, LookupError)
    assert str(info.value) == "status 'nope' not found"


def test_workflows_are_immutable_values() -> None:
    wf = sample_workflow()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        wf.name = "Other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        wf.statuses[0].name = "Other"  # type: ignore[misc]
    assert wf == sample_workflow()
    assert hash(wf) == hash(sample_workflow())
    changed = attrs.evolve(wf, version=2)
    assert changed != wf
    assert changed.decide("new", "no_answer").allowed


def test_evolving_into_an_invalid_workflow_is_refused() -> None:
    with pytest.raises(WorkflowInvalid):
        attrs.evolve(sample_workflow(), entry=("nope",))


def test_the_bundled_samples_are_clean() -> None:
    sales = sample_workflow()
    assert len(sales.statuses) == 12
    assert sales.warnings == ()
    hebrew = sample_workflow("qualification.he")
    assert hebrew.status("new").name == "חדש"
    assert hebrew.warnings == ()


def test_load_workflow_reads_toml_and_json_files(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    wf = sample_workflow("qualification.he")
    (tmp_path / "q.toml").write_text(wf.to_toml(), encoding="utf-8")
    (tmp_path / "q.JSON").write_text(wf.to_json(), encoding="utf-8")
    assert load_workflow(tmp_path / "q.toml") == wf
    assert load_workflow(str(tmp_path / "q.JSON")) == wf
    assert read_definition(tmp_path / "q.toml") == wf.to_dict()
    (tmp_path / "list.json").write_text("[1]", encoding="utf-8")
    with pytest.raises(WorkflowInvalid):
        load_workflow(tmp_path / "list.json")
    with pytest.raises(FileNotFoundError):
        load_workflow(tmp_path / "missing.toml")
