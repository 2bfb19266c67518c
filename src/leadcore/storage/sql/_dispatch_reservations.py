"""Leads reserved within one process (SQLite), as a row lock reserves them elsewhere.

A commit takes SQLite's write lock, so writers are serialised; within one
process, a lead chosen by a unit of work that has not ended is skipped by the
others.
"""

from __future__ import annotations

import weakref

from leadcore.storage.sql._tx import SqlTransaction

__all__ = ["held_by_other", "reserve_lead"]

_Reservations = dict[tuple[str, str], tuple["weakref.ref[SqlTransaction]", int]]
_RESERVED: weakref.WeakKeyDictionary[object, _Reservations] = weakref.WeakKeyDictionary()


def _reservations(tx: SqlTransaction) -> _Reservations:
    found = _RESERVED.get(tx.backend)
    if found is None:
        found = _RESERVED[tx.backend] = {}
    return found


def held_by_other(tx: SqlTransaction, org: str, lead_id: str) -> bool:
    held = _reservations(tx).get((org, lead_id))
    if held is None:
        return False
    owner = held[0]()
    return owner is not None and owner is not tx and owner.generation == held[1]


def reserve_lead(tx: SqlTransaction, org: str, lead_id: str) -> None:
    reserved = _reservations(tx)
    if len(reserved) > 256:
        for key, (ref, generation) in list(reserved.items()):
            owner = ref()
            if owner is None or owner.generation != generation:
                del reserved[key]
    reserved[(org, lead_id)] = (weakref.ref(tx), tx.generation)
