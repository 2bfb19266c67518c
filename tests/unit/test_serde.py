"""One converter: workflows, records and plain values round-trip through dicts and JSON text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore import serde
from leadcore.errors import WorkflowInvalid
from leadcore.leads import Conversion, FieldValue, Lead
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


_FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.dates(),
)
_INSTANTS = st.datetimes(timezones=st.just(UTC))


@given(
    fields=st.dictionaries(st.text(min_size=1, max_size=6), _FIELD_VALUES, max_size=5),
    created=_INSTANTS,
)
def test_every_lead_round_trips_through_json_with_its_custom_fields_exactly(
    fields: dict[str, FieldValue], created: datetime
) -> None:
    lead = Lead(
        id="lead-1",
        organization_id="org-1",
        name="Yael",
        created_at=created,
        updated_at=created,
        fields=fields,
    )
    back = serde.loads(serde.dumps(lead), Lead)
    assert back == lead
    assert {k: type(v) for k, v in back.fields.items()} == {k: type(v) for k, v in fields.items()}


@given(
    snapshot=st.dictionaries(
        st.text(min_size=1, max_size=6),
        st.one_of(_FIELD_VALUES, st.tuples(st.text(max_size=4)), st.tuples()),
        max_size=5,
    ),
    at=_INSTANTS,
)
def test_every_conversion_round_trips_with_its_snapshot_exactly(
    snapshot: dict[str, FieldValue | tuple[str, ...]], at: datetime
) -> None:
    conversion = Conversion(
        id="conversion-1",
        organization_id="org-1",
        lead_id="lead-1",
        converted_at=at,
        converted_by="user-1",
        contact_id="contact-1",
        account_id="account-1",
        account_created=True,
        opportunity_id=None,
        from_status="qualified",
        to_status="converted",
        snapshot=snapshot,
    )
    assert serde.loads(serde.dumps(conversion), Conversion) == conversion


def test_a_custom_field_date_is_tagged_so_that_it_is_not_read_back_as_text() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    lead = Lead(
        id="l1",
        organization_id="o1",
        name="Yael",
        created_at=at,
        updated_at=at,
        fields={"born": date(1990, 1, 2), "note": "1990-01-02"},
    )
    data = serde.unstructure(lead)
    assert data["fields"] == {"born": {"$date": "1990-01-02"}, "note": "1990-01-02"}
    assert serde.structure(data, Lead).fields == {"born": date(1990, 1, 2), "note": "1990-01-02"}
