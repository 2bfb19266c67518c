"""The dispatch queue, kept at commit: its rows, the leads put back, and the backfill.

Every commit that writes a lead, one of its tasks or its lease rewrites the
lead's row in ``leadcore_dispatch_queue`` and its phone numbers
(:func:`write_queue`); schema version 2 fills the queue once for the leads
stored before it (:func:`backfill_queue`).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Connection,
    bindparam,
    delete,
    false,
    insert,
    select,
    tuple_,
    update,
)

from leadcore.dispatch._leases import Lease
from leadcore.dispatch._policy import _NEVER
from leadcore.dispatch._projection import pending_callback
from leadcore.leads._model import Lead, Task
from leadcore.storage.sql._codec import decode, micros
from leadcore.storage.sql._dispatch_records import LEASES, PHONES, QUEUE, lease_of
from leadcore.storage.sql._schema import NUMBER_LENGTH
from leadcore.storage.sql._tables import LEADS, TASKS
from leadcore.storage.sql._tx import CHUNK, Deleted, DerivedWriter, Key, SqlTransaction

__all__ = [
    "WRITERS",
    "backfill_queue",
    "lock_columns",
    "unpark_wanted",
    "want_unpark",
    "write_queue",
]

# Parked leads a claim's commit puts back when their lease has ended.
_UNPARK_BATCH: Final = 16


def _locked_until(lease: Lease | None) -> int | None:
    if lease is None or not lease.exclusive or lease.released:
        return None
    return micros(lease.expires_at)


def lock_columns(lease: Lease | None) -> dict[str, Any]:
    """The queue row's lock columns for the lead's lease (parameters ``until``, ``park``)."""
    locked = _locked_until(lease)
    return {"until": locked, "park": locked is not None}


def _lead_columns(lead: Lead) -> dict[str, Any]:
    """The columns of a queue row that come from its lead alone (keys included)."""
    created = micros(lead.created_at)
    last = lead.last_contact_at
    return {
        "organization_id": lead.organization_id,
        "lead_id": lead.id,
        "project_id": lead.project_id,
        "pool_id": lead.pool_id,
        "status_id": lead.status_id,
        "status_rank": 0 if lead.status_id is None else 1,
        "source": lead.source.supplier_id or lead.source.channel,
        "converted": lead.converted,
        "do_not_call": lead.do_not_call,
        "assigned": bool(lead.assignee_ids),
        "created_us": created,
        "newest_us": -created,
        "contact_us": _NEVER if last is None else micros(last),
        "attempts": lead.attempts,
    }


def _queue_row(lead: Lead, callback: Task | None, lease: Lease | None) -> dict[str, Any]:
    locked = _locked_until(lease)
    return {
        **_lead_columns(lead),
        "callback_us": None if callback is None else micros(callback.due_at),
        "callback_owner_id": None if callback is None else callback.assignee_id,
        "locked_until_us": locked,
        "parked": locked is not None,
    }


def write_queue(tx: SqlTransaction, connection: Connection) -> None:
    """Rewrite the queue rows of every lead this commit touched (a derived writer).

    A lead whose record or tasks were written gets its row and phone numbers
    rebuilt from what the database now holds; a lead whose lease only was
    written gets its lock column set, if the lock moved.
    """
    full: dict[str, set[str]] = {}
    staged_leads = tx.staged(LEADS)
    for key in staged_leads:
        full.setdefault(str(key[0]), set()).add(str(key[1]))
    tasked: set[Key] = set()
    for key, task in tx.staged(TASKS).items():
        if not isinstance(task, Deleted):
            full.setdefault(str(key[0]), set()).add(task.lead_id)
            tasked.add((key[0], task.lead_id))
    leases = tx.staged(LEASES)
    for org in sorted(full):
        ids = sorted(full[org])
        tx.scope(connection, org)
        only_lead = [
            lead_id
            for lead_id in ids
            if (org, lead_id) not in tasked
            and (org, lead_id) not in leases
            and _stays_queued(tx, (org, lead_id), staged_leads)
        ]
        rest = set(ids) - set(only_lead)
        rest |= _update_lead_columns(tx, connection, org, only_lead, staged_leads)
        ids = sorted(rest)
        for start in range(0, len(ids), CHUNK):
            _rebuild(tx, connection, org, ids[start : start + CHUNK], staged_leads)
    claimed: dict[str, int] = {}
    for key in sorted(leases, key=lambda k: (str(k[0]), str(k[1]))):
        org, lead_id = str(key[0]), str(key[1])
        lease = leases[key]
        if isinstance(lease, Deleted):
            continue
        claimed[org] = max(claimed.get(org, 0), micros(lease.claimed_at))
        if lead_id in full.get(org, ()):
            continue
        locked = _locked_until(lease)
        if locked == _locked_until(tx.base(LEASES, key)):
            # The lock did not move (a write under a claim only fenced itself on the
            # lease): the row already says so.
            continue
        tx.scope(connection, org)
        connection.execute(_SET_LOCK, {"org": org, "lead": lead_id, **lock_columns(lease)})
    wanted = _UNPARK_WANTED.get(tx)
    if wanted is not None and wanted[0] == tx.generation:
        for org, now_us in sorted(claimed.items()):
            if org in wanted[1]:
                _unpark(tx, connection, org, now_us)


def _queued(lead: Lead | None) -> bool:
    return lead is not None and lead.project_id is not None and lead.pool_id is not None


def _stays_queued(tx: SqlTransaction, key: Key, staged_leads: Mapping[Key, Lead | Deleted]) -> bool:
    """Whether this commit rewrote a stored lead that was and stays in a pool's queue."""
    value = staged_leads.get(key)
    return (
        isinstance(value, Lead)
        and _queued(value)
        and not tx.is_new(LEADS, key)
        and _queued(tx.base(LEADS, key))
    )


