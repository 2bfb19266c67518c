"""The statements that find the next lead: the queue read in the ordering policy's order."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any, Final

import attrs
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Subquery,
    and_,
    bindparam,
    exists,
    false,
    literal_column,
    or_,
    select,
    tuple_,
)

from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._rules import SecondaryOrder
from leadcore.storage.sql._dispatch_filters import among, filter_conditions
from leadcore.storage.sql._dispatch_records import CLAIM_HEADS, LEASES, PHONES, QUEUE
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._tables import DO_NOT_CALL, LEADS
from leadcore.workflow import Category

__all__ = ["CANDIDATES", "Lookup", "Statements", "statements_for"]

_T: Final = metadata.tables
# Rows fetched per query: one when the database applies every criterion (the row it
# locks is the answer), more when Python checks custom fields after it.
_EXACT_BATCH: Final = 1
_CHECKED_BATCH: Final = 16
_BROWSE_BATCH: Final = 64


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
class Lookup:
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
class Statements:
    probe: Select[Any]
    """Whether anything is parked with its lease over, and whether callbacks are due."""
    tiers: tuple[tuple[Lookup, ...], ...]
    """Per tier, the lookups whose best answer is the tier's (pool tiers: unparked first)."""


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
def statements_for(
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
) -> Statements:
    q = QUEUE.c
    scope = (q.organization_id == _ORG, q.project_id == _PROJECT)
    live = sorted(status for status, category in statuses if category is not Category.DONE)
    blocked = _blocked()
    base = (
        *scope,
        among(q.pool_id, sorted(pool_ids)),
        or_(q.status_id.is_(None), among(q.status_id, live)),
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

    filtered, checked = filter_conditions(flt, statuses)
    batch = (_CHECKED_BATCH if checked else _EXACT_BATCH) if lock else _BROWSE_BATCH
    of = QUEUE if dialect == "postgresql" else None

    def lookup(
        kind: str, conditions: Iterable[ColumnElement[bool]], order: tuple[Any, ...], checks: bool
    ) -> Lookup:
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
        return Lookup(kind, first, more, len(order), batch, checks)

    by_time = (q.callback_us, q.lead_id)
    looked: list[tuple[Lookup, ...]] = [
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
        conditions = (among(q.pool_id, tier), *in_pool)
        looked.append(
            (
                lookup("pool", (*conditions, q.parked == false()), order, checked),
                lookup("parked", (*conditions, q.parked), order, checked),
            )
        )
    return Statements(probe, tuple(looked))


def _blocked() -> Any:
    """Whether a number of the queue row's lead is on the do-not-call list (``EXISTS``)."""
    q, p = QUEUE.c, PHONES.c
    d = DO_NOT_CALL.table.c
    return exists().where(
        p.organization_id == q.organization_id,
        p.lead_id == q.lead_id,
        d.organization_id == p.organization_id,
        d.number == p.number,
    )


def _candidates() -> Select[Any]:
    q, lt = QUEUE.c, LEADS.table
    return (
        select(
            lt.c.record,
            q.callback_us,
            q.callback_owner_id,
            _blocked().label("blocked"),
        )
        .select_from(QUEUE)
        .join(lt, and_(lt.c.organization_id == q.organization_id, lt.c.id == q.lead_id))
        .where(q.organization_id == _ORG, q.project_id == _PROJECT)
        .order_by(q.created_us, q.lead_id)
    )


#: A project's queued leads, oldest first: each lead's record, its open callback (the
#: queue's columns) and whether a number of it is on the do-not-call list. Read through
#: the queue's index on the project, the leads and their numbers by key, so that
#: ``explain`` costs what the project's queue holds, not every lead and task it has.
CANDIDATES: Final = _candidates()


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
