"""Strategies for dispatch settings: project rules, pools and their order, agent filters."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from leadcore.dispatch import (
    AgentFilter,
    FieldEquals,
    FieldIn,
    FieldRange,
    FilterValue,
    HistoryScope,
    Pool,
    PoolKind,
    ProjectPools,
    ProjectRules,
    SecondaryOrder,
)
from leadcore.workflow import Category, Workflow

__all__ = [
    "AGENT_IDS",
    "FIELD_NAMES",
    "agent_filters",
    "pools",
    "project_pools",
    "project_rules",
]

#: The agents :func:`pools` and :func:`project_pools` give private pools to by default.
AGENT_IDS: tuple[str, ...] = ("agent-1", "agent-2", "agent-3")
#: The custom fields :func:`agent_filters` sets conditions on by default.
FIELD_NAMES: tuple[str, ...] = ("budget", "city", "product", "vip")

_MINUTES = st.integers(0, 24 * 60)
_CAPS = st.none() | st.integers(1, 500)


def project_rules() -> st.SearchStrategy[ProjectRules]:
    """Draw valid project rules: every flag, lock windows (0 included), orders and caps.

    >>> from hypothesis import find
    >>> find(project_rules(), lambda r: r.lock_window_minutes == 0).exclusive
    False
    """
    flags = {
        name: st.booleans()
        for name in (
            "force_notes_on_status_change",
            "share_reminders_in_group",
            "allow_multiple_relationships",
            "auto_dial",
            "no_status_first",
            "all_pools",
            "include_project_pools",
            "agents_set_own_filters",
        )
    }
    return st.builds(
        ProjectRules,
        **flags,
        history_scope=st.sampled_from(HistoryScope),
        wait_before_alert_seconds=st.integers(0, 600),
        lock_window_minutes=st.integers(0, 120),
        secondary_order=st.sampled_from(SecondaryOrder),
        callback_grace_minutes=st.none() | _MINUTES,
        max_claims_per_hour=_CAPS,
        max_claims_per_day=_CAPS,
    )


def _check_agents(agent_ids: Sequence[str]) -> None:
    if any(not isinstance(a, str) or not a for a in agent_ids):
        raise InvalidArgument(f"agent_ids={list(agent_ids)!r}: give non-empty agent ids")


_POOL_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)
_POOL_NAMES = st.sampled_from(["Hot", "Cold", "Facebook", "Returning", "ליד חם", "Prioritar"])


def pools(agent_ids: Sequence[str] = AGENT_IDS) -> st.SearchStrategy[Pool]:
    """Draw a valid pool: a project or general pool, or a private pool of one of ``agent_ids``.

    >>> from hypothesis import find
    >>> find(pools(), lambda p: p.kind == "private").owner_id
    'agent-1'
    """
    _check_agents(agent_ids)
    shared = st.builds(
        Pool,
        id=_POOL_IDS,
        kind=st.sampled_from([PoolKind.PROJECT, PoolKind.GENERAL]),
        name=_POOL_NAMES,
    )
    if not agent_ids:
        return shared
    private = st.builds(
        Pool,
        id=_POOL_IDS,
        kind=st.just(PoolKind.PRIVATE),
        name=_POOL_NAMES,
        owner_id=st.sampled_from(list(agent_ids)),
    )
    return shared | private


@st.composite
def _orders(draw: st.DrawFn, ids: list[str]) -> tuple[str, ...]:
    chosen = draw(st.lists(st.sampled_from(ids), unique=True)) if ids else []
    return tuple(chosen)


@st.composite
def project_pools(
    draw: st.DrawFn,
    agent_ids: Sequence[str] = AGENT_IDS,
    *,
    min_pools: int = 1,
    max_pools: int = 6,
) -> ProjectPools:
    """Draw a project's pools with a priority order and, for some agents, their own order.

    Orders name some of the pools (the others follow), each at most once.

    >>> from hypothesis import find
    >>> pp = find(project_pools(), lambda p: len(p.pools) == 2 and p.order)
    >>> set(pp.order_for("agent-1")) == {p.id for p in pp.pools}
    True
    """
    _check_agents(agent_ids)
    if min_pools < 0 or max_pools < min_pools:
        raise InvalidArgument(f"min_pools={min_pools}, max_pools={max_pools}: not a size range")
    found = draw(
        st.lists(pools(agent_ids), min_size=min_pools, max_size=max_pools, unique_by=lambda p: p.id)
    )
    ids = [p.id for p in found]
    agent_orders = {}
    if agent_ids and ids:
        for agent in draw(st.lists(st.sampled_from(list(agent_ids)), unique=True)):
            agent_orders[agent] = draw(_orders(ids))
    return ProjectPools(found, order=draw(_orders(ids)), agent_orders=agent_orders)


_TEXT_VALUES = st.sampled_from(["tel aviv", "bucharest", "solar", "insurance", "תל אביב", ""])
_NUMBERS = st.integers(-1000, 100_000) | st.floats(-1e6, 1e6, allow_nan=False)
_VALUES = _TEXT_VALUES | _NUMBERS | st.booleans()


def _ranges(field: str) -> st.SearchStrategy[FieldRange]:
    def build(low: FilterValue, high: FilterValue, keep: int) -> FieldRange:
        lo, hi = sorted((low, high))  # both numbers or both text, never mixed
        return FieldRange(field, lo if keep != 2 else None, hi if keep != 1 else None)

    numbers = st.builds(build, _NUMBERS, _NUMBERS, st.integers(0, 2))
    texts = st.builds(build, _TEXT_VALUES, _TEXT_VALUES, st.integers(0, 2))
    return numbers | texts


_STATUS_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789_-", min_size=1, max_size=16)
_EARLIEST = datetime(2024, 1, 1, tzinfo=UTC)
_SPANS = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=365))
_WHEN = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@st.composite
def agent_filters(
    draw: st.DrawFn,
    workflow: Workflow | None = None,
    *,
    fields: Collection[str] = FIELD_NAMES,
    sources: Collection[str] = ("facebook", "google", "website"),
) -> AgentFilter:
    """Draw an agent filter that fits the project: it passes ``validate_filter``.

    Statuses come from ``workflow`` (any valid ids when ``None``), field
    conditions name only ``fields`` and sources are some of ``sources``.
    Every criterion is sometimes set: statuses, no status, categories,
    sources, field equality, membership and ranges (numbers or text, open on
    either side), a creation window and an attempts range.

    >>> from hypothesis import find
    >>> from leadcore.dispatch import validate_filter
    >>> from leadcore.workflow import sample_workflow
    >>> wf = sample_workflow()
    >>> f = find(agent_filters(wf), lambda f: len(f.statuses) == 2)
    >>> validate_filter(f, workflow=wf) == f
    True
    """
    statuses = st.sampled_from(workflow.status_ids) if workflow is not None else _STATUS_IDS
    names = sorted(fields)
    field = st.sampled_from(names) if names else st.nothing()
    start = draw(st.none() | _WHEN)
    end = None
    if draw(st.booleans()):
        end = (start or _EARLIEST) + draw(_SPANS)
    low = draw(st.none() | st.integers(0, 20))
    high = draw(st.none() | st.integers(low or 0, 40))
    return AgentFilter(
        statuses=draw(st.frozensets(statuses, max_size=4)),
        no_status=draw(st.booleans()),
        categories=draw(st.frozensets(st.sampled_from(Category))),
        sources=draw(st.frozensets(st.sampled_from(sorted(sources)))) if sources else frozenset(),
        field_equals=draw(st.lists(st.builds(FieldEquals, field, _VALUES), max_size=2))
        if names
        else (),
        field_in=draw(
            st.lists(
                st.builds(FieldIn, field, st.lists(_VALUES, min_size=1, max_size=3)), max_size=2
            )
        )
        if names
        else (),
        field_ranges=draw(st.lists(field.flatmap(_ranges), max_size=2)) if names else (),
        created_from=start,
        created_before=end,
        min_attempts=low,
        max_attempts=high,
    )