# Leads whose rows take their new lead columns one statement each, where the driver
# cannot count the rows of one statement of many parameter sets; more are rebuilt.
_ONE_BY_ONE: Final = 3


def _update_lead_columns(
    tx: SqlTransaction,
    connection: Connection,
    org: str,
    ids: list[str],
    staged_leads: Mapping[Key, Lead | Deleted],
) -> set[str]:
    """Set the lead columns of the rows of leads whose record alone this commit rewrote.

    Their callback and lock columns come from tasks and a lease this commit did
    not write, so they stay as they are, and nothing is read: one ``UPDATE``
    of the columns that changed. That is safe beside other commits because
    each column it sets comes from the lead, whose row this commit holds (its
    revision was checked): a commit that rebuilds the whole row reads the
    lead under a lock first, so it waits for this one and sees its lead; a
    claim sets the lock columns only. A lead whose row these did not find
    (returned) is rebuilt as a whole.
    """
    changed: list[dict[str, Any]] = []
    phones: list[dict[str, Any]] = []
    redial: list[str] = []
    for lead_id in ids:
        lead = staged_leads[(org, lead_id)]
        assert isinstance(lead, Lead)
        before = tx.base(LEADS, (org, lead_id))
        assert before is not None
        columns = _lead_columns(lead)
        if columns != _lead_columns(before):
            changed.append(_keyed(columns))
        numbers = _numbers(lead)
        if numbers != _numbers(before):
            redial.append(lead_id)
            phones.extend(
                {"organization_id": org, "lead_id": lead_id, "number": n} for n in numbers
            )
    if not changed and not redial:
        return set()
    if not changed:
        found = 0
    elif connection.dialect.supports_sane_multi_rowcount:
        found = connection.execute(_REPLACE_ROW, changed).rowcount
    elif len(changed) <= _ONE_BY_ONE:
        found = sum(connection.execute(_REPLACE_ROW, row).rowcount for row in changed)
    else:
        return set(ids)
    if found != len(changed):
        # A row is missing (a queue written before a backfill, say): rebuild them all,
        # which puts every lead column again and adds what is missing.
        return set(ids)
    p = PHONES.c
    if redial:
        connection.execute(delete(PHONES).where(p.organization_id == org, p.lead_id.in_(redial)))
    if phones:
        connection.execute(insert(PHONES), phones)
    return set()


