"""The SQL dispatch repository: pools, agent filters, leases, claims and the next lead.

The next lead comes from the dispatch queue (``leadcore_dispatch_queue``, see
:mod:`leadcore.storage.sql._dispatch_schema`): one row per lead of a project
that sits in a pool, rewritten by every commit that writes the lead, one of
its tasks or its lease (:func:`write_queue`). Its columns are what the
ordering policy sorts and excludes by, so :meth:`SqlDispatch.next_choice`
asks the database, tier by tier, for the first few rows in the policy's
order that no SQL-expressible rule excludes, and checks those few with the
policy itself (:func:`~leadcore.dispatch.exclusion`,
:func:`~leadcore.dispatch.sort_key`) on the lead record: custom-field
filters are only checked there. The answer is the reference's
(:func:`~leadcore.dispatch.choose_reference`) because the database order is
the policy's and every SQL condition is one the policy also applies.

Claims (``reserve=True``):

- PostgreSQL and MariaDB/MySQL: the rows are fetched by one statement whose
  subquery locks them ``FOR UPDATE SKIP LOCKED``; the lock lasts as long as
  the unit of work's transaction, so a concurrent claim passes them by
  instead of waiting at the head of the queue or racing for the same lead.
  The outer query re-reads the locked rows, and Python re-checks and
  re-sorts them, so that rows a lock returns out of order do no harm.
- SQLite: a commit takes the database's write lock, so writers are
  serialised; within one process, a lead chosen by a unit of work that has
  not ended is skipped by the others, as a row lock would make it.

Either way the last word is the lease's compare-and-set at commit
(:meth:`SqlDispatch.put_lease`).
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

import attrs
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Row,
    Select,
    Subquery,
    and_,
    bindparam,
    delete,
    exists,
    false,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)

from leadcore.dispatch._agent import Agent, AgentLoad, cap_reached
from leadcore.dispatch._candidate import Candidate
from leadcore.dispatch._choice import Choice
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._policy import _NEVER, exclusion, make_choice, sort_key
from leadcore.dispatch._pools import PoolPlan, ProjectPools, plan_pools
from leadcore.dispatch._projection import candidate_of, pending_callback
from leadcore.dispatch._rules import ProjectRules, SecondaryOrder
from leadcore.errors import ConflictError
from leadcore.leads._model import Lead, Task
from leadcore.storage.sql._codec import decode, encode, from_micros, micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._schema import NUMBER_LENGTH
from leadcore.storage.sql._tables import DO_NOT_CALL, LEADS, TASKS, bounded
from leadcore.storage.sql._tx import CHUNK, Deleted, Key, Spec, SqlTransaction
from leadcore.workflow import Category, Workflow

__all__ = ["AVAILABLE", "SqlDispatch", "repository", "write_queue"]

#: Whether the SQL storage declares ``Capabilities.dispatch``.
AVAILABLE: Final = True

_T: Final = metadata.tables
QUEUE: Final = _T["leadcore_dispatch_queue"]
PHONES: Final = _T["leadcore_dispatch_phones"]
_MICROSECOND: Final = timedelta(microseconds=1)
# Rows fetched per query: one when the database applies every criterion (the row it
# locks is the answer), more when Python checks custom fields after it.
_EXACT_BATCH: Final = 1
_CHECKED_BATCH: Final = 16
_BROWSE_BATCH: Final = 64
# Parked leads a claim's commit puts back when their lease has ended.
_UNPARK_BATCH: Final = 16


def _pools_columns(pools: ProjectPools) -> dict[str, Any]:
    return {"record": encode(pools)}


def _filter_columns(value: AgentFilter) -> dict[str, Any]:
    return {"record": encode(value)}


def _lease_columns(lease: Lease) -> dict[str, Any]:
    return {
        "agent_id": bounded(lease.agent_id, "lease.agent_id"),
        "token": lease.token,
        "claimed_us": micros(lease.claimed_at),
        "expires_us": micros(lease.expires_at),
        "exclusive": lease.exclusive,
        "released": lease.released,
        "valid_from_token": lease.valid_from_token,
        "holders": None if lease.exclusive else json.dumps(lease.holders),
    }


def _lease_of(row: Row[Any]) -> Lease:
    m = row._mapping
    return Lease(
        lead_id=m["lead_id"],
        agent_id=m["agent_id"],
        token=int(m["token"]),
        claimed_at=from_micros(int(m["claimed_us"])),
        expires_at=from_micros(int(m["expires_us"])),
        exclusive=bool(m["exclusive"]),
        released=bool(m["released"]),
        # NULL: an exclusive lease, or a row written before schema 4 (its latest claim only).
        **({} if m["holders"] is None else {"holders": json.loads(m["holders"])}),
    )


POOLS: Final[Spec[ProjectPools]] = Spec(
    "dispatch pools",
    20,
    _T["leadcore_dispatch_pools"],
    ("organization_id", "project_id"),
    _pools_columns,
    lambda row: decode(row._mapping["record"], ProjectPools),
    cached=True,
)
FILTERS: Final[Spec[AgentFilter]] = Spec(
    "agent filter",
    21,
    _T["leadcore_dispatch_filters"],
    ("organization_id", "project_id", "agent_id"),
    _filter_columns,
    lambda row: decode(row._mapping["record"], AgentFilter),
    cached=True,
)
LEASES: Final[Spec[Lease]] = Spec(
    "lease",
    22,
    _T["leadcore_dispatch_leases"],
    ("organization_id", "lead_id"),
    _lease_columns,
    _lease_of,
)
CLAIM_HEADS: Final[Spec[int]] = Spec(
    "claim count",
    23,
    _T["leadcore_dispatch_claim_heads"],
    ("organization_id", "project_id", "agent_id"),
    lambda count: {"count": count},
    lambda row: int(row._mapping["count"]),
)
CLAIMS: Final[Spec[datetime]] = Spec(
    "claim",
    24,
    _T["leadcore_dispatch_claims"],
    ("organization_id", "project_id", "agent_id", "n"),
    lambda at: {"at_us": micros(at)},
    lambda row: from_micros(int(row._mapping["at_us"])),
    versioned=False,
)


# -- the queue, kept at commit ----------------------------------------------------------


def _locked_until(lease: Lease | None) -> int | None:
    if lease is None or not lease.exclusive or lease.released:
        return None
    return micros(lease.expires_at)


def _queue_row(lead: Lead, callback: Task | None, lease: Lease | None) -> dict[str, Any]:
    created = micros(lead.created_at)
    last = lead.last_contact_at
    locked = _locked_until(lease)
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
    for key, task in tx.staged(TASKS).items():
        if not isinstance(task, Deleted):
            full.setdefault(str(key[0]), set()).add(task.lead_id)
    for org in sorted(full):
        ids = sorted(full[org])
        tx.scope(connection, org)
        for start in range(0, len(ids), CHUNK):
            _rebuild(tx, connection, org, ids[start : start + CHUNK], staged_leads)
    leases = tx.staged(LEASES)
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
        connection.execute(
            _SET_LOCK, {"org": org, "lead": lead_id, "until": locked, "park": locked is not None}
        )
    wanted = _UNPARK_WANTED.get(tx)
    if wanted is not None and wanted[0] == tx.generation:
        for org, now_us in sorted(claimed.items()):
            if org in wanted[1]:
                _unpark(tx, connection, org, now_us)


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


def _want_unpark(tx: SqlTransaction, org: str) -> None:
    wanted = _UNPARK_WANTED.get(tx)
    if wanted is None or wanted[0] != tx.generation:
        wanted = _UNPARK_WANTED[tx] = (tx.generation, set())
    wanted[1].add(org)


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
    tt = TASKS.table
    tasks: dict[str, list[Task]] = {}
    for row in connection.execute(
        select(tt.c.record).where(
            tt.c.organization_id == org, tt.c.lead_id.in_(ids), tt.c.done == false()
        )
    ):
        task = decode(row.record, Task)
        tasks.setdefault(task.lead_id, []).append(task)
    st = LEASES.table
    leases = {
        row.lead_id: _lease_of(row)
        for row in connection.execute(
            select(st).where(st.c.organization_id == org, st.c.lead_id.in_(ids))
        )
    }
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
        phones.extend(
            {"organization_id": org, "lead_id": lead_id, "number": number}
            # A longer number cannot be on the do-not-call list, which holds no such.
            for number in sorted(set(lead.phones))
            if len(number) <= NUMBER_LENGTH
        )
    if gone:
        connection.execute(delete(QUEUE).where(q.organization_id == org, q.lead_id.in_(gone)))
    if changed:
        # Updated in place (not removed and added again), so that a concurrent update
        # of the row's lease columns, waiting for this one, applies to the new row.
        connection.execute(_REPLACE_ROW, [_keyed(values) for values in changed])
    if added:
        connection.execute(insert(QUEUE), added)
    connection.execute(delete(PHONES).where(p.organization_id == org, p.lead_id.in_(ids)))
    if phones:
        connection.execute(insert(PHONES), phones)


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


SqlTransaction.derived_writers.append(write_queue)


# -- reservations within one process (SQLite) --------------------------------------------

_Reservations = dict[tuple[str, str], tuple["weakref.ref[SqlTransaction]", int]]
_RESERVED: weakref.WeakKeyDictionary[object, _Reservations] = weakref.WeakKeyDictionary()


def _reservations(tx: SqlTransaction) -> _Reservations:
    found = _RESERVED.get(tx.backend)
    if found is None:
        found = _RESERVED[tx.backend] = {}
    return found


def _held_by_other(tx: SqlTransaction, org: str, lead_id: str) -> bool:
    held = _reservations(tx).get((org, lead_id))
    if held is None:
        return False
    owner = held[0]()
    return owner is not None and owner is not tx and owner.generation == held[1]


def _reserve(tx: SqlTransaction, org: str, lead_id: str) -> None:
    reserved = _reservations(tx)
    if len(reserved) > 256:
        for key, (ref, generation) in list(reserved.items()):
            owner = ref()
            if owner is None or owner.generation != generation:
                del reserved[key]
    reserved[(org, lead_id)] = (weakref.ref(tx), tx.generation)


# -- the next lead ------------------------------------------------------------------------
#
# The statements depend on the shape of a question (rules, pool tiers, workflow,
# filter, locking), not on who asks when: they are built once per shape, with the
# organisation, project, agent and instants as bound parameters.

_ORG: Final = bindparam("org", type_=QUEUE.c.organization_id.type)
_PROJECT: Final = bindparam("project", type_=QUEUE.c.project_id.type)
_AGENT: Final = bindparam("agent", type_=QUEUE.c.lead_id.type)
_NOW: Final = bindparam("now", type_=BigInteger())
_OPENED: Final = bindparam("opened", type_=BigInteger())


@attrs.frozen(eq=False)
class _Lookup:
    """The statements that fetch the rows of one tier (or part of one) in policy order."""

    kind: str
    """``own``, ``open`` (callbacks) or ``pool``: which probe says whether to look."""
    first: Select[Any]
    """The first rows."""
    more: Select[Any]
    """The rows after the one whose order is given as ``a0``, ``a1``..."""
    width: int
    """How many order columns (``o0``...; the last is the lead id)."""
    batch: int
    checked: bool
    """Python checks criteria the conditions leave out (custom fields)."""


@attrs.frozen(eq=False)
class _Statements:
    probe: Select[Any]
    """Whether anything is parked with its lease over, and whether callbacks are due."""
    tiers: tuple[tuple[_Lookup, ...], ...]
    """Per tier, the lookups whose best answer is the tier's (pool tiers: unparked first)."""


