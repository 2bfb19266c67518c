"""An import reads its rows a batch at a time, says how far it got, and sums up briefly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from leadcore.core import Session
from leadcore.errors import ValidationError
from leadcore.leads import ImportInterrupted, ImportOutcome


def _rows(n: int) -> list[dict[str, object]]:
    return [{"name": f"Lead {i}", "phone": f"052-345-{i % 7:04d}"} for i in range(n)]


def test_rows_are_read_one_batch_at_a_time(s: Session) -> None:
    read: list[int] = []
    seen_by_progress: list[tuple[int, int]] = []

    def rows() -> Iterator[dict[str, object]]:
        for i, row in enumerate(_rows(7)):
            read.append(i)
            yield row

    def progress(done: int, total: int | None) -> None:
        assert total is None  # a generator has no length
        seen_by_progress.append((done, len(read)))

    report = s.leads.import_many(rows(), batch_size=3, progress=progress)
    # Each batch was committed before the next one was read (one row ahead at most).
    assert seen_by_progress == [(3, 3), (6, 6), (7, 7)]
    assert report.batches == 3
    assert [r.index for r in report.rows] == list(range(7))


def test_progress_gets_the_total_of_a_sized_input(s: Session) -> None:
    calls: list[tuple[int, int | None]] = []
    s.leads.import_many(_rows(5), batch_size=2, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_a_progress_that_is_not_a_function_is_refused_before_anything_is_written(
    s: Session,
) -> None:
    with pytest.raises(ValidationError, match="progress: expected a function"):
        s.leads.import_many(_rows(3), batch_size=1, progress=5)  # type: ignore[arg-type]
    assert not s.leads.list(limit=10).items


def test_a_progress_that_raises_stops_the_import_with_the_report_of_what_was_committed(
    s: Session,
) -> None:
    read: list[int] = []

    def rows() -> Iterator[dict[str, object]]:
        for i, row in enumerate(_rows(9)):
            read.append(i)
            yield row

    def progress(done: int, total: int | None) -> None:
        if done == 6:
            raise KeyError("cancelled")  # a progress bar closed, a cancel button...

    with pytest.raises(ImportInterrupted, match=r"batch 2 .*KeyError") as caught:
        s.leads.import_many(rows(), batch_size=3, progress=progress)
    assert isinstance(caught.value.__cause__, KeyError)
    assert caught.value.report.batches == 2
    assert [r.index for r in caught.value.report.rows] == list(range(6))
    assert len(s.leads.list(limit=20).items) == 6
    assert len(read) == 6  # no row of the next batch was read


def test_duplicates_are_found_across_batches(s: Session) -> None:
    report = s.leads.import_many(_rows(10), batch_size=4)
    first = {r.index: r.lead_id for r in report.rows[:7]}
    assert [r.outcome for r in report.rows[7:]] == [ImportOutcome.DUPLICATE] * 3
    assert [r.duplicate_of for r in report.rows[7:]] == [first[0], first[1], first[2]]


def test_a_batch_size_below_one_is_refused_naming_it(s: Session) -> None:
    with pytest.raises(ValidationError, match="batch_size"):
        s.leads.import_many(_rows(1), batch_size=0)


def test_a_failure_after_committed_batches_says_what_was_committed(s: Session) -> None:
    def rows() -> Iterator[dict[str, object]]:
        yield from _rows(3)
        raise OSError("the file is cut short")

    with pytest.raises(ImportInterrupted, match=r"batch 1 .*OSError") as caught:
        s.leads.import_many(rows(), batch_size=3)
    assert caught.value.report.batches == 1
    assert len(caught.value.report.rows) == 3
    assert len(s.leads.list(limit=10).items) == 3


def test_a_failure_in_the_first_batch_is_raised_as_it_is(s: Session) -> None:
    def rows() -> Iterator[dict[str, object]]:
        raise OSError("no file")
        yield {}

    with pytest.raises(OSError, match="no file"):
        s.leads.import_many(rows())


def test_the_report_repr_is_a_summary_not_every_row(s: Session) -> None:
    report = s.leads.import_many([*_rows(2), {"name": ""}], batch_size=2)
    assert repr(report) == (
        "<ImportReport 3 rows: 2 created, 0 duplicate, 0 blacklisted, 1 invalid; "
        "2 batches committed>"
    )
    assert len(report.rows) == 3


def test_every_duplicate_in_a_batch_names_the_first_lead_not_another_duplicate(
    s: Session,
) -> None:
    # Ids past "lead-9" sort before "lead-5" as text: the first lead must still be named.
    for i in range(4):
        s.leads.create(f"Other {i}", phones=[f"052-345-100{i}"])
    rows = [{"name": f"Same {i}", "phone": "052-345-0001"} for i in range(15)]
    report = s.leads.import_many(rows)
    first = report.rows[0].lead_id
    assert [r.duplicate_of for r in report.rows[1:]] == [first] * 14
    assert {s.leads.get(r.lead_id or "").duplicate_of for r in report.rows[1:]} == {first}
