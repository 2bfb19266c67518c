"""Hypothesis strategies for leadcore values, for your own property tests.

>>> from hypothesis import given
>>> from leadcore.testing.strategies import workflows
>>> @given(workflows())
... def test_round_trip(wf):
...     assert type(wf).from_dict(wf.to_dict()) == wf
"""

from __future__ import annotations

from hypothesis import strategies as st

from leadcore.workflow import Category, Requirement, Status, Workflow

__all__ = ["workflows"]

_ids = st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True)
_colors = st.from_regex(r"#[0-9A-F]{6}", fullmatch=True)


@st.composite
def workflows(draw: st.DrawFn, *, min_statuses: int = 1, max_statuses: int = 12) -> Workflow:
    """Draw a valid workflow (at least one done status, every reference resolved)."""
    ids = draw(st.lists(_ids, min_size=min_statuses, max_size=max_statuses, unique=True))
    categories = [draw(st.sampled_from(Category)) for _ in ids]
    if Category.DONE not in categories:
        categories[-1] = Category.DONE
    statuses = []
    for i, (sid, cat) in enumerate(zip(ids, categories, strict=True)):
        others = [o for o in ids if o != sid]
        nxt = draw(st.lists(st.sampled_from(others), unique=True)) if others else []
        statuses.append(
            Status(
                id=sid,
                name=f"Status {i}",
                color=draw(_colors),
                category=cat,
                requires=draw(st.sampled_from(Requirement)),
                next=tuple(nxt),
            )
        )
    entry = draw(st.lists(st.sampled_from(ids), min_size=1, unique=True))
    return Workflow(id=draw(_ids), name="Generated", statuses=statuses, entry=entry)
