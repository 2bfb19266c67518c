"""Delivery of recorded events: reading the outbox, acknowledging, in-process subscribers.

Events are written by the storage in the same unit of work as the change they
describe; delivery happens afterwards and at least once. A crash between the
commit and the delivery loses nothing: the events wait in the outbox until the
next :meth:`EventLog.deliver` (which leadcore runs after every use case, and
which a host may also run at start-up or on a timer).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

import attrs

from leadcore.clock import Clock
from leadcore.errors import ConflictError, ValidationError
from leadcore.events._model import EVENT_TYPES, StoredEvent
from leadcore.storage.protocols import Storage

logger = logging.getLogger(__name__)

__all__ = ["DeliveryFailure", "EventLog", "Handler"]

#: A subscriber: called with each event, in order per organisation; raising means "retry later".
Handler = Callable[[StoredEvent], None]


@attrs.frozen
class DeliveryFailure:
    """A subscriber that failed on an event of one organisation, and when it is tried again."""

    consumer: str
    organization_id: str
    position: int
    attempts: int
    retry_at: datetime
    error: str


@attrs.define
class _Subscriber:
    name: str
    handler: Handler
    types: frozenset[str] | None
    failures: dict[str, DeliveryFailure] = attrs.Factory(dict)
    # A lower bound of the stored position per organisation (positions only move forward),
    # so that a pass skips, without touching storage, every organisation with nothing new.
    acked: dict[str, int] = attrs.Factory(dict)
    # The organisations a pass looks at: those this subscriber had not caught up with,
    # and those that got events since (None: every organisation, before its first pass).
    behind: set[str] | None = None


class EventLog:
    """``core.events``: read, acknowledge and subscribe to the events of every organisation.

    Each consumer (a webhook sender, a search indexer...) keeps its own
    position per organisation. Events of one organisation come in commit order;
    a consumer is never given another organisation's events under a wrong id.

    >>> from leadcore import Leadcore
    >>> core = Leadcore.open()
    >>> seen = []
    >>> core.events.subscribe("audit", lambda e: seen.append(e.event.type))
    >>> org, admin = core.create_organization("Agency", admin_name="Dana")
    >>> seen
    ['organization.created', 'user.added', 'workflow.published']
    """

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        *,
        first_retry: timedelta = timedelta(seconds=1),
        max_retry: timedelta = timedelta(minutes=10),
    ) -> None:
        self._storage = storage
        self._clock = clock
        self._first_retry = first_retry
        self._max_retry = max_retry
        self._subscribers: dict[str, _Subscriber] = {}
        # Two locks: the registry lock is only ever held briefly, so a handler may
        # subscribe, unsubscribe or look at failures while a delivery pass runs; the
        # delivery lock keeps passes from overlapping, so no handler runs twice at once.
        self._registry = threading.Lock()
        self._delivering = threading.Lock()
        self._wanted = threading.Event()
        self._heads: dict[str, int] = {}
        # The organisations the calls since the last pass asked for (None: every one).
        self._asked: set[str] | None = set()

    # -- reading and acknowledging (pull) --------------------------------------------

    def read(
        self, organization_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[StoredEvent]:
        """Committed events of one organisation after a position, in commit order."""
        with self._storage.unit_of_work() as uow:
            return list(uow.events.read(organization_id, after=after, limit=limit))

    def pending(self, consumer: str, *, limit: int | None = None) -> list[StoredEvent]:
        """Every event a consumer has not acknowledged yet, organisation by organisation."""
        out: list[StoredEvent] = []
        with self._storage.unit_of_work() as uow:
            for org, head in sorted(uow.events.heads().items()):
                position = uow.events.position(consumer, org)
                if head > position:
                    left = None if limit is None else limit - len(out)
                    if left is not None and left <= 0:
                        break
                    out.extend(uow.events.read(org, after=position, limit=left))
        return out

    def ack(self, consumer: str, event: StoredEvent) -> None:
        """Acknowledge ``event`` and every earlier event of its organisation for a consumer."""
        org = event.event.organization_id
        with self._storage.unit_of_work() as uow:
            if uow.events.position(consumer, org) < event.position:
                uow.events.set_position(consumer, org, event.position)
                uow.commit()

    def position(self, consumer: str, organization_id: str) -> int:
        """The last position a consumer acknowledged in an organisation."""
        with self._storage.unit_of_work() as uow:
            return uow.events.position(consumer, organization_id)

    # -- in-process subscribers (push) -------------------------------------------------

    def subscribe(
        self, consumer: str, handler: Handler, *, types: Collection[str] | None = None
    ) -> None:
        """Call ``handler`` with every event after this consumer's position, after each commit.

        ``types`` limits it to some event types (``"lead.status_changed"``...).
        A handler that raises is retried later with back-off, from the same
        event; it never loses an event nor holds up other subscribers.
        """
        if types is not None:
            unknown = sorted(set(types) - set(EVENT_TYPES))
            if unknown:
                raise ValidationError(
                    "cannot subscribe", [f"types: {t!r} is not an event type" for t in unknown]
                )
        with self._registry:
            self._subscribers[consumer] = _Subscriber(
                consumer, handler, None if types is None else frozenset(types)
            )
        self.deliver()

    def unsubscribe(self, consumer: str) -> None:
        """Stop calling a subscriber (its position is kept)."""
        with self._registry:
            self._subscribers.pop(consumer, None)

    def failures(self) -> list[DeliveryFailure]:
        """Subscribers currently waiting to retry, and why."""
        with self._registry:
            return [f for s in self._subscribers.values() for f in s.failures.values()]

    def deliver(self, organization_ids: Collection[str] | None = None) -> int:
        """Run every subscriber over its pending events; return how many were handled.

        Without ``organization_ids``, a catch-up: the outbox heads of every
        organisation are read (on start-up, on a timer, after a host
        transaction committed, for events other processes committed). With
        them, as after each use case (the organisations it recorded events
        for), only the heads of those organisations and of those a subscriber
        is still behind on (a failure waiting for its retry) are read, so a
        use case of one organisation never queries the others' outboxes.

        Safe to call from any thread at any time, and from a handler: a call
        made while another delivery pass runs returns at once, and that pass
        runs again to cover what the call asked for. No handler ever runs
        twice at once.
        """
        with self._registry:
            if organization_ids is None:
                self._asked = None
            elif self._asked is not None:
                self._asked.update(organization_ids)
        self._wanted.set()
        handled = 0
        while self._wanted.is_set():
            if not self._delivering.acquire(blocking=False):
                return handled  # the thread delivering will see the flag and loop
            try:
                self._wanted.clear()
                with self._registry:
                    subscribers = list(self._subscribers.values())
                    asked, self._asked = self._asked, set()
                if subscribers:
                    heads = self._read_heads(asked, subscribers)
                    grown = {org for org, n in heads.items() if self._heads.get(org) != n}
                    self._heads.update(heads)
                    for sub in subscribers:
                        # Marked before any handler runs: a handler that brings the pass
                        # down leaves the others' new events marked for the next pass.
                        if sub.behind is not None:
                            sub.behind |= grown
                    for sub in subscribers:
                        handled += self._run(sub, heads)
            finally:
                self._delivering.release()
        return handled

    def _read_heads(self, asked: set[str] | None, subscribers: list[_Subscriber]) -> dict[str, int]:
        """The heads a pass needs: every one for a catch-up or a new subscriber, else some."""
        wanted: set[str] | None = None
        if asked is not None and all(sub.behind is not None for sub in subscribers):
            wanted = asked.union(*(sub.behind for sub in subscribers if sub.behind is not None))
            if not wanted:
                return {}
        with self._storage.unit_of_work() as uow:
            return dict(uow.events.heads(wanted))

    def _current(self, sub: _Subscriber) -> bool:
        with self._registry:
            return self._subscribers.get(sub.name) is sub

    def _run(self, sub: _Subscriber, heads: dict[str, int]) -> int:
        now = self._clock.now()
        looked_at = heads.keys() if sub.behind is None else sub.behind
        behind = sorted(org for org in looked_at if heads.get(org, 0) > sub.acked.get(org, 0))
        sub.behind = set(behind)
        if not behind:
            return 0
        with self._storage.unit_of_work() as uow:
            for org in behind:
                sub.acked[org] = uow.events.position(sub.name, org)
        handled = 0
        for org in behind:
            if heads.get(org, 0) <= sub.acked[org]:
                sub.behind.discard(org)
                continue
            if not self._current(sub):
                break
            with self._registry:
                failure = sub.failures.get(org)
            if failure is not None and failure.retry_at > now:
                continue  # backing off: this organisation waits, the others go on
            handled += self._run_organization(sub, org, failure, now)
            if sub.acked[org] >= heads.get(org, 0):
                sub.behind.discard(org)
        return handled

    def _run_organization(
        self, sub: _Subscriber, org: str, failure: DeliveryFailure | None, now: datetime
    ) -> int:
        """Hand one organisation's pending events to ``sub`` in order; stop at a failure.

        No unit of work stays open while a handler runs (a handler may be slow,
        or use leadcore itself), and each handled event's position is committed
        before the next event is handed over, so a crash repeats at most the
        event it interrupted.
        """
        with self._storage.unit_of_work() as uow:
            acked = uow.events.position(sub.name, org)
            batch = list(uow.events.read(org, after=acked))
        handled = 0
        reached = acked
        for stored in batch:
            if sub.types is not None and stored.event.type not in sub.types:
                reached = stored.position  # skipped, not handled: acknowledged with the next
                continue
            if not self._current(sub):
                break
            try:
                sub.handler(stored)
            except Exception as exc:  # a subscriber's failure is data, not ours
                attempts = 1
                if failure is not None and failure.position == stored.position:
                    attempts = failure.attempts + 1
                delay = min(self._max_retry, self._first_retry * 2 ** (attempts - 1))
                # Recorded as a DeliveryFailure too, but only the log keeps the traceback.
                logger.exception(
                    "subscriber %r failed on event %d (%s) of %s, attempt %d; retry after %s",
                    sub.name,
                    stored.position,
                    stored.event.type,
                    org,
                    attempts,
                    delay,
                    extra={
                        "subscriber": sub.name,
                        "organization_id": org,
                        "position": stored.position,
                        "event_type": stored.event.type,
                        "attempt": attempts,
                    },
                )
                with self._registry:
                    sub.failures[org] = DeliveryFailure(
                        sub.name,
                        org,
                        stored.position,
                        attempts,
                        now + delay,
                        f"{type(exc).__name__}: {exc}",
                    )
                self._acknowledge(sub, org, acked, reached)
                return handled
            handled += 1
            with self._registry:
                sub.failures.pop(org, None)
            failure = None
            if not self._acknowledge(sub, org, acked, stored.position):
                return handled  # another deliverer moved this consumer on: it carries on
            acked = reached = stored.position
        self._acknowledge(sub, org, acked, reached)
        return handled

    def _acknowledge(self, sub: _Subscriber, org: str, expected: int, position: int) -> bool:
        """Move a subscriber from ``expected`` to ``position``; ``False`` if it moved meanwhile."""
        if position == expected:
            return True
        with self._storage.unit_of_work() as uow:
            if uow.events.position(sub.name, org) != expected:
                return False
            uow.events.set_position(sub.name, org, position)
            try:
                uow.commit()
            except ConflictError:
                return False
        sub.acked[org] = position
        return True
