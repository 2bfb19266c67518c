"""Concurrent changes of who may manage users never leave an organisation without one."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from leadcore import ConflictError, Leadcore, Role, User
from leadcore.ids import SequentialIds
from leadcore.storage.memory import MemoryStorage, MemoryUnitOfWork
from leadcore.tenancy import Permission, RolePolicy, effective_permissions

# Only keeps a deadlocked run from hanging; nothing here measures time.
HANG_GUARD = 60.0


class _GatedUnitOfWork(MemoryUnitOfWork):
    def __init__(self, storage: _GatedStorage) -> None:
        super().__init__(storage)
        self._gated = storage

    def commit(self) -> None:
        self._gated.gate()
        super().commit()


class _GatedStorage(MemoryStorage):
    """Holds the first commit of each of ``parties`` threads until all of them are there.

    Both use cases have then made their checks against the same committed
    state, the interleaving a lock-free check cannot survive.
    """

    def __init__(self) -> None:
        super().__init__()
        self._barrier: threading.Barrier | None = None
        self._passed: set[int] = set()
        self._lock = threading.Lock()

    def arm(self, parties: int) -> None:
        self._barrier = threading.Barrier(parties, timeout=HANG_GUARD)
        self._passed.clear()

    def gate(self) -> None:
        me = threading.get_ident()
        with self._lock:
            barrier = self._barrier
            first = me not in self._passed
            self._passed.add(me)
        if barrier is not None and first:
            barrier.wait()

    def unit_of_work(self) -> MemoryUnitOfWork:
        return _GatedUnitOfWork(self)


def _race(storage: _GatedStorage, *changes: Callable[[], User]) -> list[User | ConflictError]:
    def attempt(change: Callable[[], User]) -> User | ConflictError:
        try:
            return change()
        except ConflictError as exc:
            return exc

    storage.arm(len(changes))
    with ThreadPoolExecutor(max_workers=len(changes)) as pool:
        futures = [pool.submit(attempt, change) for change in changes]
        return [f.result(HANG_GUARD) for f in futures]


def _managers(core: Leadcore, organization_id: str) -> list[str]:
    with core.storage.unit_of_work() as uow:
        policy = uow.role_policies.get(organization_id) or RolePolicy()
        users = uow.users.list(organization_id)
    return [u.id for u in users if Permission.MANAGE_USERS in effective_permissions(u, policy)]


def test_two_managers_deactivating_each_other_at_once_leave_one_manager() -> None:
    storage = _GatedStorage()
    core = Leadcore(storage=storage, ids=SequentialIds())
    org, dana = core.create_organization("Agency", admin_name="Dana")
    avi = core.session(dana.id).users.create("Avi", Role.ACCOUNT_MANAGER)
    as_dana, as_avi = core.session(dana.id), core.session(avi.id)

    results = _race(
        storage,
        lambda: as_dana.users.deactivate(avi.id),
        lambda: as_avi.users.deactivate(dana.id),
    )

    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert len(_managers(core, org.id)) == 1


def test_revoking_user_management_from_each_other_at_once_leaves_one_manager() -> None:
    storage = _GatedStorage()
    core = Leadcore(storage=storage, ids=SequentialIds())
    org, dana = core.create_organization("Agency", admin_name="Dana")
    avi = core.session(dana.id).users.create("Avi", Role.ACCOUNT_MANAGER)
    as_dana, as_avi = core.session(dana.id), core.session(avi.id)

    results = _race(
        storage,
        lambda: as_dana.users.revoke(avi.id, Permission.MANAGE_USERS),
        lambda: as_avi.users.set_role(dana.id, Role.QUALIFIER),
    )

    assert sum(isinstance(r, ConflictError) for r in results) == 1, results
    assert len(_managers(core, org.id)) == 1
