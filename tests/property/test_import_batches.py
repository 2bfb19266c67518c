"""Importing in batches reports what importing row by row does: outcomes and originals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.core import Session
from leadcore.ids import SequentialIds
from leadcore.leads import DuplicateMatch, ImportInterrupted

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

rows = st.lists(
    st.fixed_dictionaries(
        {"name": st.sampled_from(["Dana", "Gil", "  ", "Noa Levi"])},
        optional={
            "phone": st.sampled_from(["052-345-6701", "052-345-6702", "053-123-4567", "12"]),
            "email": st.sampled_from(["a@b.example", "A@B.example", "c@d.example", "nope"]),
        },
    ),
    max_size=25,
)


def _agency(match: DuplicateMatch, fields: frozenset[str]) -> Session:
    """A new organisation with these duplicate settings, a blocked number and a stored lead."""
    clock = ManualClock(START)
    core = Leadcore.open(clock=clock, ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    s = core.session(admin.id)
    s.leads.set_settings(
        attrs.evolve(s.leads.settings(), duplicate_match=match, duplicate_fields=fields)
    )
    s.leads.add_blocked_number("053-123-4567")
    s.leads.create("Stored", phones=["052-345-6702"])
    clock.advance(timedelta(minutes=1))
    return s


def _import(
    rows: list[dict[str, str]], batch_size: int, match: DuplicateMatch, fields: frozenset[str]
) -> list[tuple[str, int | None, tuple[str, ...]]]:
    s = _agency(match, fields)
    report = s.leads.import_many(iter(rows), batch_size=batch_size)
    row_of = {r.lead_id: r.index for r in report.rows if r.lead_id is not None}
    return [
        (
            r.outcome.value,
            row_of.get(r.duplicate_of or "", -1 if r.duplicate_of else None),
            r.problems,
        )
        for r in report.rows
    ]


@settings(max_examples=60, deadline=None)
@given(
    rows=rows,
    batch_size=st.integers(2, 13),
    match=st.sampled_from(DuplicateMatch),
    fields=st.sampled_from(
        [frozenset({"phone", "email"}), frozenset({"phone", "email", "name"}), frozenset({"email"})]
    ),
)
def test_batch_size_never_changes_what_an_import_reports(
    rows: list[dict[str, str]], batch_size: int, match: DuplicateMatch, fields: frozenset[str]
) -> None:
    # One row per batch: each row looked up alone against the stored leads, as before.
    one_by_one = _import(rows, 1, match, fields)
    assert _import(rows, batch_size, match, fields) == one_by_one


class _Cancelled(Exception):
    pass


@settings(max_examples=60, deadline=None)
@given(rows=rows, batch_size=st.integers(1, 7), stop_after=st.integers(1, 5))
def test_a_progress_that_raises_keeps_exactly_the_batches_it_was_told_of(
    rows: list[dict[str, str]], batch_size: int, stop_after: int
) -> None:
    """All or nothing per batch: the committed batches are those of a whole import's start."""
    fields = frozenset({"phone", "email"})
    whole = _agency(DuplicateMatch.ANY, fields).leads.import_many(rows, batch_size=batch_size)
    s = _agency(DuplicateMatch.ANY, fields)
    told: list[int] = []

    def progress(done: int, total: int | None) -> None:
        told.append(done)
        if len(told) == stop_after:
            raise _Cancelled

    cause: BaseException | None = None
    try:
        report = s.leads.import_many(rows, batch_size=batch_size, progress=progress)
    except ImportInterrupted as stopped:
        report, cause = stopped.report, stopped.__cause__
    if len(told) == stop_after:
        assert isinstance(cause, _Cancelled)
        assert report.batches == stop_after
    else:
        assert cause is None
    assert report.rows == whole.rows[: len(report.rows)]
    assert len(report.rows) == (told[-1] if told else 0)
    stored = {lead.id for lead in s.leads.list(include_done=True, limit=1000).items}
    imported = {r.lead_id for r in report.rows if r.lead_id is not None}
    assert stored - imported == {s.leads.list(text="Stored").items[0].id}
