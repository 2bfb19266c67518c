"""Pools: where leads wait to be dispatched, and the order in which an agent draws from them."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

import attrs

from leadcore.dispatch._plain import from_plain, to_plain
from leadcore.dispatch._rules import ProjectRules
from leadcore.errors import ValidationError

__all__ = ["Pool", "PoolExclusion", "PoolKind", "PoolPlan", "ProjectPools", "plan_pools"]


class PoolKind(enum.StrEnum):
    """Who may draw leads from a pool."""

    PRIVATE = "private"
    """One agent's own pool (``owner_id``); no other agent draws from it."""
    PROJECT = "project"
    """The project's shared pool: every member agent may draw from it."""
    GENERAL = "general"
    """An organisation-wide pool the project draws from; dispatched like a project pool."""


def _pool_kind(value: PoolKind | str) -> PoolKind:
    try:
        return PoolKind(value)
    except ValueError:
        return value  # type: ignore[return-value]


@attrs.frozen
class Pool:
    """A pool of leads.

    A private pool names its ``owner_id`` (an agent); shared pools have none.

    >>> Pool("hot", PoolKind.PROJECT, "Hot leads").shared
    True
    """

    id: str
    """The pool's id, unique in its project."""
    kind: PoolKind = attrs.field(converter=_pool_kind)
    """Private (one agent's book), project (shared) or general (organisation-wide)."""
    name: str
    """A label for people."""
    owner_id: str | None = None
    """The agent whose private pool it is; ``None`` for a shared pool."""

    @property
    def shared(self) -> bool:
        """Whether every agent of the project may draw from it (project and general pools)."""
        return self.kind is not PoolKind.PRIVATE

    def problems(self, where: str) -> list[str]:
        """Every problem with this pool, each prefixed with ``where``."""
        found: list[str] = []
        if not isinstance(self.id, str) or not self.id:
            found.append(f"{where}.id: must be a non-empty string, got {self.id!r}")
        if not isinstance(self.kind, PoolKind):
            accepted = ", ".join(k.value for k in PoolKind)
            found.append(f"{where}.kind: must be one of {accepted}, got {self.kind!r}")
        elif self.kind is PoolKind.PRIVATE and not self.owner_id:
            found.append(f"{where}.owner_id: a private pool needs its owner agent")
        elif self.kind is not PoolKind.PRIVATE and self.owner_id is not None:
            found.append(
                f"{where}.owner_id: only private pools have an owner, "
                f"but {self.kind.value} pool {self.id!r} names {self.owner_id!r}"
            )
        return found


def _pool_tuple(value: Iterable[Pool]) -> tuple[Pool, ...]:
    return tuple(value)


def _id_tuple(value: Iterable[str] | None) -> tuple[str, ...]:
    return () if value is None else tuple(value)


