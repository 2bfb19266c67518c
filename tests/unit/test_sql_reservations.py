"""The in-process reservations of SQLite claims: what they hold and what they cost."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import pytest

from leadcore.storage.sql import _dispatch_reservations as reservations
from leadcore.storage.sql._tx import SqlTransaction, moment


class _Backend:
    """A database the reservations are kept for (weakly referenced, like a backend)."""


class _Tx:
    """What ``reserve_lead`` reads of a unit of work."""

    def __init__(self, backend: _Backend) -> None:
        self.backend = backend
        self.generation = 0
        self.after_commit: list[Callable[[int], None]] = []

    def commit(self) -> None:
        at = moment()
        for done in self.after_commit:
            done(at)
        self.after_commit.clear()
        self.generation += 1


def _tx(backend: _Backend) -> SqlTransaction:
    return cast(SqlTransaction, _Tx(backend))


def test_a_reservation_holds_until_its_commit_is_seen_then_for_no_later_lookup() -> None:
    backend = _Backend()
    first, second = _tx(backend), _tx(backend)
    before = moment()
    assert reservations.reserve_lead(first, "org", "lead-1")
    assert not reservations.reserve_lead(second, "org", "lead-1")
    assert reservations.held_by_other(second, "org", "lead-1", before)
    cast(Any, first).commit()
    # A lookup begun before the commit may have read the lead free: still held for it.
    assert reservations.held_by_other(second, "org", "lead-1", before)
    assert not reservations.held_by_other(second, "org", "lead-1", moment())
    assert reservations.reserve_lead(second, "org", "lead-1")


def test_ended_reservations_are_swept_when_the_table_doubles_not_on_every_claim(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim costs O(1) on average while commits of the last seconds are kept.

    Committed reservations stay for a few seconds; at hundreds of claims a second
    the table holds thousands. Sweeping all of them on every claim made each claim
    cost O(n) under the process-wide lock.
    """
    swept: list[int] = []
    sweep = reservations._forget_ended

    def counted(reserved: reservations._Reservations) -> None:
        swept.append(len(reserved))
        sweep(reserved)

    monkeypatch.setattr(reservations, "_forget_ended", counted)
    backend = _Backend()
    claims = 5_000
    for i in range(claims):
        tx = _tx(backend)
        assert reservations.reserve_lead(tx, "org", f"lead-{i}")
        cast(Any, tx).commit()  # kept: seen less than _KEPT_SECONDS ago
    assert sum(swept) <= 2 * claims
    assert len(swept) <= 6  # 256, 512, ... 4,096


def test_a_sweep_forgets_ended_reservations_and_keeps_live_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reservations, "_KEPT_SECONDS", -1.0)  # every commit is old enough
    backend = _Backend()
    live = _tx(backend)
    assert reservations.reserve_lead(live, "org", "live")
    for i in range(reservations._SWEEP_FROM + 1):
        tx = _tx(backend)
        assert reservations.reserve_lead(tx, "org", f"lead-{i}")
        cast(Any, tx).commit()
    rolled_back = _tx(backend)
    assert reservations.reserve_lead(rolled_back, "org", "rolled-back")
    cast(Any, rolled_back).generation += 1  # the unit of work ended without a commit
    assert reservations.reserve_lead(_tx(backend), "org", "after")  # sweeps
    kept = reservations._reservations(live)
    assert "live" in {lead for _, lead in kept}
    assert not {f"lead-{i}" for i in range(10)} & {lead for _, lead in kept}
    assert not reservations.reserve_lead(_tx(backend), "org", "live")
