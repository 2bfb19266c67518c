"""The import's shortcuts answer exactly as the general paths they stand in for."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadcore._text import _walk, text_problem, text_problems
from leadcore.leads import Lead
from leadcore.storage.sql._bulk import _positional
from leadcore.storage.sql._keys import contact_key
from leadcore.storage.sql._tables import contact_keys
from leadcore.workflow import name_key

# Text with what the checks look for: NUL, lone surrogates, non-ASCII, length.
texts = st.text(st.sampled_from(["a", "ש", "\x00", "\ud800", "\udc00", " ", "é"]), max_size=12)
values = texts | st.none() | st.integers() | st.lists(texts, max_size=2)
rows = st.dictionaries(texts | st.integers(), values, max_size=5)


def walked(value: object, path: str, limit: int) -> list[str]:
    """Every problem, found by walking each piece of text on its own."""
    found = (text_problem(text, where, limit) for where, text in _walk(value, path))
    return [problem for problem in found if problem is not None]


@given(rows, st.integers(0, 12))
def test_a_rows_text_problems_are_those_of_the_full_walk(row: dict[Any, Any], limit: int) -> None:
    assert text_problems(row, "rows[0]", limit) == walked(row, "rows[0]", limit)


@given(
    st.lists(
        st.fixed_dictionaries({"a": st.integers(), "b": texts, "c": st.booleans()}), max_size=5
    ),
    st.permutations(["a", "b", "c"]),
    st.sets(st.sampled_from(["a", "b", "c"])),
)
def test_rows_go_to_the_driver_in_the_statements_order_through_each_bind_processor(
    given_rows: list[dict[str, Any]], order: list[str], processed: set[str]
) -> None:
    processors = {name: (lambda v, n=name: (n, v)) for name in processed}
    expected = [
        tuple(processors[n](row[n]) if n in processors else row[n] for n in order)
        for row in given_rows
    ]
    assert _positional(tuple(order), processors, given_rows) == expected
    assert _positional(("b",), processors, given_rows) == [
        ((processors["b"](r["b"]),) if "b" in processors else (r["b"],)) for r in given_rows
    ]


names = st.text(st.sampled_from(["a", "B", " ", "ß", "é"]), min_size=1, max_size=8)


contacts = st.text(st.sampled_from(["1", "+", "a", "@", "ש"]), max_size=6)


@given(names, st.lists(contacts, max_size=3), st.lists(contacts, max_size=3))
def test_a_leads_contact_keys_are_its_phones_emails_and_name_key(
    name: str, phones: list[str], emails: list[str]
) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    lead = Lead(
        id="l1",
        organization_id="o1",
        name=name,
        created_at=at,
        updated_at=at,
        phones=tuple(phones),
        emails=tuple(emails),
    )
    expected = {contact_key("phone", p) for p in lead.phones}
    expected |= {contact_key("email", e) for e in lead.emails}
    if name.strip():
        expected.add(contact_key("name", name_key(name)))
    assert contact_keys(lead) == expected
