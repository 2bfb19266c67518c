"""The specialised encodings of records and events equal the converter's generic path.

Leads, history entries and events are encoded thousands of times by an
import: optional text and numbers are read inline (a hook of
:mod:`leadcore.serde`), an event's ``data`` is built by a function made once
per event class, and the JSON encoder is built once. Each must give exactly
what cattrs' generic path gives, for any record.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import attrs
from cattrs._compat import is_optional
from hypothesis import given
from hypothesis import strategies as st

from leadcore.events import EVENT_TYPES, Event
from leadcore.events._codec import event_to_dict
from leadcore.events._model import event_fields
from leadcore.leads import HistoryEntry, HistoryKind, Lead, Source
from leadcore.serde import converter
from leadcore.storage.sql._codec import decode, encode

ids = st.text(min_size=1, max_size=12)
maybe_ids = st.none() | ids
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
field_values = (
    st.none()
    | st.text(max_size=8)
    | st.integers()
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.dates(min_value=date(1900, 1, 1))
)

leads = st.builds(
    Lead,
    id=ids,
    organization_id=ids,
    name=st.text(min_size=1, max_size=20),
    created_at=instants,
    updated_at=instants,
    phones=st.lists(st.text(max_size=14), max_size=3).map(tuple),
    emails=st.lists(st.text(max_size=14), max_size=3).map(tuple),
    source=st.builds(Source, supplier_id=maybe_ids, channel=maybe_ids),
    project_id=maybe_ids,
    pool_id=maybe_ids,
    status_id=maybe_ids,
    fields=st.dictionaries(st.text(max_size=6), field_values, max_size=3),
    assignee_ids=st.lists(ids, max_size=3).map(tuple),
    last_contact_at=st.none() | instants,
    attempts=st.integers(0, 1000),
    version=st.integers(1, 1000),
    duplicate_of=maybe_ids,
    do_not_call=st.booleans(),
    conversion_id=maybe_ids,
)

entries = st.builds(
    HistoryEntry,
    id=ids,
    organization_id=ids,
    lead_id=ids,
    kind=st.sampled_from(HistoryKind),
    at=instants,
    actor_id=ids,
    from_status=maybe_ids,
    to_status=maybe_ids,
    note_id=maybe_ids,
    task_id=maybe_ids,
    text=st.none() | st.text(max_size=30),
)


def generic(record: Any) -> dict[str, Any]:
    """cattrs' own path: each attribute through the hook of its type, optionals wrapped."""
    cls = attrs.resolve_types(type(record))
    out: dict[str, Any] = {}
    for a in attrs.fields(cls):
        hook = (
            converter.gen_unstructure_optional(a.type)
            if is_optional(a.type)
            else converter.get_unstructure_hook(a.type)
        )
        value = hook(getattr(record, a.name))
        out[a.name] = generic(value) if attrs.has(type(value)) else value
    return out


@given(leads)
def test_a_lead_encodes_as_the_generic_path_gives_and_reads_back(lead: Lead) -> None:
    assert converter.unstructure(lead) == generic(lead)
    assert decode(encode(lead), Lead) == lead


@given(entries)
def test_a_history_entry_encodes_as_the_generic_path_gives_and_reads_back(
    entry: HistoryEntry,
) -> None:
    assert converter.unstructure(entry) == generic(entry)
    assert decode(encode(entry), HistoryEntry) == entry


def test_the_encoding_is_compact_json() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    lead = Lead(id="l1", organization_id="o1", name="Dana", created_at=at, updated_at=at)
    text = encode(lead)
    assert text == json.dumps(
        converter.unstructure(lead), ensure_ascii=False, separators=(",", ":")
    )


def _event_values(cls: type[Event]) -> st.SearchStrategy[Event]:
    """Events of ``cls`` with values of the types their fields declare."""
    resolved = attrs.resolve_types(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for a in attrs.fields(resolved):
        if a.name == "occurred_at":
            fields[a.name] = instants
        elif a.name in ("event_id", "organization_id"):
            fields[a.name] = ids
        else:
            fields[a.name] = st.from_type(a.type)
    return st.builds(resolved, **fields)


events = st.sampled_from(sorted(EVENT_TYPES.values(), key=lambda c: c.type)).flatmap(_event_values)


@given(events)
def test_the_data_of_an_event_is_the_generic_unstructuring_of_its_fields(event: Event) -> None:
    envelope = event_to_dict(event)
    assert envelope["data"] == converter.unstructure(dict(event_fields(event)))
    assert type(envelope["data"]) is dict
