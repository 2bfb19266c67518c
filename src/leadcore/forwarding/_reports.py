"""Delivery reports: deliveries counted per direction, partner and period."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Literal

import attrs

from leadcore.forwarding._deliveries import Delivery, DeliveryState, Direction

__all__ = [
    "DeliveryReportRow",
    "ReportPeriod",
    "delivery_report",
]


# -- reports ----------------------------------------------------------------------------------

#: How a delivery report groups by time.
ReportPeriod = Literal["day", "week", "month", "all"]


@attrs.frozen
class DeliveryReportRow:
    """One partner and one period of a delivery report, as this organisation sees them.

    ``total`` counts every delivery; ``delivered`` those that reached the
    partner as a lead (of which ``pending`` still await feedback);
    ``duplicates`` and ``failed`` those that did not.
    """

    direction: Direction
    """``outgoing`` (sent to the partner) or ``incoming`` (received)."""
    partner_id: str
    """The partner organisation."""
    partner_name: str
    """Its name."""
    period: date | None
    """The first day of the period in this organisation's time zone (``None`` for ``all``)."""
    total: int
    delivered: int
    pending: int
    accepted: int
    """Deliveries the receiver accepted."""
    duplicates: int
    rejected: int
    """Deliveries it rejected."""
    returned: int
    """Deliveries it returned."""
    failed: int


def _period_start(when: datetime, by: ReportPeriod, timezone: str) -> date | None:
    if by == "all":
        return None
    day = when.astimezone(zoneinfo.ZoneInfo(timezone)).date()
    if by == "week":
        return day - timedelta(days=day.weekday())
    if by == "month":
        return day.replace(day=1)
    return day


_REACHED = frozenset(
    {
        DeliveryState.DELIVERED,
        DeliveryState.ACCEPTED,
        DeliveryState.REJECTED,
        DeliveryState.RETURNED,
    }
)


def delivery_report(
    deliveries: Iterable[Delivery],
    partner_names: Mapping[str, str],
    *,
    by: ReportPeriod,
    timezone: str,
) -> list[DeliveryReportRow]:
    """Count deliveries per direction, partner and period (``timezone``: the reader's).

    Rows come by direction (outgoing first), partner name, partner id, period.
    """
    groups: dict[tuple[Direction, str, date | None], list[Delivery]] = defaultdict(list)
    for d in deliveries:
        groups[(d.direction, d.partner_id, _period_start(d.delivered_at, by, timezone))].append(d)

    def order(key: tuple[Direction, str, date | None]) -> tuple[int, str, str, date]:
        direction, partner, period = key
        first = 0 if direction is Direction.OUTGOING else 1
        return first, partner_names.get(partner, ""), partner, period or date.min

    rows = []
    for key in sorted(groups, key=order):
        direction, partner, period = key
        states = [d.state for d in groups[key]]
        rows.append(
            DeliveryReportRow(
                direction=direction,
                partner_id=partner,
                partner_name=partner_names.get(partner, ""),
                period=period,
                total=len(states),
                delivered=sum(1 for s in states if s in _REACHED),
                pending=states.count(DeliveryState.DELIVERED),
                accepted=states.count(DeliveryState.ACCEPTED),
                duplicates=states.count(DeliveryState.DUPLICATE),
                rejected=states.count(DeliveryState.REJECTED),
                returned=states.count(DeliveryState.RETURNED),
                failed=states.count(DeliveryState.FAILED),
            )
        )
    return rows
