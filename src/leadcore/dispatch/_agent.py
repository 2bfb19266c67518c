"""Agents as dispatch sees them: who they are, what they filter on, how much they took."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs

from leadcore._caps import CapPeriod
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ValidationError

__all__ = ["Agent", "AgentLoad", "CapPeriod", "CapReached", "cap_reached"]


@attrs.frozen
class Agent:
    """An agent asking for their next lead, with the filter in force for them (if any).

    >>> Agent("dana", AgentFilter(no_status=True)).filter.no_status
    True
    """

    id: str
    filter: AgentFilter | None = None


_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)


@attrs.frozen
class AgentLoad:
    """How many leads an agent claimed over the last hour and the last 24 hours.

    Build it from the agent's claim times with :meth:`from_claim_times`; the
    windows are rolling, so no time zone decides where a day starts.
    """

    claims_last_hour: int = 0
    claims_last_day: int = 0

    def __attrs_post_init__(self) -> None:
        problems = [
            f"{name}: must be a whole number, 0 or more, got {getattr(self, name)!r}"
            for name in ("claims_last_hour", "claims_last_day")
            if not isinstance(getattr(self, name), int)
            or isinstance(getattr(self, name), bool)
            or getattr(self, name) < 0
        ]
        if problems:
            raise ValidationError("agent load is invalid", problems)

    @classmethod
    def from_claim_times(cls, times: Iterable[datetime], now: datetime) -> AgentLoad:
        """Count the claims in ``(now - 1 hour, now]`` and ``(now - 24 hours, now]``.

        >>> from datetime import datetime, timezone
        >>> now = datetime(2026, 1, 1, 12, tzinfo=timezone.utc)
        >>> AgentLoad.from_claim_times([now - timedelta(minutes=m) for m in (5, 90)], now)
        AgentLoad(claims_last_hour=1, claims_last_day=2)
        """
        hour = day = 0
        for t in times:
            if t > now:
                continue
            age = now - t
            if age < _DAY:
                day += 1
                if age < _HOUR:
                    hour += 1
        return cls(claims_last_hour=hour, claims_last_day=day)


@attrs.frozen
class CapReached:
    """A per-agent cap the agent has reached: no lead is handed out until it frees up."""

    period: CapPeriod
    """The window the cap counts over: the last hour or the last day (never a month)."""
    limit: int
    """The cap."""
    claims: int
    """How many claims the agent made in that window."""

    def __str__(self) -> str:
        noun = "claim" if self.claims == 1 else "claims"
        return f"{self.claims} {noun} in the last {self.period.value}, cap {self.limit}"


def cap_reached(rules: ProjectRules, load: AgentLoad) -> CapReached | None:
    """The first per-agent cap ``load`` has reached under ``rules``, or ``None``.

    >>> cap_reached(ProjectRules(max_claims_per_hour=30), AgentLoad(30, 30))
    CapReached(period=<CapPeriod.HOUR: 'hour'>, limit=30, claims=30)
    """
    hourly = rules.max_claims_per_hour
    if hourly is not None and load.claims_last_hour >= hourly:
        return CapReached(CapPeriod.HOUR, hourly, load.claims_last_hour)
    daily = rules.max_claims_per_day
    if daily is not None and load.claims_last_day >= daily:
        return CapReached(CapPeriod.DAY, daily, load.claims_last_day)
    return None
