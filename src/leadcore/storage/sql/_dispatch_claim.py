"""A claim's commit on PostgreSQL in one statement: lease, claim count, claim log, queue, events.

``s.dispatch.next`` stages the same few writes every time: the lead's lease,
the agent's claim count (compared on its revision), one row of the claim
log, and its events; the commit then sets the queue row's lock columns. On
PostgreSQL, :func:`write_claim` sends them as one statement of
data-modifying CTEs instead of five, and checks what the compare-and-set
parts changed: a lease or a claim count changed since this unit of work
read it (or a lease added meanwhile, a duplicate key) makes the commit
conflict and write nothing, as the general path does.

A commit of any other shape (a lead or a task written, parked leads to put
back, events of another organisation) goes the general path: the function
answers ``False`` without sending anything.
"""

from __future__ import annotations

import functools
from typing import Any, Final

from sqlalchemy import Connection, TextClause, text

from leadcore.errors import ConflictError
from leadcore.storage.sql._backend import pg_events_params, pg_events_parts
from leadcore.storage.sql._dispatch_queue import lock_columns, unpark_wanted, write_queue
from leadcore.storage.sql._dispatch_records import CLAIM_HEADS, CLAIMS, LEASES, QUEUE
from leadcore.storage.sql._tx import COUNTERS, EVENTS, Deleted, SqlTransaction

__all__ = ["write_claim"]

_CLAIM_SPECS: Final = frozenset({LEASES, CLAIM_HEADS, CLAIMS})


def write_claim(tx: SqlTransaction, connection: Connection) -> bool:
    """Write a claim's commit in one statement (``True``), or leave it (``False``: another shape).

    Raises :class:`~leadcore.errors.ConflictError` when a compare-and-set part
    matched no row; the caller rolls the transaction back.
    """
    specs = tx.staged_specs()
    if set(specs) != _CLAIM_SPECS or any(w is not write_queue for w in tx.writers):
        return False
    if any(s.after_write is not None or s.after_writes is not None for s in specs):
        return False
    leases, heads, claims = tx.staged(LEASES), tx.staged(CLAIM_HEADS), tx.staged(CLAIMS)
    if len(leases) != 1 or len(heads) != 1 or len(claims) != 1:
        return False
    (lease_key, lease), (head_key, count), (claim_key, at) = (
        next(iter(leases.items())),
        next(iter(heads.items())),
        next(iter(claims.items())),
    )
    if isinstance(lease, Deleted) or isinstance(count, Deleted) or isinstance(at, Deleted):
        return False
    org = str(lease_key[0])
    events = tx.encoded_events()
    if set(events) != {org} or head_key[0] != org or claim_key[0] != org:
        return False
    if unpark_wanted(tx, org):
        return False
    lease_base = tx.base_revision(LEASES, lease_key)
    head_base = tx.base_revision(CLAIM_HEADS, head_key)
    lease_values = LEASES.columns(lease)
    params: dict[str, Any] = {
        "lead": lease_key[1],
        "project": head_key[1],
        "agent": head_key[2],
        "lease_revision": 1 if lease_base is None else lease_base + 1,
        "lease_base": lease_base,
        "head_revision": 1 if head_base is None else head_base + 1,
        "head_base": head_base,
        "count": count,
        "claim_n": claim_key[3],
        **{f"c_{name}": value for name, value in CLAIMS.columns(at).items()},
        **{f"l_{name}": value for name, value in lease_values.items()},
        **lock_columns(lease),
        **pg_events_params(org, events[org]),
    }
    timeout = tx.commit_lock_timeout()
    if timeout is not None:
        params["ms"] = timeout
    statement = _statement(
        tuple(lease_values), lease_base is None, head_base is None, timeout is not None
    )
    tx.scope(connection, org)
    written = connection.execute(statement, params).one()
    if written.leases != 1:
        raise ConflictError(f"lead {lease_key[1]!r} was claimed meanwhile; nothing was written")
    if written.heads != 1:
        raise ConflictError(
            f"claim count of agent {head_key[2]!r} was changed by another unit of work; "
            "nothing was written"
        )
    return True


@functools.cache
def _statement(
    lease_columns: tuple[str, ...], new_lease: bool, new_head: bool, timed: bool
) -> TextClause:
    """The claim's commit: lease, claim count, claim log, queue row and events in one statement.

    ``timed``: the statement sets the commit's lock timeout (``:ms``) before it writes.
    """
    leases, heads, claims = (spec.table.name for spec in (LEASES, CLAIM_HEADS, CLAIMS))
    if new_lease:
        names = ", ".join(lease_columns)
        values = ", ".join(f":l_{name}" for name in lease_columns)
        lease = (
            f"INSERT INTO {leases} (organization_id, lead_id, revision, {names}) "
            f"VALUES (:org, :lead, :lease_revision, {values}) RETURNING 1"
        )
    else:
        sets = ", ".join(f"{name} = :l_{name}" for name in lease_columns)
        lease = (
            f"UPDATE {leases} SET revision = :lease_revision, {sets} "
            f"WHERE organization_id = :org AND lead_id = :lead AND revision = :lease_base "
            f"RETURNING 1"
        )
    if new_head:
        head = (
            f"INSERT INTO {heads} (organization_id, project_id, agent_id, revision, count) "
            f"VALUES (:org, :project, :agent, :head_revision, :count) RETURNING 1"
        )
    else:
        head = (
            f"UPDATE {heads} SET revision = :head_revision, count = :count "
            f"WHERE organization_id = :org AND project_id = :project AND agent_id = :agent "
            f"AND revision = :head_base RETURNING 1"
        )
    claim = (
        f"INSERT INTO {claims} (organization_id, project_id, agent_id, n, at_us) "
        f"VALUES (:org, :project, :agent, :claim_n, :c_at_us)"
    )
    queue = (
        f"UPDATE {QUEUE.name} SET locked_until_us = :until, parked = :park "
        f"WHERE organization_id = :org AND lead_id = :lead"
    )
    counter, appended = pg_events_parts(COUNTERS, EVENTS)
    # The outer query reads its subqueries left to right, the timeout's first, and the
    # CTEs it does not read (the claim log, the queue row, the events) run after it.
    timeout, timeout_first = "", ""
    if timed:
        timeout = "timeout AS (SELECT set_config('lock_timeout', :ms, true) AS ms), "
        timeout_first = "(SELECT ms FROM timeout) AS timeout, "
    return text(
        f"WITH {timeout}lease AS ({lease}), head AS ({head}), claim AS ({claim}), "
        f"queue AS ({queue}), {counter}, appended AS ({appended}) "
        f"SELECT {timeout_first}"
        f"(SELECT count(*) FROM lease) AS leases, (SELECT count(*) FROM head) AS heads"
    )