def _agent_orders(value: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    return {agent: tuple(order) for agent, order in value.items()}


@attrs.frozen
class ProjectPools:
    """The pools of a project and their priority order, per project and, where set, per agent.

    ``order`` lists pool ids, highest priority first; pools it omits follow
    in the order of ``pools`` (``None`` is no order: the order of ``pools``).
    ``agent_orders`` replaces ``order`` for the agents it names, with the same
    fall-back. Pool ids are unique and every
    order names known pools, or :class:`~leadcore.errors.ValidationError`
    lists each problem.

    >>> pools = ProjectPools(
    ...     pools=[Pool("mine", PoolKind.PRIVATE, "Dana's book", owner_id="dana"),
    ...            Pool("a", PoolKind.PROJECT, "A"), Pool("b", PoolKind.PROJECT, "B")],
    ...     order=["b", "a"],
    ... )
    >>> pools.order_for("dana")
    ('b', 'a', 'mine')
    """

    pools: tuple[Pool, ...] = attrs.field(converter=_pool_tuple)
    order: tuple[str, ...] = attrs.field(default=(), converter=_id_tuple)
    agent_orders: dict[str, tuple[str, ...]] = attrs.field(
        factory=dict, converter=_agent_orders, hash=False
    )
    _by_id: dict[str, Pool] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        problems: list[str] = []
        by_id: dict[str, Pool] = {}
        for i, pool in enumerate(self.pools):
            if not isinstance(pool, Pool):
                problems.append(f"pools[{i}]: must be a Pool, got {pool!r}")
                continue
            problems.extend(pool.problems(f"pools[{i}]"))
            if pool.id in by_id:
                problems.append(f"pools[{i}].id: duplicate pool id {pool.id!r}")
            by_id[pool.id] = pool
        problems.extend(_order_problems("order", self.order, by_id))
        for agent, agent_order in self.agent_orders.items():
            problems.extend(_order_problems(f"agent_orders[{agent!r}]", agent_order, by_id))
        if problems:
            raise ValidationError("project pools are invalid", problems)
        object.__setattr__(self, "_by_id", by_id)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProjectPools:
        """Build from plain data as :meth:`to_dict` gives it; unknown names and bad values raise.

        Raises :class:`~leadcore.errors.ValidationError` listing every problem.
        """
        return from_plain(cls, data, "project pools are invalid")

    def to_dict(self) -> dict[str, object]:
        """The record as plain data (lists, strings, numbers), for JSON or TOML."""
        return to_plain(self)

    def __contains__(self, pool_id: object) -> bool:
        return pool_id in self._by_id

    def pool(self, pool_id: str) -> Pool:
        """The pool with this id; ``KeyError`` when the project has none."""
        return self._by_id[pool_id]

    def order_for(self, agent_id: str) -> tuple[str, ...]:
        """Every pool id in this agent's priority order (their own order, else the project's)."""
        chosen = self.agent_orders.get(agent_id, self.order)
        seen = set(chosen)
        rest = [p for p in self.order if p not in seen]
        seen.update(rest)
        rest.extend(p.id for p in self.pools if p.id not in seen)
        return (*chosen, *rest)


def _order_problems(where: str, order: tuple[str, ...], known: Mapping[str, Pool]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for i, pool_id in enumerate(order):
        if pool_id not in known:
            listed = ", ".join(sorted(known)) or "none"
            problems.append(f"{where}[{i}]: unknown pool {pool_id!r} (pools: {listed})")
        elif pool_id in seen:
            problems.append(f"{where}[{i}]: pool {pool_id!r} is listed twice")
        seen.add(pool_id)
    return problems


class PoolExclusion(enum.StrEnum):
    """Why a pool is not in an agent's plan."""

    OTHER_AGENTS_POOL = "other_agents_pool"
    """A private pool of another agent."""
    PROJECT_POOLS_OFF = "project_pools_off"
    """A shared pool while the rule ``include_project_pools`` is off."""


@attrs.frozen
class PoolPlan:
    """The pool tiers one agent draws from, first tier first.

    Without ``all_pools`` each tier is one pool: the agent's private pools in
    priority order, then (with ``include_project_pools``) the shared pools in
    priority order. With ``all_pools`` the private pools form one tier and
    the shared pools another, each ignoring the priority order.
    """

    agent_id: str
    tiers: tuple[tuple[str, ...], ...]
    excluded: dict[str, PoolExclusion] = attrs.field(factory=dict, hash=False)
    rank: dict[str, int] = attrs.field(init=False, eq=False, hash=False, repr=False)

    def __attrs_post_init__(self) -> None:
        rank = {pool_id: i for i, tier in enumerate(self.tiers) for pool_id in tier}
        object.__setattr__(self, "rank", rank)

    def knows(self, pool_id: str) -> bool:
        """Whether the pool is one of the project's (in the plan or excluded from it)."""
        return pool_id in self.rank or pool_id in self.excluded

    @property
    def pool_ids(self) -> tuple[str, ...]:
        """Every pool the agent draws from, in plan order."""
        return tuple(pool_id for tier in self.tiers for pool_id in tier)


def plan_pools(pools: ProjectPools, agent_id: str, rules: ProjectRules) -> PoolPlan:
    """Work out the pool tiers of one agent under the project rules.

    >>> pools = ProjectPools([
    ...     Pool("p", PoolKind.PROJECT, "Project"),
    ...     Pool("dana", PoolKind.PRIVATE, "Dana", owner_id="dana"),
    ...     Pool("omer", PoolKind.PRIVATE, "Omer", owner_id="omer"),
    ... ])
    >>> plan_pools(pools, "dana", ProjectRules()).tiers
    (('dana',), ('p',))
    >>> plan_pools(pools, "dana", ProjectRules(include_project_pools=False)).tiers
    (('dana',),)
    """
    private: list[str] = []
    shared: list[str] = []
    excluded: dict[str, PoolExclusion] = {}
    for pool_id in pools.order_for(agent_id):
        pool = pools.pool(pool_id)
        if not pool.shared:
            if pool.owner_id == agent_id:
                private.append(pool_id)
            else:
                excluded[pool_id] = PoolExclusion.OTHER_AGENTS_POOL
        elif rules.include_project_pools:
            shared.append(pool_id)
        else:
            excluded[pool_id] = PoolExclusion.PROJECT_POOLS_OFF
    if rules.all_pools:
        tiers = tuple(tuple(group) for group in (private, shared) if group)
    else:
        tiers = tuple((pool_id,) for pool_id in (*private, *shared))
    return PoolPlan(agent_id=agent_id, tiers=tiers, excluded=excluded)
