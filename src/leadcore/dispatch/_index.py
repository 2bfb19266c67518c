"""An in-memory index that finds an agent's next lead in ``O(log n)``.

The memory storage adapter keeps one :class:`DispatchIndex` per project and
guards it with its lock. The index answers exactly as
:func:`~leadcore.dispatch.choose_reference` does, without sorting every lead:

- Leads that can never be handed out (done, converted, do-not-call, unknown
  pool) are not indexed at all.
- Pool leads sit in queues keyed by the policy's in-tier order, one
  queue per pool and *bucket*: with multiple relationships off, a lead
  assigned to users sits in each assignee's bucket, an unassigned lead in
  the shared bucket; an agent reads the shared bucket and their own.
- For agents whose filter names statuses, categories or sources, each pool
  is also split into *lanes* (one heap per status, category, source and
  bucket), built the first time such an agent asks; the agent reads only
  the lanes its filter admits.
- Callbacks sit in one heap per owner and one shared heap for callbacks
  that open to everyone after the grace period, both keyed by due time.
- A lead under a live exclusive lease is *parked*: taken out of every heap
  (lazily: its entries go stale) and put back once its lease expires at the
  ``now`` of a later call. A clock that steps back is caught when a parked
  lead's entry reaches a heap head: its lease is checked at every look.

A queue is a sorted *run* plus a binary heap. The leads the index is built
with are sorted once into the run, smallest last, so taking the head is a
``list.pop()``; leads added or changed later go to the heap, and the head is
the smaller of the two heads. A heap pop walks ``log2 n`` levels of entries
spread over memory: at a million leads each level is a cache miss, and a pop
costs about nine times what it costs at ten thousand, for only 1.5 times the
comparisons; the run's pop touches one entry at any size.

Entries are never searched for: updating a lead makes its old entries stale
(a version number per lead) and heaps drop stale entries when they reach the
head; when stale entries outnumber live ones, the heaps are compacted.
Criteria of a filter that are not status or source (custom fields, created
range, attempts) are checked on the heads; a lead they reject is set aside
for the call and put back after it, so their cost grows with the number of
rejected leads ahead of the first match.

The index is not thread-safe; guard it with a lock.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from leadcore.dispatch._agent import Agent, AgentLoad, cap_reached
from leadcore.dispatch._candidate import Candidate, microseconds
from leadcore.dispatch._choice import Choice, Tier
from leadcore.dispatch._filters import AgentFilter
from leadcore.dispatch._leases import Lease
from leadcore.dispatch._policy import POOL_TIER_BASE, make_choice, pool_order_key
from leadcore.dispatch._pools import ProjectPools, plan_pools
from leadcore.dispatch._rules import ProjectRules
from leadcore.workflow import Category

__all__ = ["DispatchIndex"]

# (order, lead id, version): the order first, then the lead id, as in the sort key.
_Entry = tuple[int, str, int]
_Heap = list[_Entry]
# (status id, category, source, bucket)
_LaneKey = tuple[str | None, Category | None, str | None, str | None]

_K = TypeVar("_K", bound=Hashable)

_COMPACT_SLACK = 4096
_MICROSECOND = timedelta(microseconds=1)


class _Queue:
    """Entries in order: a run sorted once, smallest last, and a heap of later entries."""

    __slots__ = ("heap", "run")

    def __init__(self) -> None:
        self.run: list[_Entry] = []
        self.heap: _Heap = []

    def __bool__(self) -> bool:
        return bool(self.run or self.heap)

    def __len__(self) -> int:
        return len(self.run) + len(self.heap)

    def pop(self) -> _Entry:
        """Take the smallest entry; the queue must not be empty."""
        run, heap = self.run, self.heap
        if run and (not heap or run[-1] < heap[0]):
            return run.pop()
        return heapq.heappop(heap)

    def push(self, entry: _Entry) -> None:
        """Add an entry."""
        heapq.heappush(self.heap, entry)

    def sort(self, keep: dict[str, int] | None = None) -> None:
        """Sort every entry into the run (only the live ones with ``keep``, lead id -> version)."""
        entries = [*self.run, *self.heap]
        if keep is not None:
            entries = [e for e in entries if keep.get(e[1]) == e[2]]
        entries.sort(reverse=True)
        self.run = entries
        self.heap = []


@attrs.define
class _AgentPlan:
    filter: AgentFilter | None
    lanes_version: int
    tiers: list[list[_Queue]]


class DispatchIndex:
    """The candidates, leases and heaps of one project, for fast "next lead" answers.

    >>> from datetime import datetime, timezone
    >>> from leadcore.dispatch import Agent, Candidate, Pool, PoolKind, ProjectPools, ProjectRules
    >>> t = datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    >>> index = DispatchIndex(ProjectRules(), ProjectPools([Pool("p", PoolKind.PROJECT, "P")]))
    >>> index.upsert(Candidate(lead_id="lead-1", pool_id="p", created_at=t))
    >>> index.next_for(Agent("dana"), now=t).lead_id
    'lead-1'
    """

    def __init__(
        self,
        rules: ProjectRules,
        pools: ProjectPools,
        candidates: Iterable[Candidate] = (),
        leases: Iterable[Lease] = (),
    ) -> None:
        self._rules = rules
        self._pools = pools
        self._multi = rules.allow_multiple_relationships
        grace = rules.callback_grace
        self._grace_us = None if grace is None else grace // _MICROSECOND
        self._candidates: dict[str, Candidate] = {}
        self._version: dict[str, int] = {}
        self._entry_count: dict[str, int] = {}
        self._next_version = 0
        self._leases: dict[str, Lease] = {}
        self._parked: set[str] = set()
        self._park_heap: list[tuple[int, str]] = []
        self._whole: dict[tuple[str, str | None], _Queue] = {}
        # Built the first time an agent filters by status or source, then kept current.
        self._laned = False
        self._lanes: dict[str, dict[_LaneKey, _Queue]] = {}
        self._lanes_version = 0
        self._own_callbacks: dict[str, _Queue] = {}
        self._open_callbacks = _Queue()
        self._entries = 0
        self._live = 0
        self._plans: dict[str, _AgentPlan] = {}
        # While building, entries are appended unordered, then sorted into runs at once.
        self._bulk = True
        for lease in leases:
            self.set_lease(lease)
        for lead in candidates:
            self.upsert(lead)
        self._bulk = False
        for queue in self._queues():
            queue.sort()

    # -- reading -------------------------------------------------------------------

    @property
    def rules(self) -> ProjectRules:
        """The project rules the index orders by."""
        return self._rules

    @property
    def pools(self) -> ProjectPools:
        """The project's pools and their priority order."""
        return self._pools

    def __len__(self) -> int:
        return len(self._candidates)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._candidates

    def get(self, lead_id: str) -> Candidate | None:
        """The candidate of a lead, or ``None``."""
        return self._candidates.get(lead_id)

    def lease(self, lead_id: str) -> Lease | None:
        """The current lease record of a lead, or ``None``."""
        return self._leases.get(lead_id)

    def candidates(self) -> Iterator[Candidate]:
        """Every candidate, indexed or not."""
        return iter(self._candidates.values())

    def leases(self) -> dict[str, Lease]:
        """A copy of the lease records, by lead id."""
        return dict(self._leases)

    def reconfigured(self, rules: ProjectRules, pools: ProjectPools | None = None) -> DispatchIndex:
        """A new index of the same candidates and leases under other rules or pools."""
        return DispatchIndex(
            rules,
            self._pools if pools is None else pools,
            self._candidates.values(),
            self._leases.values(),
        )

    # -- writing -------------------------------------------------------------------

    def upsert(self, lead: Candidate) -> None:
        """Add a candidate, or replace the one with the same lead id."""
        lead_id = lead.lead_id
        self._candidates[lead_id] = lead
        self._invalidate(lead_id)
        if lead_id not in self._parked:
            self._insert(lead)
        self._maybe_compact()

    def remove(self, lead_id: str) -> None:
        """Forget a lead and its lease; unknown ids are ignored."""
        self._candidates.pop(lead_id, None)
        self._invalidate(lead_id)
        self._version.pop(lead_id, None)
        self._parked.discard(lead_id)
        self._leases.pop(lead_id, None)
        self._maybe_compact()

    def set_lease(self, lease: Lease) -> None:
        """Record the current lease of a lead (a claim, renewal, extension or release)."""
        lead_id = lease.lead_id
        self._leases[lead_id] = lease
        if lease.exclusive and not lease.released:
            self._park(lead_id, lease)
        elif lead_id in self._parked:
            self._unpark(lead_id)
        self._maybe_compact()

    def drop_lease(self, lead_id: str) -> None:
        """Forget the lease record of a lead."""
        self._leases.pop(lead_id, None)
        if lead_id in self._parked:
            self._unpark(lead_id)

    # -- the query -----------------------------------------------------------------

    def next_for(
        self, agent: Agent, *, now: datetime, load: AgentLoad | None = None
    ) -> Choice | None:
        """The lead the policy hands to ``agent`` at ``now``: the same answer as the reference.

        Does not claim it: record the claim's lease with :meth:`set_lease`.
        """
        rules = self._rules
        if load is not None and cap_reached(rules, load) is not None:
            return None
        now_us = microseconds(now)
        self._unpark_expired(now, now_us)
        plan = self._plan_for(agent)
        flt = agent.filter
        residual = flt if flt is not None and flt.has_residual else None
        set_aside: list[tuple[_Queue, _Entry]] = []
        try:
            own = self._own_callbacks.get(agent.id)
            if own:
                entry = self._head(own, now, None, set_aside)
                if entry is not None and entry[0] <= now_us:
                    key = (Tier.OWN_CALLBACK.order, entry[0], entry[1])
                    return make_choice(self._candidates[entry[1]], key, rules)
            if self._grace_us is not None and self._open_callbacks:
                entry = self._open_head(agent, now, now_us, set_aside)
                if entry is not None:
                    key = (Tier.OPEN_CALLBACK.order, entry[0], entry[1])
                    return make_choice(self._candidates[entry[1]], key, rules)
            for rank, queues in enumerate(plan.tiers):
                best: _Entry | None = None
                for queue in queues:
                    if not (queue.run or queue.heap):
                        continue
                    entry = self._head(queue, now, residual, set_aside)
                    if entry is not None and (best is None or entry < best):
                        best = entry
                if best is not None:
                    key = (POOL_TIER_BASE + rank, best[0], best[1])
                    return make_choice(self._candidates[best[1]], key, rules)
            return None
        finally:
            for queue, entry in set_aside:
                queue.push(entry)

    def _head(
        self,
        queue: _Queue,
        now: datetime,
        residual: AgentFilter | None,
        set_aside: list[tuple[_Queue, _Entry]],
    ) -> _Entry | None:
        version = self._version
        leases = self._leases
        # Nothing in a query compacts, so the queue's lists stay these two.
        run, heap = queue.run, queue.heap
        while True:
            # The queue's pop, inlined: this loop is the hot path.
            if run and (not heap or run[-1] < heap[0]):
                entry = run[-1]
                from_run = True
            elif heap:
                entry = heap[0]
                from_run = False
            else:
                return None
            lead_id = entry[1]
            if version.get(lead_id) != entry[2]:
                if from_run:
                    run.pop()
                else:
                    heapq.heappop(heap)
                self._entries -= 1
                continue
            lease = leases.get(lead_id)
            if lease is not None and lease.is_live(now):
                # Only after a clock stepped back: the lead was put back once its lease ended.
                self._park(lead_id, lease)
                continue
            if residual is not None and not residual.matches_residual(self._candidates[lead_id]):
                set_aside.append((queue, run.pop() if from_run else heapq.heappop(heap)))
                continue
            return entry

    def _open_head(
        self,
        agent: Agent,
        now: datetime,
        now_us: int,
        set_aside: list[tuple[_Queue, _Entry]],
    ) -> _Entry | None:
        queue = self._open_callbacks
        grace_us = self._grace_us
        assert grace_us is not None
        flt = agent.filter
        while True:
            entry = self._head(queue, now, None, set_aside)
            if entry is None or entry[0] + grace_us > now_us:
                return None
            lead = self._candidates[entry[1]]
            if lead.callback_owner_id != agent.id and (flt is None or flt.matches(lead)):
                return entry
            set_aside.append((queue, queue.pop()))

    # -- plans ---------------------------------------------------------------------

    def _plan_for(self, agent: Agent) -> _AgentPlan:
        cached = self._plans.get(agent.id)
        flt = agent.filter
        if (
            cached is not None
            and (cached.filter is flt or cached.filter == flt)
            and (
                flt is None or not flt.selects_lanes or cached.lanes_version == self._lanes_version
            )
        ):
            return cached
        pool_plan = plan_pools(self._pools, agent.id, self._rules)
        buckets: tuple[str | None, ...] = (None,) if self._multi else (None, agent.id)
        tiers: list[list[_Queue]] = []
        laned = flt is not None and flt.selects_lanes
        for tier in pool_plan.tiers:
            queues: list[_Queue] = []
            for pool_id in tier:
                if laned:
                    assert flt is not None
                    lanes = self._lanes_of(pool_id)
                    queues.extend(
                        queue
                        for (status_id, category, source, bucket), queue in lanes.items()
                        if bucket in buckets and flt.matches_lane(status_id, category, source)
                    )
                else:
                    queues.extend(self._queue(self._whole, (pool_id, b)) for b in buckets)
            tiers.append(queues)
        plan = _AgentPlan(filter=flt, lanes_version=self._lanes_version, tiers=tiers)
        self._plans[agent.id] = plan
        return plan

    def _lanes_of(self, pool_id: str) -> dict[_LaneKey, _Queue]:
        if not self._laned:
            self._build_lanes()
        return self._lanes.setdefault(pool_id, {})

    def _build_lanes(self) -> None:
        # Every pool at once, in one pass: the first filtered agent pays O(n) once.
        self._laned = True
        rules = self._rules
        for lead_id, lead in self._candidates.items():
            if lead_id in self._parked or not self._in_pools(lead):
                continue
            entry = (pool_order_key(lead, rules), lead_id, self._version[lead_id])
            lanes = self._lanes.setdefault(lead.pool_id, {})
            for bucket in self._buckets(lead):
                self._queue(lanes, _lane_key(lead, bucket)).heap.append(entry)
                self._entry_count[lead_id] += 1
                self._entries += 1
                self._live += 1
        for lanes in self._lanes.values():
            for queue in lanes.values():
                queue.sort()
        self._lanes_version += 1

    # -- entries -------------------------------------------------------------------

    def _indexable(self, lead: Candidate) -> bool:
        return (
            not (lead.is_done or lead.converted or lead.do_not_call) and lead.pool_id in self._pools
        )

    def _in_pools(self, lead: Candidate) -> bool:
        return lead.callback_at is None and self._indexable(lead)

    def _buckets(self, lead: Candidate) -> Iterable[str | None]:
        if self._multi or not lead.assigned_user_ids:
            return (None,)
        return lead.assigned_user_ids

    def _insert(self, lead: Candidate) -> None:
        if not self._indexable(lead):
            return
        lead_id = lead.lead_id
        self._next_version += 1
        version = self._next_version
        self._version[lead_id] = version
        count = 0
        # Building: appended unordered, sorted once at the end; afterwards: pushed.
        bulk = self._bulk
        callback_at = lead.callback_at
        if callback_at is not None:
            owner = lead.callback_owner_id
            assert owner is not None
            entry = (microseconds(callback_at), lead_id, version)
            queues = [self._queue(self._own_callbacks, owner)]
            if self._grace_us is not None:
                queues.append(self._open_callbacks)
            for queue in queues:
                self._add(queue, entry, bulk)
                count += 1
        else:
            pool_id = lead.pool_id
            entry = (pool_order_key(lead, self._rules), lead_id, version)
            lanes = self._lanes.setdefault(pool_id, {}) if self._laned else None
            for bucket in self._buckets(lead):
                self._add(self._queue(self._whole, (pool_id, bucket)), entry, bulk)
                count += 1
                if lanes is not None:
                    key = _lane_key(lead, bucket)
                    if key not in lanes:
                        self._lanes_version += 1
                    self._add(self._queue(lanes, key), entry, bulk)
                    count += 1
        self._entry_count[lead_id] = count
        self._entries += count
        self._live += count

    def _invalidate(self, lead_id: str) -> None:
        count = self._entry_count.pop(lead_id, 0)
        if count:
            self._live -= count
            self._version[lead_id] = -1

    def _park(self, lead_id: str, lease: Lease) -> None:
        if lead_id not in self._parked:
            self._parked.add(lead_id)
            self._invalidate(lead_id)
        heapq.heappush(self._park_heap, (microseconds(lease.expires_at), lead_id))

    def _unpark(self, lead_id: str) -> None:
        self._parked.discard(lead_id)
        lead = self._candidates.get(lead_id)
        if lead is not None:
            self._insert(lead)

    def _unpark_expired(self, now: datetime, now_us: int) -> None:
        heap = self._park_heap
        while heap and heap[0][0] <= now_us:
            _, lead_id = heapq.heappop(heap)
            if lead_id not in self._parked:
                continue
            lease = self._leases.get(lead_id)
            if lease is not None and lease.is_live(now):
                continue  # renewed: a later entry of the park heap stands for it
            self._unpark(lead_id)

    @staticmethod
    def _add(queue: _Queue, entry: _Entry, bulk: bool) -> None:
        if bulk:
            queue.heap.append(entry)
        else:
            queue.push(entry)

    @staticmethod
    def _queue(queues: dict[_K, _Queue], key: _K) -> _Queue:
        queue = queues.get(key)
        if queue is None:
            queue = queues[key] = _Queue()
        return queue

    def _queues(self) -> list[_Queue]:
        return [
            *self._whole.values(),
            *(q for lanes in self._lanes.values() for q in lanes.values()),
            *self._own_callbacks.values(),
            self._open_callbacks,
        ]

    def _maybe_compact(self) -> None:
        if self._entries <= 2 * self._live + _COMPACT_SLACK:
            return
        version = self._version
        total = 0
        for queue in self._queues():
            # The queue objects stay (agent plans hold them); their entries are re-sorted.
            queue.sort(version)
            total += len(queue)
        self._entries = total
        self._park_heap = [
            (t, lead_id) for t, lead_id in self._park_heap if lead_id in self._parked
        ]
        heapq.heapify(self._park_heap)


def _lane_key(lead: Candidate, bucket: str | None) -> _LaneKey:
    return (lead.status_id, lead.category, lead.source, bucket)
