"""The period a cap counts over: one vocabulary for dispatch's caps and routing's caps."""

from __future__ import annotations

import enum

__all__ = ["CapPeriod"]


class CapPeriod(enum.StrEnum):
    """The period a cap counts over.

    Dispatch's per-agent caps (:class:`~leadcore.dispatch.CapReached`) count
    claims over a rolling window: the last hour or the last day. Routing caps
    (:class:`~leadcore.forwarding.Caps`) count leads over the calendar hour,
    day or month in the recipient's time zone
    (:func:`~leadcore.forwarding.period_key`). Dispatch has no monthly cap.

    >>> from leadcore import dispatch, forwarding
    >>> dispatch.CapPeriod is forwarding.CapPeriod
    True
    """

    HOUR = "hour"
    """An hour: the last one (dispatch) or the current calendar hour (routing)."""
    DAY = "day"
    """A day: the last 24 hours (dispatch) or the current calendar day (routing)."""
    MONTH = "month"
    """The current calendar month (routing only)."""
