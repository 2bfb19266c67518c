"""Pure report computations over leads, conversions and history.

The funnel follows each lead to the accounts and opportunities its conversion
produced, so it answers "these leads produced this many accounts, which
produced this many opportunities" by source and period.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from leadcore.leads._conversion import Conversion, Opportunity
from leadcore.leads._model import HistoryEntry, HistoryKind, Lead

__all__ = [
    "FunnelRow",
    "StatusTime",
    "TransitionRate",
    "funnel",
    "status_stays",
    "time_in_status",
    "transition_rates",
]

_MOVES = frozenset({HistoryKind.STATUS_CHANGED, HistoryKind.MIGRATED, HistoryKind.UNCONVERTED})


@attrs.frozen
class FunnelRow:
    """One line of the funnel: leads, and what their conversions produced."""

    key: str | None
    """The group: a source, channel, supplier id or project id (``None``: none given)."""
    leads: int
    """Leads of the group created in the period."""
    converted: int
    """How many of them are converted (undone conversions do not count)."""
    accounts: int
    """Distinct accounts the conversions created or used."""
    new_accounts: int
    """Accounts the conversions created."""
    opportunities: int
    """Opportunities the conversions created."""
    won: int = 0
    """How many of those opportunities are closed as won."""
    won_revenue: dict[str | None, Decimal] = attrs.field(factory=dict, hash=False)
    """The amounts of the won ones, summed per currency (``None``: no currency given)."""

    @property
    def conversion_rate(self) -> float:
        """Converted leads per lead (0 when there are no leads)."""
        return self.converted / self.leads if self.leads else 0.0


def funnel(
    leads: Iterable[Lead],
    conversions: Iterable[Conversion],
    key: Callable[[Lead], str | None],
    opportunities: Mapping[str, Opportunity] | None = None,
) -> list[FunnelRow]:
    """Group leads by ``key`` and follow each to its live (not undone) conversion.

    ``opportunities`` (by id) adds the won ones and their revenue to each row.
    """
    found = opportunities or {}
    live = {c.lead_id: c for c in conversions if c.undone_at is None}
    groups: dict[str | None, list[Lead]] = defaultdict(list)
    for lead in leads:
        groups[key(lead)].append(lead)
    rows = []
    for k in sorted(groups, key=lambda x: (x is None, x or "")):
        members = groups[k]
        convs = [live[lead.id] for lead in members if lead.id in live]
        won = [
            o
            for c in convs
            if c.opportunity_id is not None
            and (o := found.get(c.opportunity_id)) is not None
            and o.won
        ]
        revenue: dict[str | None, Decimal] = {}
        for o in won:
            revenue[o.currency] = revenue.get(o.currency, Decimal(0)) + (o.amount or Decimal(0))
        rows.append(
            FunnelRow(
                key=k,
                leads=len(members),
                converted=len(convs),
                accounts=len({c.account_id for c in convs}),
                new_accounts=sum(1 for c in convs if c.account_created),
                opportunities=sum(1 for c in convs if c.opportunity_id is not None),
                won=len(won),
                won_revenue=revenue,
            )
        )
    return rows


@attrs.frozen
class Stay:
    """One lead's time in one status."""

    lead_id: str
    status_id: str
    start: datetime
    end: datetime
    open: bool
    """Whether the lead is still there (``end`` is then the report's ``now``)."""

    @property
    def duration(self) -> timedelta:
        """How long the stay lasted (so far)."""
        return self.end - self.start


def status_stays(entries: Iterable[HistoryEntry], now: datetime) -> list[Stay]:
    """Every stay in a status, from the status-moving history entries (any order)."""
    by_lead: dict[str, list[HistoryEntry]] = defaultdict(list)
    for e in entries:
        if e.kind in _MOVES:
            by_lead[e.lead_id].append(e)
    stays: list[Stay] = []
    for lead_id, moves in by_lead.items():
        # Entries come oldest first from the repository; keep that order for equal times.
        for this, nxt in zip(moves, [*moves[1:], None], strict=True):
            if this.to_status is None:
                continue
            end = nxt.at if nxt is not None else now
            stays.append(Stay(lead_id, this.to_status, this.at, end, nxt is None))
    return stays


@attrs.frozen
class StatusTime:
    """How long leads stay in a status."""

    status_id: str
    """The status."""
    stays: int
    """How many stays in it were observed."""
    current: int
    """Leads in the status now."""
    mean: timedelta
    """The mean length of a stay."""
    median: timedelta
    """The median length of a stay."""
    longest: timedelta
    """The longest stay."""


def time_in_status(stays: Sequence[Stay], order: Sequence[str]) -> list[StatusTime]:
    """Aggregate stays per status, in workflow ``order`` (unknown statuses last)."""
    grouped: dict[str, list[Stay]] = defaultdict(list)
    for s in stays:
        grouped[s.status_id].append(s)
    rank = {sid: i for i, sid in enumerate(order)}
    out = []
    for sid in sorted(grouped, key=lambda x: (rank.get(x, len(rank)), x)):
        seconds = [s.duration.total_seconds() for s in grouped[sid]]
        out.append(
            StatusTime(
                status_id=sid,
                stays=len(seconds),
                current=sum(1 for s in grouped[sid] if s.open),
                mean=timedelta(seconds=statistics.fmean(seconds)),
                median=timedelta(seconds=statistics.median(seconds)),
                longest=timedelta(seconds=max(seconds)),
            )
        )
    return out


@attrs.frozen
class TransitionRate:
    """How often leads leaving ``from_status`` went to ``to_status``."""

    from_status: str | None
    to_status: str
    count: int
    """How many such moves were observed."""
    rate: float
    """``count`` divided by every move out of ``from_status``."""


def transition_rates(entries: Iterable[HistoryEntry]) -> list[TransitionRate]:
    """Counts and shares of every observed move, by source status then count."""
    counts: dict[tuple[str | None, str], int] = defaultdict(int)
    leaving: dict[str | None, int] = defaultdict(int)
    for e in entries:
        if e.kind in _MOVES and e.to_status is not None:
            counts[(e.from_status, e.to_status)] += 1
            leaving[e.from_status] += 1
    return [
        TransitionRate(src, dst, n, n / leaving[src])
        for (src, dst), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0] is not None, kv[0][0] or "", -kv[1], kv[0][1])
        )
    ]