# A lease's write sets its lead's lock columns (built once, as every commit runs it).
_SET_LOCK: Final = (
    update(QUEUE)
    .where(QUEUE.c.organization_id == bindparam("org"), QUEUE.c.lead_id == bindparam("lead"))
    .values(
        locked_until_us=bindparam("until", type_=BigInteger),
        parked=bindparam("park", type_=QUEUE.c.parked.type),
    )
)


# Units of work whose "next lead" met parked leads with an ended lease: their commit
# puts a few back (``(generation, organisations)``, forgotten with the unit of work).
_UNPARK_WANTED: weakref.WeakKeyDictionary[SqlTransaction, tuple[int, set[str]]] = (
    weakref.WeakKeyDictionary()
)


def want_unpark(tx: SqlTransaction, org: str) -> None:
    wanted = _UNPARK_WANTED.get(tx)
    if wanted is None or wanted[0] != tx.generation:
        wanted = _UNPARK_WANTED[tx] = (tx.generation, set())
    wanted[1].add(org)


def unpark_wanted(tx: SqlTransaction, org: str) -> bool:
    """Whether this unit of work's commit is to put back parked leads of ``org``."""
    wanted = _UNPARK_WANTED.get(tx)
    return wanted is not None and wanted[0] == tx.generation and org in wanted[1]


def _unpark(tx: SqlTransaction, connection: Connection, org: str, now_us: int) -> None:
    """Put back a few parked leads whose lease had ended by ``now_us``.

    A claim's commit does this when its "next lead" met such leads. Only an
    optimisation (the queries still compare every lease with their
    own ``now``, so a clock that steps back is safe): it keeps the parked
    leads whose lease expired few, so that finding them stays cheap. Rows
    other commits hold are skipped, never waited for.
    """
    q = QUEUE.c
    tx.scope(connection, org)
    expired = (
        select(q.lead_id)
        .where(q.organization_id == org, q.parked, q.locked_until_us <= now_us)
        # In the parked index's order, so that the plan reads it from the earliest end.
        .order_by(q.locked_until_us)
        .limit(_UNPARK_BATCH)
    )
    if tx.backend.name != "sqlite":
        expired = expired.with_for_update(skip_locked=True)
    ids = [row.lead_id for row in connection.execute(expired)]
    if ids:
        connection.execute(
            update(QUEUE).where(q.organization_id == org, q.lead_id.in_(ids)).values(parked=False)
        )


