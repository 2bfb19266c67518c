"""Events serialise to a stable JSON envelope and back; a bad envelope names everything wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args, get_origin

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadcore.errors import LeadcoreError, ValidationError
from leadcore.events import (
    EVENT_TYPES,
    SCHEMA,
    Event,
    StatusChanged,
    TaskCreated,
    event_from_dict,
    event_to_dict,
)

ENVELOPE = ("event_id", "organization_id", "occurred_at", "actor_id")

ids = st.builds(
    "{}-{}".format, st.sampled_from(["org", "user", "lead", "task", "note"]), st.integers(1, 10**6)
)
texts = st.text(max_size=30)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))]),
)


def _values(tp: object, name: str) -> st.SearchStrategy[Any]:
    """Values of one event field, by its type."""
    origin, args = get_origin(tp), get_args(tp)
    if type(None) in args:
        (inner,) = (a for a in args if a is not type(None))
        return st.none() | _values(inner, name)
    if origin is tuple:
        return st.lists(_values(args[0], name), max_size=3).map(tuple)
    if tp is datetime:
        return moments
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(min_value=0, max_value=10**9)
    if tp is str:
        return ids if name.endswith(("_id", "_ids")) else texts
    raise AssertionError(f"no strategy for {name}: {tp!r}")  # a new field type needs one


def _events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    fields = attrs.fields(attrs.resolve_types(cls))
    return st.fixed_dictionaries({f.name: _values(f.type, f.name) for f in fields}).map(
        lambda kw: cls(**kw)
    )


EVENTS = {name: _events_of(cls) for name, cls in EVENT_TYPES.items()}
"""Every event of each type, by type name."""

any_event = st.one_of(*(EVENTS[name] for name in sorted(EVENTS)))


def data_fields(cls: type[Event]) -> list[str]:
    return [f.name for f in attrs.fields(cls) if f.name not in ENVELOPE]


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
@given(data=st.data())
def test_every_event_type_round_trips_through_the_envelope_and_json(
    name: str, data: st.DataObject
) -> None:
    event = data.draw(EVENTS[name])
    envelope = event_to_dict(event)
    assert list(envelope) == ["type", "schema", *ENVELOPE, "data"]
    assert envelope["type"] == name == type(event).type
    assert envelope["schema"] == SCHEMA
    assert list(envelope["data"]) == data_fields(type(event))
    text = json.dumps(envelope, ensure_ascii=False)
    assert event_from_dict(json.loads(text)) == event
    assert event_from_dict(envelope) == event


@given(any_event)
def test_the_envelope_is_plain_json_data(event: Event) -> None:
    envelope = event_to_dict(event)
    assert json.loads(json.dumps(envelope)) == envelope
    assert envelope["occurred_at"] == event.occurred_at.isoformat()


def test_every_type_name_is_dotted_lower_case_and_unique() -> None:
    for name, cls in EVENT_TYPES.items():
        assert cls.type == name
        assert name.count(".") == 1
        assert name == name.lower()
    assert len({cls.__name__ for cls in EVENT_TYPES.values()}) == len(EVENT_TYPES)


def test_an_event_type_cannot_be_registered_twice() -> None:
    from leadcore.events import event_type

    with pytest.raises(ValueError, match="registered twice"):
        event_type("lead.created")(StatusChanged)


# -- the stable schema, written out ---------------------------------------------------

GOLDEN = {
    "type": "lead.task_created",
    "schema": 1,
    "event_id": "evt-7",
    "organization_id": "org-1",
    "occurred_at": "2026-03-02T09:00:00+00:00",
    "actor_id": "user-1",
    "data": {
        "lead_id": "lead-3",
        "task_id": "task-2",
        "title": "Call back",
        "due_at": "2026-03-02T11:00:00+00:00",
        "assignee_id": "user-2",
        "kind": "callback",
    },
}


def test_the_schema_1_envelope_reads_as_documented() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    event = TaskCreated(
        event_id="evt-7",
        organization_id="org-1",
        occurred_at=at,
        actor_id="user-1",
        lead_id="lead-3",
        task_id="task-2",
        title="Call back",
        due_at=at + timedelta(hours=2),
        assignee_id="user-2",
        kind="callback",
    )
    assert event_from_dict(GOLDEN) == event
    assert event_to_dict(event) == GOLDEN


def test_fields_a_later_release_adds_to_data_are_ignored() -> None:
    newer = {**GOLDEN, "data": {**GOLDEN["data"], "priority": "high"}}  # type: ignore[dict-item]
    assert event_from_dict(newer) == event_from_dict(GOLDEN)


def test_a_missing_actor_is_the_system() -> None:
    envelope = {k: v for k, v in GOLDEN.items() if k != "actor_id"}
    assert event_from_dict(envelope).actor_id is None


def test_an_offset_is_kept_as_the_same_instant() -> None:
    envelope = {**GOLDEN, "occurred_at": "2026-03-02T11:00:00+02:00"}
    assert event_from_dict(envelope).occurred_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# -- bad envelopes --------------------------------------------------------------------


def _with(**changes: object) -> dict[str, object]:
    """GOLDEN with some keys changed (``data__x`` for ``data.x``); ``_DROP`` removes one."""
    out: dict[str, object] = dict(GOLDEN)
    data: dict[str, object] = dict(GOLDEN["data"])  # type: ignore[call-overload]
    for key, value in changes.items():
        target, name = (data, key[6:]) if key.startswith("data__") else (out, key)
        if value is _DROP:
            del target[name]
        else:
            target[name] = value
    if "data" not in changes:
        out["data"] = data
    return out


_DROP = object()

BAD: dict[str, tuple[object, list[str]]] = {
    "not a mapping": (["lead.created"], ["expected an object (a mapping), got list"]),
    "unknown type": (_with(type="lead.exploded"), ["type: 'lead.exploded' is not an event type"]),
    "no type": (_with(type=_DROP), ["type: None is not an event type"]),
    "future schema": (_with(schema=2), ["schema: 2 is not supported; accepted: 1"]),
    "schema as text": (_with(schema="1"), ["schema: '1' is not supported"]),
    "schema as a boolean": (_with(schema=True), ["schema: True is not supported"]),
    "data not a mapping": (_with(data=["x"]), ["data: expected an object (a mapping), got list"]),
    "no event id": (_with(event_id=_DROP), ["event_id: missing"]),
    "blank event id": (_with(event_id=" "), ["event_id: must not be blank"]),
    "event id not text": (_with(event_id=7), ["event_id: expected a string, got int 7"]),
    "no organisation": (_with(organization_id=None), ["organization_id: expected a string"]),
    "naive time": (
        _with(occurred_at="2026-03-02T09:00:00"),
        ["occurred_at: '2026-03-02T09:00:00' has no UTC offset"],
    ),
    "time not a date": (_with(occurred_at="tuesday"), ["occurred_at: 'tuesday' is not an ISO"]),
    "time as a number": (_with(occurred_at=1700000000), ["occurred_at: expected an ISO 8601"]),
    "missing data field": (_with(data__task_id=_DROP), ["data.task_id: missing"]),
    "number for text": (_with(data__lead_id=3), ["data.lead_id: expected a string, got int 3"]),
    "text for a time": (_with(data__due_at=5), ["data.due_at: expected an ISO 8601"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_envelope_raises_validation_error_naming_the_problem(case: str) -> None:
    envelope, wanted = BAD[case]
    with pytest.raises(ValidationError) as err:
        event_from_dict(envelope)  # type: ignore[arg-type]
    assert isinstance(err.value, LeadcoreError)
    assert isinstance(err.value, ValueError)
    for fragment in wanted:
        assert any(fragment in p for p in err.value.problems), err.value.problems


def test_every_problem_is_reported_at_once() -> None:
    envelope = _with(event_id=_DROP, occurred_at="noon", data__lead_id=1, data__kind=None)
    with pytest.raises(ValidationError) as err:
        event_from_dict(envelope)
    assert [p.split(":")[0] for p in err.value.problems] == [
        "event_id",
        "occurred_at",
        "data.lead_id",
        "data.kind",
    ]


def test_values_are_never_coerced() -> None:
    changed = {
        "type": "user.changed",
        "schema": 1,
        "event_id": "evt-1",
        "organization_id": "org-1",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "actor_id": None,
        "data": {"user_id": "user-2", "change": "role", "role": "qualifier", "active": "false"},
    }
    with pytest.raises(ValidationError, match=r"data.active: expected true or false"):
        event_from_dict(changed)
    published = {
        **changed,
        "type": "workflow.published",
        "data": {"kind": "leads", "workflow_id": "sales", "version": True},
    }
    with pytest.raises(ValidationError, match=r"data.version: expected an integer, got bool"):
        event_from_dict(published)
    created = {
        **changed,
        "type": "lead.created",
        "data": {"lead_id": "l", "name": "n", "phones": "+972", "emails": [1]},
    }
    with pytest.raises(ValidationError) as err:
        event_from_dict(created)
    assert err.value.problems == (
        "data.phones: expected a list, got str '+972'",
        "data.emails[0]: expected a string, got int 1",
    )


def test_a_nullable_field_says_null_is_accepted() -> None:
    envelope = dict(GOLDEN)
    envelope.update(
        type="lead.status_changed",
        data={"lead_id": "lead-1", "from_status": 3, "to_status": "new", "workflow_version": "1"},
    )
    with pytest.raises(ValidationError) as err:
        event_from_dict(envelope)
    assert err.value.problems == (
        "data.from_status: expected a string or null, got int 3",
        "data.workflow_version: expected an integer or null, got str '1'",
    )
