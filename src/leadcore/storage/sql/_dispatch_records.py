"""How the dispatch records map to their tables: pools, filters, leases, claims; the queue tables.

The dispatch queue and its phone numbers (``QUEUE``, ``PHONES``) are derived
rows, written at commit by :mod:`leadcore.storage.sql._dispatch_queue`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Row

from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._pools import ProjectPools
from leadcore.storage.sql._codec import decode, encode, from_micros, micros
from leadcore.storage.sql._migrations import metadata
from leadcore.storage.sql._tables import bounded
from leadcore.storage.sql._tx import Spec

__all__ = ["CLAIMS", "CLAIM_HEADS", "FILTERS", "LEASES", "PHONES", "POOLS", "QUEUE", "lease_of"]

_T: Final = metadata.tables
QUEUE: Final = _T["leadcore_dispatch_queue"]
PHONES: Final = _T["leadcore_dispatch_phones"]


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


def lease_of(row: Row[Any]) -> Lease:
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
    lease_of,
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