def _rebuild(
    tx: SqlTransaction,
    connection: Connection,
    org: str,
    ids: list[str],
    staged_leads: Mapping[Key, Lead | Deleted],
) -> None:
    lt = LEADS.table
    leads: dict[str, Lead] = {}
    others = []
    for lead_id in ids:
        value = staged_leads.get((org, lead_id))
        if isinstance(value, Lead):
            leads[lead_id] = value
        else:
            others.append(lead_id)
    if others:
        statement = select(lt.c.id, lt.c.record).where(
            lt.c.organization_id == org, lt.c.id.in_(others)
        )
        if tx.backend.name != "sqlite":
            # Tasks of these leads were written: lock the leads, so that two commits
            # adding tasks to one lead each see the other's when they rebuild its row.
            statement = statement.order_by(lt.c.id).with_for_update()
        for row in connection.execute(statement):
            leads[row.id] = decode(row.record, Lead)
    q, p = QUEUE.c, PHONES.c
    # Lock the rows first, then read the leases: a claim committing meanwhile (it holds
    # its row) is waited for and seen, not overwritten with what was read before it.
    # A lead added by this commit has no row yet (bulk intake adds thousands).
    known = [lead_id for lead_id in ids if not tx.is_new(LEADS, (org, lead_id))]
    existing: set[str] = set()
    if known:
        present = select(q.lead_id).where(q.organization_id == org, q.lead_id.in_(known))
        if tx.backend.name != "sqlite":
            present = present.order_by(q.lead_id).with_for_update()
        existing = {row.lead_id for row in connection.execute(present)}
    tasks, leases = _staged_of_new(tx, org, ids)
    if known:
        tt = TASKS.table
        for row in connection.execute(
            select(tt.c.record).where(
                tt.c.organization_id == org, tt.c.lead_id.in_(known), tt.c.done == false()
            )
        ):
            task = decode(row.record, Task)
            tasks.setdefault(task.lead_id, []).append(task)
        st = LEASES.table
        leases.update(
            (row.lead_id, lease_of(row))
            for row in connection.execute(
                select(st).where(st.c.organization_id == org, st.c.lead_id.in_(known))
            )
        )
    added: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    gone: list[str] = []
    phones: list[dict[str, Any]] = []
    for lead_id in ids:
        lead = leads.get(lead_id)
        if lead is None or lead.project_id is None or lead.pool_id is None:
            if lead_id in existing:
                gone.append(lead_id)
            continue
        callback = pending_callback(tasks.get(lead_id, ()))
        values = _queue_row(lead, callback, leases.get(lead_id))
        (changed if lead_id in existing else added).append(values)
    redial = [
        lead_id
        for lead_id in ids
        if _numbers(leads.get(lead_id))
        != _numbers(
            _before(tx, org, lead_id, leads, (org, lead_id) in staged_leads),
            queued=lead_id in existing,
        )
    ]
    for lead_id in redial:
        phones.extend(
            {"organization_id": org, "lead_id": lead_id, "number": number}
            for number in _numbers(leads.get(lead_id))
        )
    if gone:
        connection.execute(delete(QUEUE).where(q.organization_id == org, q.lead_id.in_(gone)))
    if changed:
        # Updated in place (not removed and added again), so that a concurrent update
        # of the row's lease columns, waiting for this one, applies to the new row.
        connection.execute(_REPLACE_ROW, [_keyed(values) for values in changed])
    if added:
        connection.execute(insert(QUEUE), added)
    # Only the leads whose dialable numbers changed: a status change or a new lead
    # (which has no phone rows yet) costs no statement on the phone table.
    stale = [lead_id for lead_id in redial if lead_id in existing]
    if stale:
        connection.execute(delete(PHONES).where(p.organization_id == org, p.lead_id.in_(stale)))
    if phones:
        connection.execute(insert(PHONES), phones)


def _staged_of_new(
    tx: SqlTransaction, org: str, ids: list[str]
) -> tuple[dict[str, list[Task]], dict[str, Lease]]:
    """The open tasks and the leases of the leads this commit adds, from its own writes.

    A lead added by this commit has no row another commit could have given a task
    or a lease: what this commit wrote is all there is, so nothing is read back.
    """
    new = {lead_id for lead_id in ids if tx.is_new(LEADS, (org, lead_id))}
    tasks: dict[str, list[Task]] = {}
    leases: dict[str, Lease] = {}
    if not new:
        return tasks, leases
    for key, task in tx.staged(TASKS).items():
        if key[0] == org and isinstance(task, Task) and task.lead_id in new and not task.done:
            tasks.setdefault(task.lead_id, []).append(task)
    for key, lease in tx.staged(LEASES).items():
        if key[0] == org and isinstance(lease, Lease) and str(key[1]) in new:
            leases[str(key[1])] = lease
    return tasks, leases


