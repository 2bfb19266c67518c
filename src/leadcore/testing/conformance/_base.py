"""The part of the suite an adapter author overrides: the storage, and how to reopen it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Final, Generic, TypeVar

import attrs
import pytest

from leadcore.errors import ConflictError, ValidationError
from leadcore.storage.protocols import Capabilities, Storage, UnitOfWork
from leadcore.tenancy import Group, Organization, Partnership, User
from leadcore.testing.conformance._records import Records

__all__ = [
    "HANG_GUARD",
    "Record",
    "StorageFixtures",
    "add",
    "in_thread",
    "require_capability",
    "seed",
    "wait",
    "write_conflicts",
]

S = TypeVar("S", bound=Storage)
T = TypeVar("T")

#: Seconds a thread of a concurrency check may wait for another before the check fails.
#: It only turns a deadlocked adapter into a failure instead of a hung run; no check
#: measures time.
HANG_GUARD: Final = 60.0


def require_capability(storage: Storage, flag: str) -> None:
    """Skip the running test unless ``storage.capabilities`` declares ``flag``.

    The skip reason names the flag, so a report shows what an adapter does
    not claim rather than a silent gap.
    """
    names = sorted(f.name for f in attrs.fields(Capabilities))
    if flag not in names:
        raise ValidationError(
            "unknown capability", [f"flag: {flag!r} is not a capability; known: {', '.join(names)}"]
        )
    if not getattr(storage.capabilities, flag):
        pytest.skip(f"needs Capabilities.{flag}, which {type(storage).__name__} does not declare")


Record = Organization | User | Group | Partnership


def add(uow: UnitOfWork, record: Record) -> None:
    """Add ``record`` to the repository of its kind."""
    if isinstance(record, Organization):
        uow.organizations.add(record)
    elif isinstance(record, User):
        uow.users.add(record)
    elif isinstance(record, Group):
        uow.groups.add(record)
    else:
        uow.partnerships.add(record)


def seed(storage: Storage, *records: Record) -> None:
    """Store ``records`` in one committed unit of work."""
    with storage.unit_of_work() as uow:
        for record in records:
            add(uow, record)
        uow.commit()


def in_thread(work: Callable[[], T]) -> Future[T]:
    """Start ``work`` on a thread of its own; the returned future gives its result."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="conformance")
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future


def write_conflicts(write: Callable[[], None]) -> bool:
    """Run ``write`` (writes then ``commit()``); tell whether it raised ``ConflictError``.

    An adapter may report a lost race from the write itself (a database that
    checks row versions as it updates) or from ``commit()``: either is
    allowed, as long as it happens no later than ``commit()``.
    """
    try:
        write()
    except ConflictError:
        return True
    return False


def wait(event: threading.Event, what: str) -> None:
    """Wait for ``event``; fail (instead of hanging) if the other side never gets there."""
    if not event.wait(HANG_GUARD):
        pytest.fail(
            f"gave up waiting for {what}: the adapter may block one unit of work on another"
        )


class StorageFixtures(Generic[S]):
    """Fixtures every part of the suite uses; override :meth:`make_storage` (or ``storage``).

    - :meth:`make_storage` returns a new, empty storage. Override it, or, when
      building the storage needs other fixtures (``tmp_path``, a database
      URL), override the ``storage`` fixture itself.
    - :meth:`open_again` opens a second storage on the same backend as a
      given one; only suites whose adapter declares ``durable`` or
      ``multi_process`` need it.
    """

    def make_storage(self) -> S:
        """Return a new, empty storage of the adapter under test."""
        raise NotImplementedError(
            f"{type(self).__name__} must override make_storage() (or the 'storage' fixture) "
            "to return a new, empty storage of the adapter under test"
        )

    def open_again(self, storage: S) -> S:
        """Return another storage on the same backend as ``storage`` (same file or database).

        The durability check closes ``storage`` before it calls this, and the
        ``storage`` fixture closes it again after the test: ``close()`` must
        tolerate being called twice.
        """
        raise NotImplementedError(
            f"{type(self).__name__} declares a durable or multi-process storage: override "
            "open_again(storage) to open a second storage on the same backend"
        )

    @pytest.fixture
    def storage(self) -> Iterator[S]:
        """The storage under test, closed after the test."""
        storage = self.make_storage()
        yield storage
        storage.close()

    @pytest.fixture
    def records(self) -> Records:
        """Sample records whose ids are unique to this test."""
        return Records()
