"""The text rules of the public boundary: what is refused, and where it is named."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore._text import checks_text, text_problem, text_problems
from leadcore.errors import ValidationError


@settings(max_examples=60)
@given(st.text(st.characters(codec=None, exclude_categories=()), max_size=30))
def test_text_is_refused_exactly_when_utf8_cannot_encode_it_or_it_holds_nul(text: str) -> None:
    try:
        text.encode("utf-8")
        keepable = "\x00" not in text
    except UnicodeEncodeError:
        keepable = False
    assert (text_problem(text, "note") is None) == keepable


@settings(max_examples=40)
@given(
    st.recursive(
        st.text(st.characters(codec=None, exclude_categories=()), max_size=6),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        ),
        max_leaves=8,
    )
)
def test_nested_input_is_refused_exactly_when_some_text_in_it_is(value: object) -> None:
    def leaves(v: object) -> Iterator[str]:
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for k, item in v.items():
                yield k
                yield from leaves(item)
        elif isinstance(v, list):
            for item in v:
                yield from leaves(item)

    bad = [t for t in leaves(value) if text_problem(t, "x") is not None]
    assert len(text_problems(value, "rows")) == len(bad)


def test_the_boundary_leaves_private_methods_and_properties_alone() -> None:
    @checks_text
    class Service:
        def public(self, name: str) -> str:
            return name

        def _private(self, name: str) -> str:
            return name

        @property
        def shown(self) -> str:
            return "\x00"

    service = Service()
    assert service._private("\x00") == "\x00"
    assert service.shown == "\x00"
    with pytest.raises(ValidationError):
        service.public("\x00")
    assert Service.public.__name__ == "public"