def _before(
    tx: SqlTransaction, org: str, lead_id: str, leads: Mapping[str, Lead], staged: bool
) -> Lead | None:
    """The lead its phone rows were written for: the committed row this commit replaces.

    A lead this commit wrote replaced the row it first met (its revision was
    checked); one it did not write is as read here, under the row's lock.
    """
    if not staged:
        return leads.get(lead_id)
    base: Lead | None = tx.base(LEADS, (org, lead_id))
    return base


def _numbers(lead: Lead | None, *, queued: bool = True) -> list[str]:
    """The phone rows of a lead: its dialable numbers while it is in a pool's queue."""
    if not queued or lead is None or lead.project_id is None or lead.pool_id is None:
        return []
    # A longer number cannot be on the do-not-call list, which holds no such.
    return [number for number in sorted(set(lead.phones)) if len(number) <= NUMBER_LENGTH]


_KEY_COLUMNS: Final = ("organization_id", "lead_id")
_REPLACE_ROW: Final = (
    update(QUEUE).where(
        QUEUE.c.organization_id == bindparam("k_organization_id"),
        QUEUE.c.lead_id == bindparam("k_lead_id"),
    )
    # SET takes the other columns from the parameters of each row.
)


def _keyed(row: dict[str, Any]) -> dict[str, Any]:
    out = {name: value for name, value in row.items() if name not in _KEY_COLUMNS}
    out.update({f"k_{name}": row[name] for name in _KEY_COLUMNS})
    return out


#: The derived writers of this module, for the storage to pass to its units of work.
WRITERS: Final[tuple[DerivedWriter, ...]] = (write_queue,)


def backfill_queue(connection: Connection) -> int:
    """Queue and phone rows for the leads stored before the dispatch tables existed.

    Schema version 2 runs it once, right after creating its tables: a database
    written at version 1 holds leads in projects' pools, and dispatch must see
    them. No lease existed then; a lead's open callback comes from its tasks.
    A queue that already holds rows (tables a host made from ``metadata``, kept
    by this version) is left as it is. Returns the number of leads queued.
    """
    if connection.execute(select(QUEUE.c.lead_id).limit(1)).first() is not None:
        return 0
    lt, tt = LEADS.table, TASKS.table
    queued = 0
    position: tuple[str, str] | None = None
    while True:
        # Keyset pages, so that the other statements may run between them on every driver.
        page = select(lt.c.organization_id, lt.c.id, lt.c.record).where(
            lt.c.project_id.is_not(None), lt.c.pool_id.is_not(None)
        )
        if position is not None:
            page = page.where(tuple_(lt.c.organization_id, lt.c.id) > tuple_(*position))
        rows = connection.execute(page.order_by(lt.c.organization_id, lt.c.id).limit(CHUNK)).all()
        if not rows:
            return queued
        position = (rows[-1].organization_id, rows[-1].id)
        by_org: dict[str, list[Lead]] = {}
        for row in rows:
            by_org.setdefault(row.organization_id, []).append(decode(row.record, Lead))
        for org, leads in by_org.items():
            tasks: dict[str, list[Task]] = {}
            open_tasks = select(tt.c.record).where(
                tt.c.organization_id == org,
                tt.c.lead_id.in_([lead.id for lead in leads]),
                tt.c.done == false(),
            )
            for task_row in connection.execute(open_tasks):
                task = decode(task_row.record, Task)
                tasks.setdefault(task.lead_id, []).append(task)
            queue = [
                _queue_row(lead, pending_callback(tasks.get(lead.id, ())), None) for lead in leads
            ]
            connection.execute(insert(QUEUE), queue)
            phones = [
                {"organization_id": org, "lead_id": lead.id, "number": number}
                for lead in leads
                for number in sorted(set(lead.phones))
                if len(number) <= NUMBER_LENGTH
            ]
            if phones:
                connection.execute(insert(PHONES), phones)
            queued += len(leads)
