"""The dispatch tables of schema version 2 (see :mod:`leadcore.storage.sql._schema_v2`).

- ``leadcore_dispatch_pools`` and ``leadcore_dispatch_filters``: a project's
  pools and each agent's filter, as JSON records.
- ``leadcore_dispatch_leases``: one lease record per claimed lead, in columns.
- ``leadcore_dispatch_claims`` and ``leadcore_dispatch_claim_heads``: the
  claim log, numbered per agent and project; the head row (the count) is
  revisioned, so that two concurrent claims of one agent in one project
  conflict and per-agent caps hold.
- ``leadcore_dispatch_queue``: the dispatch queue, one row per lead of a
  project that sits in a pool, derived at commit from the lead, its open
  callback task and its lease; its columns are what the ordering policy
  sorts and excludes by, so that the database finds an agent's next lead
  through an index instead of the adapter ranking every lead. A leased
  lead is *parked* (out of the head of the pool indexes) until a later
  commit sees its lease expired.
- ``leadcore_dispatch_phones``: the phone numbers of queued leads, so that a
  number on the do-not-call list excludes its leads by a join.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String

from leadcore.storage.sql._schema import (
    NUMBER_LENGTH,
    _id,
    _org,
    _record,
    _revision,
    _table,
)

__all__ = ["define_dispatch_tables"]


def define_dispatch_tables(metadata: MetaData) -> None:
    """Add the dispatch tables to ``metadata``."""
    m = metadata
    _table(
        m,
        "leadcore_dispatch_pools",
        _org(primary_key=True),
        _id("project_id", primary_key=True),
        _revision(),
        _record(),
    )
    _table(
        m,
        "leadcore_dispatch_filters",
        _org(primary_key=True),
        _id("project_id", primary_key=True),
        _id("agent_id", primary_key=True),
        _revision(),
        _record(),
    )
    _table(
        m,
        "leadcore_dispatch_leases",
        _org(primary_key=True),
        _id("lead_id", primary_key=True),
        _revision(),
        _id("agent_id"),
        Column("token", BigInteger, nullable=False),
        Column("claimed_us", BigInteger, nullable=False),
        Column("expires_us", BigInteger, nullable=False),
        Column("exclusive", Boolean, nullable=False),
        Column("released", Boolean, nullable=False),
        Column("valid_from_token", BigInteger, nullable=False),
    )
    _table(
        m,
        "leadcore_dispatch_claim_heads",
        _org(primary_key=True),
        _id("project_id", primary_key=True),
        _id("agent_id", primary_key=True),
        _revision(),
        Column("count", BigInteger, nullable=False),
    )
    claims = _table(
        m,
        "leadcore_dispatch_claims",
        _org(primary_key=True),
        _id("project_id", primary_key=True),
        _id("agent_id", primary_key=True),
        Column("n", BigInteger, primary_key=True, autoincrement=False),
        Column("at_us", BigInteger, nullable=False),
    )
    k = claims.c
    Index("ix_leadcore_dispatch_claims_at", k.organization_id, k.project_id, k.agent_id, k.at_us)

    queue = _table(
        m,
        "leadcore_dispatch_queue",
        _org(primary_key=True),
        _id("lead_id", primary_key=True),
        _id("project_id"),
        _id("pool_id"),
        _id("status_id", nullable=True),
        # 0 with no status, 1 with one: the rule no_status_first sorts by it.
        Column("status_rank", Integer, nullable=False),
        _id("source", nullable=True),
        Column("converted", Boolean, nullable=False),
        Column("do_not_call", Boolean, nullable=False),
        Column("assigned", Boolean, nullable=False),
        # The secondary orders, each ascending: oldest first, newest first,
        # least recently contacted (never first), fewest attempts.
        Column("created_us", BigInteger, nullable=False),
        Column("newest_us", BigInteger, nullable=False),
        Column("contact_us", BigInteger, nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("callback_us", BigInteger, nullable=True),
        _id("callback_owner_id", nullable=True),
        # The end of a live exclusive lease (NULL: none, released or not exclusive).
        Column("locked_until_us", BigInteger, nullable=True),
        # Set with locked_until_us, cleared once the lease is seen expired: leased leads
        # leave the head of the pool indexes instead of piling up there.
        Column("parked", Boolean, nullable=False),
    )
    q = queue.c
    Index(
        "ix_leadcore_dispatch_queue_pool",
        q.organization_id,
        q.project_id,
        q.pool_id,
        q.parked,
        q.created_us,
        q.lead_id,
    )
    Index(
        "ix_leadcore_dispatch_queue_no_status",
        q.organization_id,
        q.project_id,
        q.pool_id,
        q.parked,
        q.status_rank,
        q.created_us,
        q.lead_id,
    )
    # Few rows have a callback or are parked: on PostgreSQL these indexes hold only
    # those, which also makes the planner pick them without fresh statistics.
    with_callback = q.callback_us.is_not(None)
    Index(
        "ix_leadcore_dispatch_queue_parked",
        q.organization_id,
        q.parked,
        q.locked_until_us,
        postgresql_where=q.parked,
    )
    Index(
        "ix_leadcore_dispatch_queue_callback",
        q.organization_id,
        q.project_id,
        q.callback_us,
        q.lead_id,
        postgresql_where=with_callback,
    )
    Index(
        "ix_leadcore_dispatch_queue_own_callback",
        q.organization_id,
        q.project_id,
        q.callback_owner_id,
        q.callback_us,
        q.lead_id,
        postgresql_where=with_callback,
    )
    _table(
        m,
        "leadcore_dispatch_phones",
        _org(primary_key=True),
        _id("lead_id", primary_key=True),
        Column("number", String(NUMBER_LENGTH), primary_key=True),
    )
