"""Done leads hidden by default, found by a filter that names them: the same on every backend.

The board of ``tests/integration/test_leads_done_filters.py`` is built on each SQL
backend and on memory; every combination of the filters that decide whether
done leads show gives the same list and the same status tabs.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from tests.integration.conftest import BACKENDS, new_storage
from tests.integration.test_leads_done_filters import build_board

from leadcore import Session
from leadcore.leads import Page

STATUSES: list[object] = ["any", None, "lost", "won", ["lost", "new"]]
CATEGORIES: list[object] = [None, "done", ["todo", "in_progress"]]
CONVERTED = [None, True, False]


def _list(s: Session, filters: dict[str, Any]) -> Page:
    return s.leads.list(**filters)


def _counts(s: Session, filters: dict[str, Any]) -> dict[str | None, int]:
    return s.leads.status_counts(**filters)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_hides_and_finds_done_leads_as_memory_does(
    backend: str, request: pytest.FixtureRequest
) -> None:
    storage = new_storage(request, backend, "done_filters")
    try:
        subject, _ = build_board(storage)
        reference, _ = build_board()
        for status, category, converted, include_done in itertools.product(
            STATUSES, CATEGORIES, CONVERTED, (False, True)
        ):
            filters: dict[str, Any] = {
                "categories": category,
                "converted": converted,
                "include_done": include_done,
            }
            counted = dict(filters)
            if status != "any":
                filters["status_ids"] = [None] if status is None else status
            assert _list(subject, filters) == _list(reference, filters), filters
            assert _counts(subject, counted) == _counts(reference, counted), counted
        assert [x.name for x in subject.leads.list(converted=True).items] == [
            "Converted to lost",
            "Converted",
        ]
    finally:
        storage.close()