def _among(column: ColumnElement[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN (...)`` with one bound value each, fixed in the compiled statement.

    Not ``in_(values)``: that is an *expanding* parameter, and SQLAlchemy renders
    the statement's SQL again on every execution to spell it out (a tenth of a
    claim's time in Python). The lookups are built once per set of values anyway.
    """
    if not values:
        return false()
    return column.in_([literal(value, column.type) for value in values])


def _filter_conditions(
    flt: AgentFilter | None, statuses: tuple[tuple[str, Category], ...]
) -> list[ColumnElement[bool]]:
    if flt is None:
        return []
    q = QUEUE.c
    out: list[ColumnElement[bool]] = []
    if flt.selects_statuses:
        named = set(flt.statuses)
        named.update(status for status, category in statuses if category in flt.categories)
        either = [_among(q.status_id, sorted(named))]
        if flt.no_status:
            either.append(q.status_id.is_(None))
        out.append(or_(*either))
    if flt.sources:
        out.append(_among(q.source, sorted(flt.sources)))
    if flt.created_from is not None:
        out.append(q.created_us >= micros(flt.created_from))
    if flt.created_before is not None:
        out.append(q.created_us < micros(flt.created_before))
    if flt.min_attempts is not None:
        out.append(q.attempts >= flt.min_attempts)
    if flt.max_attempts is not None:
        out.append(q.attempts <= flt.max_attempts)
    return out


def _secondary(order: SecondaryOrder) -> Any:
    q = QUEUE.c
    if order is SecondaryOrder.OLDEST_FIRST:
        return q.created_us
    if order is SecondaryOrder.NEWEST_FIRST:
        return q.newest_us
    if order is SecondaryOrder.LEAST_RECENTLY_CONTACTED:
        return q.contact_us
    return q.attempts


@functools.lru_cache(maxsize=512)
def _statements(
    dialect: str,
    lock: bool,
    tiers: tuple[tuple[str, ...], ...],
    pool_ids: tuple[str, ...],
    statuses: tuple[tuple[str, Category], ...],
    flt: AgentFilter | None,
    secondary: SecondaryOrder,
    no_status_first: bool,
    multiple_relationships: bool,
    grace: bool,
) -> _Statements:
    q, p = QUEUE.c, PHONES.c
    d = DO_NOT_CALL.table.c
    scope = (q.organization_id == _ORG, q.project_id == _PROJECT)
    live = sorted(status for status, category in statuses if category is not Category.DONE)
    blocked = exists().where(
        p.organization_id == q.organization_id,
        p.lead_id == q.lead_id,
        d.organization_id == p.organization_id,
        d.number == p.number,
    )
    base = (
        *scope,
        _among(q.pool_id, sorted(pool_ids)),
        or_(q.status_id.is_(None), _among(q.status_id, live)),
        q.converted == false(),
        q.do_not_call == false(),
        or_(q.locked_until_us.is_(None), q.locked_until_us <= _NOW),
        ~blocked,
    )
    # The earliest end of a parked lead's lease in the organisation, read off the parked
    # index in its order, then compared with now. Not ``EXISTS (... locked_until_us <=
    # now)``: PostgreSQL's generic plan for that guesses a third of the parked rows
    # match, so scans the table for the first, and finds none in most claims (5 ms at
    # 20,000 leads). Organisation-wide, as the commit's unparking is; a project without
    # such a lead then runs one parked lookup that finds nothing.
    earliest = (
        select(q.locked_until_us)
        .where(q.organization_id == _ORG, q.parked)
        .order_by(q.locked_until_us)
        .limit(literal_column("1"))
        .scalar_subquery()
    )
    probes = [
        earliest <= _NOW,
        exists().where(
            *scope,
            q.callback_us.is_not(None),
            q.callback_owner_id == _AGENT,
            q.callback_us <= _NOW,
        ),
    ]
    if grace:
        probes.append(exists().where(*scope, q.callback_us.is_not(None), q.callback_us <= _OPENED))
    labels: list[Any] = [found.label(f"p{i}") for i, found in enumerate(probes)]
    # The agent's claim count rides along: a claim writes it next, so it needs no read of
    # its own (the commit compares its revision, as for any record read).
    h = CLAIM_HEADS.table.c
    head = (h.organization_id == _ORG, h.project_id == _PROJECT, h.agent_id == _AGENT)
    labels.append(select(h.revision).where(*head).scalar_subquery().label("head_revision"))
    labels.append(select(h.count).where(*head).scalar_subquery().label("head_count"))
    probe: Select[Any] = select(*labels)

    filtered = _filter_conditions(flt, statuses)
    checked = flt is not None and bool(flt.field_equals or flt.field_in or flt.field_ranges)
    batch = (_CHECKED_BATCH if checked else _EXACT_BATCH) if lock else _BROWSE_BATCH
    of = QUEUE if dialect == "postgresql" else None

    def lookup(
        kind: str, conditions: Iterable[ColumnElement[bool]], order: tuple[Any, ...], checks: bool
    ) -> _Lookup:
        where = (*base, *conditions)
        after = tuple_(*order) > tuple_(
            *(bindparam(f"a{i}", type_=column.type) for i, column in enumerate(order))
        )
        picked = [
            select(
                q.organization_id.label("org"),
                q.callback_us.label("callback_us"),
                q.callback_owner_id.label("callback_owner_id"),
                *(column.label(f"o{i}") for i, column in enumerate(order)),
            )
            .where(*extra)
            .order_by(*order)
            # A literal, not a parameter: with ``LIMIT $n`` PostgreSQL's generic plan
            # guesses a tenth of the table and loses to a custom plan, so every
            # execution of the prepared statement was planned afresh (0.3 ms a claim).
            .limit(literal_column(str(int(batch))))
            for extra in (where, (*where, after))
        ]
        if lock:
            picked = [s.with_for_update(skip_locked=True, of=of) for s in picked]
        first, more = (_with_records(s.subquery("picked"), len(order)) for s in picked)
        return _Lookup(kind, first, more, len(order), batch, checks)

    by_time = (q.callback_us, q.lead_id)
    looked: list[tuple[_Lookup, ...]] = [
        (lookup("own", (q.callback_owner_id == _AGENT, q.callback_us <= _NOW), by_time, False),)
    ]
    if grace:
        opened = (
            q.callback_us.is_not(None),
            q.callback_owner_id != _AGENT,
            q.callback_us <= _OPENED,
            *filtered,
        )
        looked.append((lookup("open", opened, by_time, checked),))
    in_pool = [q.callback_us.is_(None), *filtered]
    if not multiple_relationships:
        a = _T["leadcore_lead_assignees"].c
        mine = exists().where(
            a.organization_id == q.organization_id,
            # Said again as the parameter: PostgreSQL answers the EXISTS with a hash of
            # the agent's assignments, and without it builds the hash by reading every
            # organisation's assignments (10,000 rows a lookup at 100,000 leads) instead
            # of the agent's own through the key.
            a.organization_id == _ORG,
            a.user_id == _AGENT,
            a.lead_id == q.lead_id,
        )
        in_pool.append(or_(q.assigned == false(), mine))
    order: tuple[Any, ...] = (q.status_rank, _secondary(secondary), q.lead_id)
    if not no_status_first:
        order = order[1:]
    for tier in tiers:
        conditions = (_among(q.pool_id, tier), *in_pool)
        looked.append(
            (
                lookup("pool", (*conditions, q.parked == false()), order, checked),
                lookup("parked", (*conditions, q.parked), order, checked),
            )
        )
    return _Statements(probe, tuple(looked))


class SqlDispatch:
    """Dispatch records of one unit of work over a :class:`~leadcore.storage.sql.SqlStorage`."""

    def __init__(self, tx: SqlTransaction) -> None:
        self._tx = tx

    # -- configuration ---------------------------------------------------------------

    def pools(self, organization_id: str, project_id: str) -> ProjectPools | None:
        """The project's pools."""
        return self._tx.get(POOLS, (organization_id, project_id))

    def set_pools(self, organization_id: str, project_id: str, pools: ProjectPools) -> None:
        """Store the project's pools."""
        bounded(project_id, "project_id")
        self._tx.put(POOLS, (organization_id, project_id), pools)

    def agent_filter(
        self, organization_id: str, project_id: str, agent_id: str
    ) -> AgentFilter | None:
        """An agent's filter."""
        return self._tx.get(FILTERS, (organization_id, project_id, agent_id))

    def set_agent_filter(
        self, organization_id: str, project_id: str, agent_id: str, value: AgentFilter | None
    ) -> None:
        """Store or remove an agent's filter."""
        key = (organization_id, bounded(project_id, "project_id"), bounded(agent_id, "agent_id"))
        if value is None:
            self._tx.delete(FILTERS, key)
        else:
            self._tx.put(FILTERS, key, value)

    # -- leases and claims -------------------------------------------------------------

    def lease(self, organization_id: str, lead_id: str) -> Lease | None:
        """The lead's lease record."""
        return self._tx.get(LEASES, (organization_id, lead_id))

    def leases(self, organization_id: str, lead_ids: Collection[str]) -> dict[str, Lease]:
        """Lease records of these leads (in a few queries)."""
        keys = [(organization_id, lead_id) for lead_id in dict.fromkeys(lead_ids)]
        self._tx.meet(LEASES, keys)
        out = {}
        for key in keys:
            lease = self._tx.get(LEASES, key)
            if lease is not None:
                out[key[1]] = lease
        return out

    def put_lease(self, organization_id: str, lease: Lease, *, expected_token: int | None) -> None:
        """Compare-and-set the lead's lease record (and on its row's revision at commit).

        The record compared is the one this unit of work met (read again only if
        it never did): the commit compares the row's revision with that one, so
        a claim committed since then makes the commit conflict either way.
        """
        stored = self._tx.known(LEASES, (organization_id, lease.lead_id))
        token = None if stored is None else stored.token
        if token != expected_token:
            raise ConflictError(
                f"lead {lease.lead_id!r} was claimed meanwhile (token {token}, "
                f"expected {expected_token})"
            )
        bounded(lease.lead_id, "lease.lead_id")
        self._tx.put(LEASES, (organization_id, lease.lead_id), lease)

    def record_claim(
        self, organization_id: str, project_id: str, agent_id: str, at: datetime
    ) -> None:
        """Log one claim and bump the agent's claim count, which concurrent claims conflict on."""
        head = (organization_id, bounded(project_id, "project_id"), bounded(agent_id, "agent_id"))
        count = self._tx.get(CLAIM_HEADS, head) or 0
        self._tx.put(CLAIM_HEADS, head, count + 1)
        self._tx.put(CLAIMS, (*head, count + 1), at)

    def claim_times(
        self, organization_id: str, project_id: str, agent_id: str, since: datetime
    ) -> Sequence[datetime]:
        """Claim times after ``since``, oldest first (this unit of work's own included).

        Reading the agent's claim count makes this unit of work conflict with
        any claim of the same agent in the project committed meanwhile.
        """
        self._tx.get(CLAIM_HEADS, (organization_id, project_id, agent_id))
        c = CLAIMS.table.c
        since_us = micros(since)
        times = self._tx.scan(
            CLAIMS,
            organization_id,
            [c.project_id == project_id, c.agent_id == agent_id, c.at_us > since_us],
            lambda key, at: key[1] == project_id and key[2] == agent_id and at > since,
        )
        return sorted(times)

    # -- candidates and the next lead -------------------------------------------------------

    def candidates(
        self, organization_id: str, project_id: str, workflow: Workflow
    ) -> list[Candidate]:
        """The project's candidates from committed data, oldest first."""
        tx = self._tx
        lt, tt = LEADS.table, TASKS.table
        leads = [
            decode(row.record, Lead)
            for row in tx.rows(
                select(lt.c.record)
                .where(
                    lt.c.organization_id == organization_id,
                    lt.c.project_id == project_id,
                    lt.c.pool_id.is_not(None),
                )
                .order_by(lt.c.created_us, lt.c.id),
                organization_id,
            )
        ]
        if not leads:
            return []
        tasks: dict[str, list[Task]] = {}
        for row in tx.rows(
            select(tt.c.record)
            .join(
                lt,
                and_(lt.c.organization_id == tt.c.organization_id, lt.c.id == tt.c.lead_id),
            )
            .where(
                tt.c.organization_id == organization_id,
                tt.c.done == false(),
                lt.c.organization_id == organization_id,
                lt.c.project_id == project_id,
            ),
            organization_id,
        ):
            task = decode(row.record, Task)
            tasks.setdefault(task.lead_id, []).append(task)
        d = DO_NOT_CALL.table.c
        blocked = {
            str(row.number)
            for row in tx.rows(
                select(d.number).where(d.organization_id == organization_id), organization_id
            )
        }
        out = []
        for lead in leads:
            found = candidate_of(
                lead,
                workflow,
                pending_callback(tasks.get(lead.id, ())),
                blocked=any(phone in blocked for phone in lead.phones),
            )
            if found is not None:
                out.append(found)
        return out

    def next_choice(
        self,
        organization_id: str,
        project_id: str,
        agent: Agent,
        *,
        rules: ProjectRules,
        pools: ProjectPools,
        workflow: Workflow,
        now: datetime,
        load: AgentLoad,
        reserve: bool = False,
    ) -> Choice | None:
        """The policy's lead for ``agent`` at ``now``, tier by tier from the queue.

        With ``reserve``, the lead's queue row stays locked (PostgreSQL,
        MariaDB/MySQL) or reserved in this process (SQLite) until the unit of
        work ends, and leads other units of work hold are passed by.
        """
        if cap_reached(rules, load) is not None or not pools.pools:
            return None
        tx = self._tx
        now_us = micros(now)
        plan = plan_pools(pools, agent.id, rules)
        lock = reserve and tx.backend.name != "sqlite"
        grace = rules.callback_grace
        statements = _statements(
            tx.backend.name,
            lock,
            plan.tiers,
            tuple(pool.id for pool in pools.pools),
            tuple((s.id, s.category) for s in workflow.statuses),
            agent.filter,
            rules.secondary_order,
            rules.no_status_first,
            rules.allow_multiple_relationships,
            grace is not None,
        )
        params: dict[str, Any] = {
            "org": organization_id,
            "project": project_id,
            "agent": agent.id,
            "now": now_us,
            "opened": 0 if grace is None else now_us - grace // _MICROSECOND,
        }
        # One round trip says which lookups can find anything: due callbacks (own, and
        # others' past the grace period) and leads parked by a lease that has ended
        # since (rare: commits put them back).
        flags = tx.rows(statements.probe, organization_id, params)[0]._mapping
        if reserve:
            revision = flags["head_revision"]
            count = None if revision is None else int(flags["head_count"])
            tx.vouch(
                CLAIM_HEADS,
                (organization_id, project_id, agent.id),
                count,
                None if revision is None else int(revision),
            )
        if flags["p0"]:
            _want_unpark(tx, organization_id)
        look = {
            "own": bool(flags["p1"]),
            "open": grace is not None and bool(flags["p2"]),
            "pool": True,
            "parked": bool(flags["p0"]),
        }
        for lookups in statements.tiers:
            found = None
            for lookup in lookups:
                if not look[lookup.kind]:
                    continue
                best = self._first_in(
                    organization_id, lookup, params, agent, rules, plan, workflow, now, reserve
                )
                if best is not None and (found is None or best[0].key < found[0].key):
                    found = best
            if found is not None:
                choice, row, lead = found
                if reserve:
                    _reserve(tx, organization_id, choice.lead_id)
                if lock:
                    # The lead's queue row is locked until this unit of work ends, and a
                    # commit that changes the lead or its lease must lock that row before
                    # it can end: what the lookup read of both stays current.
                    key = (organization_id, choice.lead_id)
                    tx.vouch(LEADS, key, lead, int(row.lead_revision))
                    lease = None if row.token is None else _lease_of(row)
                    revision = None if lease is None else int(row.lease_revision)
                    tx.vouch(LEASES, key, lease, revision)
                return choice
        return None

    def _first_in(
        self,
        org: str,
        lookup: _Lookup,
        params: dict[str, Any],
        agent: Agent,
        rules: ProjectRules,
        plan: PoolPlan,
        workflow: Workflow,
        now: datetime,
        reserve: bool,
    ) -> tuple[Choice, Row[Any], Lead] | None:
        """The best lead of one lookup that passes the policy (with its row), or ``None``."""
        # Without a row lock (SQLite), leads other units of work reserved are passed by here.
        passing = reserve and self._tx.backend.name == "sqlite"
        after: tuple[Any, ...] | None = None
        width = lookup.width
        while True:
            if after is None:
                rows = self._tx.rows(lookup.first, org, params)
            else:
                more = params | {f"a{i}": value for i, value in enumerate(after)}
                rows = self._tx.rows(lookup.more, org, more)
            if not rows:
                return None
            best: tuple[Choice, Row[Any], Lead] | None = None
            for row in rows:
                position = tuple(row._mapping[f"o{i}"] for i in range(width))
                if after is None or position > after:
                    after = position
                if passing and _held_by_other(self._tx, org, row.lead_id):
                    continue
                lead = decode(row.record, Lead)
                choice = self._check(lead, row, agent, rules, plan, workflow, now)
                if choice is not None and (best is None or choice.key < best[0].key):
                    best = (choice, row, lead)
            if best is not None:
                return best
            if len(rows) < lookup.batch:
                return None

    @staticmethod
    def _check(
        lead: Lead,
        row: Row[Any],
        agent: Agent,
        rules: ProjectRules,
        plan: PoolPlan,
        workflow: Workflow,
        now: datetime,
    ) -> Choice | None:
        candidate = candidate_of(lead, workflow, None)
        if candidate is None:
            return None
        if row.callback_us is not None:
            candidate = attrs.evolve(
                candidate,
                callback_at=from_micros(int(row.callback_us)),
                callback_owner_id=row.callback_owner_id,
            )
        lease = None if row.token is None else _lease_of(row)
        if exclusion(candidate, agent=agent, rules=rules, plan=plan, lease=lease, now=now):
            return None
        key = sort_key(candidate, agent_id=agent.id, rules=rules, plan=plan, now=now)
        return None if key is None else make_choice(candidate, key, rules)


def _with_records(picked: Subquery, width: int) -> Select[Any]:
    """The picked queue rows with their lead records and leases (re-read, in no order)."""
    lt, st = LEADS.table, LEASES.table
    lead_id = picked.c[f"o{width - 1}"]
    return (
        select(
            lead_id.label("lead_id"),
            picked.c.callback_us,
            picked.c.callback_owner_id,
            lt.c.record,
            lt.c.revision.label("lead_revision"),
            st.c.revision.label("lease_revision"),
            st.c.agent_id,
            st.c.token,
            st.c.claimed_us,
            st.c.expires_us,
            st.c.exclusive,
            st.c.released,
            st.c.valid_from_token,
            st.c.holders,
            *(picked.c[f"o{i}"] for i in range(width)),
        )
        .select_from(picked)
        .join(lt, and_(lt.c.organization_id == picked.c.org, lt.c.id == lead_id))
        .outerjoin(st, and_(st.c.organization_id == picked.c.org, st.c.lead_id == lead_id))
    )


def repository(tx: SqlTransaction) -> SqlDispatch:
    """The dispatch repository of a unit of work."""
    return SqlDispatch(tx)


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
