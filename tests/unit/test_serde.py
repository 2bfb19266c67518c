"""One converter: workflows and plain values round-trip through dicts and JSON text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from leadcore import serde
from leadcore.errors import WorkflowInvalid
from leadcore.workflow import Category, Requirement, Workflow, sample_workflow


@pytest.mark.parametrize("name", ["sales", "qualification.he"])
def test_a_workflow_round_trips_through_plain_data_and_json(name: str) -> None:
    wf = sample_workflow(name)
    data = serde.unstructure(wf)
    assert data == wf.to_dict()
    assert serde.structure(data, Workflow) == wf
    text = serde.dumps(wf)
    assert json.loads(text) == data
    assert serde.loads(text, Workflow) == wf


def test_json_text_keeps_hebrew_readable_and_sorted() -> None:
    text = serde.dumps(sample_workflow("qualification.he"))
    assert "טיוב לידים" in text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_structuring_an_invalid_definition_reports_every_finding() -> None:
    data: dict[str, Any] = sample_workflow().to_dict()
    data["status"][0]["color"] = "blue"
    data["status"][1]["next"].append("nowhere")
    with pytest.raises(WorkflowInvalid) as info:
        serde.structure(data, Workflow)
    assert [f.path for f in info.value.errors] == ["status[0].color", "status[1].next[4]"]
    with pytest.raises(WorkflowInvalid):
        serde.loads("[1, 2]", Workflow)


def test_enums_go_by_value_and_datetimes_as_iso_text() -> None:
    assert serde.unstructure(Category.IN_PROGRESS) == "in_progress"
    assert serde.structure("note_and_task", Requirement) is Requirement.NOTE_AND_TASK
    when = datetime(2026, 5, 4, 3, 2, 1, tzinfo=timezone(timedelta(hours=3)))
    assert serde.unstructure(when) == "2026-05-04T03:02:01+03:00"
    assert serde.structure(serde.unstructure(when), datetime) == when
    assert serde.loads(serde.dumps(datetime(2026, 1, 1, tzinfo=UTC)), datetime).tzinfo is not None
