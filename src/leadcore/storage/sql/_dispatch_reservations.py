"""Leads reserved within one process (SQLite), as a row lock reserves them elsewhere.

A commit takes SQLite's write lock, so writers are serialised; within one
process, a lead chosen by a unit of work that has not ended is skipped by the
others. Reads run in autocommit mode, each statement on the latest commit: a
lookup that started before the reserving unit of work committed may still see
the lead free. So a reservation outlives its commit: it holds for every
lookup that started before the commit's moment (:func:`~leadcore.storage.sql._tx.moment`),
and is forgotten once no such lookup can still be deciding. A rolled-back
reservation ends at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Final

import attrs

from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["held_by_other", "reserve_lead"]

# A lookup decides within a few statements; one still deciding this long after a commit
# only meets a conflict at its own commit (the lease's revision check), never a double claim.
_KEPT_SECONDS: Final = 5.0


@attrs.define(eq=False)
class _Reservation:
    owner: weakref.ref[SqlTransaction]
    generation: int
    visible_at: int | None = None
    """The commit's moment; ``None`` while the owner's unit of work runs."""
    visible_since: float = 0.0


_Reservations = dict[tuple[str, str], _Reservation]
_LOCK: Final = threading.Lock()
#: Fewer reservations than this are never swept.
_SWEEP_FROM: Final = 256


@attrs.define(eq=False)
class _Held:
    """The reservations of one database, and the size at which the ended ones are swept."""

    entries: _Reservations = attrs.field(factory=dict)
    sweep_at: int = _SWEEP_FROM


_RESERVED: weakref.WeakKeyDictionary[object, _Held] = weakref.WeakKeyDictionary()


def _held(tx: SqlTransaction) -> _Held:
    found = _RESERVED.get(tx.backend)
    if found is None:
        found = _RESERVED[tx.backend] = _Held()
    return found


def _reservations(tx: SqlTransaction) -> _Reservations:
    return _held(tx).entries


def held_by_other(tx: SqlTransaction, org: str, lead_id: str, seen_at: int) -> bool:
    """Whether another unit of work reserved the lead that a lookup begun at ``seen_at`` met."""
    held = _reservations(tx).get((org, lead_id))
    if held is None:
        return False
    if held.visible_at is not None:
        # Committed: the lookup read the lead free only if it started before the commit.
        return seen_at < held.visible_at
    owner = held.owner()
    return owner is not None and owner is not tx and owner.generation == held.generation


def reserve_lead(tx: SqlTransaction, org: str, lead_id: str) -> bool:
    """Reserve the lead for ``tx`` until every lookup sees its commit, or it rolls back.

    ``False`` (nothing reserved) if another unit of work holds it: the check and
    the reservation are one step, so two lookups that both met the lead free
    cannot both reserve it.
    """
    with _LOCK:
        held_here = _held(tx)
        reserved = held_here.entries
        if len(reserved) > held_here.sweep_at:
            # Swept when the table doubles since the last sweep: a claim costs O(1) on
            # average, however many reservations the last few seconds of commits keep.
            _forget_ended(reserved)
            held_here.sweep_at = max(_SWEEP_FROM, 2 * len(reserved))
        held = reserved.get((org, lead_id))
        if held is not None and held.visible_at is None:
            owner = held.owner()
            if owner is not None and owner is not tx and owner.generation == held.generation:
                return False
        reservation = _Reservation(weakref.ref(tx), tx.generation)
        reserved[(org, lead_id)] = reservation

    def committed(at: int) -> None:
        reservation.visible_since = time.monotonic()
        reservation.visible_at = at

    tx.after_commit.append(committed)
    return True


def _forget_ended(reserved: _Reservations) -> None:
    oldest = time.monotonic() - _KEPT_SECONDS
    for key, held in list(reserved.items()):
        if held.visible_at is not None:
            if held.visible_since < oldest:
                del reserved[key]
            continue
        owner = held.owner()
        if owner is None or owner.generation != held.generation:
            del reserved[key]
