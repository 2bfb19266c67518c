"""Writes under a claim on the memory adapter: what the fence retries, and what it refuses.

The adapter-independent checks (a parked writer losing to a later claim,
random agent threads, window 0, invisible leads) are the conformance part
``DispatchFencingTests``; these pin the service's own choices: a token must
be a whole number; under a window of 0 a write whose commit met another
holder's write runs again and commits; a status change whose lead changed
meanwhile is not applied to the new state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from leadcore.dispatch import ProjectRules
from leadcore.errors import ConflictError, ValidationError
from leadcore.leads import HistoryKind
from leadcore.storage.memory import MemoryStorage
from leadcore.testing.conformance._base import HANG_GUARD, in_thread, wait
from leadcore.testing.conformance._fencing import WRITE_KINDS, _Centre, _centre, _write


@pytest.mark.parametrize("kind", WRITE_KINDS)
@pytest.mark.parametrize("token", ["1", 1.0, True, None])
def test_a_token_that_is_not_a_whole_number_is_a_validation_error(kind: str, token: object) -> None:
    c = _centre(MemoryStorage(), ProjectRules())
    lead = c.lead()
    c.claim("dana")
    before = c.snapshot(lead)
    with pytest.raises(ValidationError, match=r"token: (must be|expected) a whole number"):
        _write(c.agents["dana"], kind, lead, token)  # type: ignore[arg-type]
    assert c.snapshot(lead) == before


def _parked(c: _Centre, write: Callable[[], object], meanwhile: Callable[[], object]) -> object:
    """Run ``write`` on a thread, park it at its commit, run ``meanwhile``, let it go."""
    arrived, go = threading.Event(), threading.Event()

    def parked() -> object:
        c.parking.park_next_commit(arrived, go)
        return write()

    writer = in_thread(parked)
    writer.add_done_callback(lambda _: arrived.set())
    try:
        wait(arrived, "the write to reach its commit")
        assert not writer.done(), writer.exception()
        meanwhile()
    finally:
        go.set()
    return writer.result(HANG_GUARD)


def test_with_a_window_of_zero_two_holders_writing_at_once_both_commit() -> None:
    c = _centre(MemoryStorage(), ProjectRules(lock_window_minutes=0))
    lead = c.lead()
    first, second = c.claim("dana"), c.claim("omer")
    _parked(
        c,
        lambda: c.agents["dana"].dispatch.add_note(lead, first.token, "from Dana"),
        lambda: c.agents["omer"].dispatch.add_note(lead, second.token, "from Omer"),
    )
    assert sorted(n.text for n in c.manager.leads.notes(lead)) == ["from Dana", "from Omer"]


def test_a_status_change_whose_lead_changed_meanwhile_is_not_applied_again() -> None:
    c = _centre(MemoryStorage(), ProjectRules(lock_window_minutes=0))
    lead = c.lead()
    first, second = c.claim("dana"), c.claim("omer")
    with pytest.raises(ConflictError, match="changed by another unit of work"):
        _parked(
            c,
            lambda: c.agents["dana"].dispatch.change_status(lead, first.token, "new"),
            lambda: c.agents["omer"].dispatch.change_status(lead, second.token, "new"),
        )
    moves = [h for h in c.manager.leads.history(lead).items if h.kind == HistoryKind.STATUS_CHANGED]
    assert [(h.actor_id, h.to_status) for h in moves] == [(c.user_ids["omer"], "new")]
