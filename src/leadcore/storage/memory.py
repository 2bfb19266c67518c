"""The in-memory storage adapter: thread-safe, transactional, and the reference model.

Committed data lives in one store guarded by a lock. A unit of work keeps its
writes to itself until :meth:`~MemoryUnitOfWork.commit`, which applies them all
at once, or not at all: if a record it writes was committed by someone else
since this unit of work first touched it, the commit raises
:class:`~leadcore.errors.ConflictError` and writes nothing (first committer
wins). Readers never see another unit of work's uncommitted writes, nor half
of a commit.

Records are immutable values, so they are stored and returned as they are,
without copying.

>>> from leadcore.storage.memory import MemoryStorage
>>> storage = MemoryStorage()
>>> with storage.unit_of_work() as uow:
...     print(uow.users.list("org-1"))
[]
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from types import TracebackType
from typing import Any, Final, Generic, Self, TypeVar

from leadcore.errors import ConflictError, NotFound
from leadcore.storage.protocols import Capabilities
from leadcore.tenancy import Group, Organization, Partnership, RolePolicy, User
from leadcore.workflow import Workflow

__all__ = ["MemoryStorage", "MemoryUnitOfWork", "Transaction"]

T = TypeVar("T")
_GLOBAL: Final = ""
"""The scope of records that belong to no organisation (the user -> organisation index)."""


class _Deleted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<deleted>"


_DELETED: Final = _Deleted()

_Key = tuple[str, str, Hashable]  # (table, organisation id, record key)


class _Committed:
    """Committed state: table -> organisation -> key -> (commit sequence, record)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.seq = 0
        self.tables: dict[str, dict[str, dict[Hashable, tuple[int, object]]]] = {}

    def row(self, table: str, org: str, key: Hashable) -> tuple[int, object] | None:
        return self.tables.get(table, {}).get(org, {}).get(key)


class Transaction:
    """The write set of one unit of work over the committed store.

    Adapter code built on the memory store (repositories added by later
    features) reads and writes through these four methods only.
    """

    def __init__(self, committed: _Committed) -> None:
        self._committed = committed
        self._writes: dict[_Key, object] = {}
        self._base: dict[_Key, int | None] = {}

    def _remember(self, k: _Key, row: tuple[int, object] | None) -> None:
        if k not in self._base:
            self._base[k] = None if row is None else row[0]

    def read(self, table: str, org: str, key: Hashable) -> Any:
        """The record under ``key``: this unit of work's write if any, else the committed one."""
        k = (table, org, key)
        if k in self._writes:
            value = self._writes[k]
            return None if value is _DELETED else value
        with self._committed.lock:
            row = self._committed.row(table, org, key)
        self._remember(k, row)
        return None if row is None else row[1]

    def write(self, table: str, org: str, key: Hashable, value: object) -> None:
        """Stage ``value`` under ``key`` (visible to this unit of work only until commit)."""
        k = (table, org, key)
        if k not in self._base:
            with self._committed.lock:
                self._remember(k, self._committed.row(table, org, key))
        self._writes[k] = value

    def delete(self, table: str, org: str, key: Hashable) -> None:
        """Stage the removal of ``key``."""
        self.write(table, org, key, _DELETED)

    def scan(self, table: str, org: str) -> list[Any]:
        """Every record of ``table`` in ``org`` as this unit of work sees it (unordered)."""
        with self._committed.lock:
            committed = dict(self._committed.tables.get(table, {}).get(org, {}))
        result: dict[Hashable, object] = {key: row[1] for key, row in committed.items()}
        for (t, o, key), value in self._writes.items():
            if t == table and o == org:
                if value is _DELETED:
                    result.pop(key, None)
                else:
                    result[key] = value
        return list(result.values())

    def commit(self) -> None:
        """Apply every staged write atomically, or raise ``ConflictError`` and apply none."""
        if not self._writes:
            return
        store = self._committed
        with store.lock:
            for k in self._writes:
                table, org, key = k
                row = store.row(table, org, key)
                current = None if row is None else row[0]
                if current != self._base.get(k):
                    raise ConflictError(
                        f"{table} record {key!r} was changed by another unit of work; "
                        "nothing was written"
                    )
            store.seq += 1
            seq = store.seq
            for (table, org, key), value in self._writes.items():
                rows = store.tables.setdefault(table, {}).setdefault(org, {})
                if value is _DELETED:
                    rows.pop(key, None)
                else:
                    rows[key] = (seq, value)
        self._writes.clear()
        self._base.clear()

    def rollback(self) -> None:
        """Forget every staged write."""
        self._writes.clear()
        self._base.clear()


class _Repo(Generic[T]):
    """A table of records of one type, keyed by (organisation, id)."""

    table: str
    kind: str

    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _add(self, org: str, key: Hashable, record: T) -> None:
        if self._tx.read(self.table, org, key) is not None:
            raise ConflictError(f"{self.kind} {key!r} already exists")
        self._tx.write(self.table, org, key, record)

    def _get(self, org: str, key: Hashable) -> T | None:
        found: T | None = self._tx.read(self.table, org, key)
        return found

    def _update(self, org: str, key: Hashable, record: T) -> None:
        if self._tx.read(self.table, org, key) is None:
            raise NotFound(self.kind, key)
        self._tx.write(self.table, org, key, record)

    def _list(self, org: str, order: Callable[[T], Any]) -> list[T]:
        rows: list[T] = self._tx.scan(self.table, org)
        rows.sort(key=order)
        return rows


class _Organizations(_Repo[Organization]):
    table, kind = "organizations", "organization"

    def add(self, organization: Organization) -> None:
        self._add(organization.id, organization.id, organization)

    def get(self, organization_id: str) -> Organization | None:
        return self._get(organization_id, organization_id)

    def update(self, organization: Organization) -> None:
        self._update(organization.id, organization.id, organization)


class _Users(_Repo[User]):
    table, kind = "users", "user"

    def add(self, user: User) -> None:
        if self._tx.read("user_index", _GLOBAL, user.id) is not None:
            raise ConflictError(f"user {user.id!r} already exists")
        self._add(user.organization_id, user.id, user)
        self._tx.write("user_index", _GLOBAL, user.id, user.organization_id)

    def get(self, organization_id: str, user_id: str) -> User | None:
        return self._get(organization_id, user_id)

    def list(self, organization_id: str) -> list[User]:
        return self._list(organization_id, lambda u: (u.name, u.id))

    def update(self, user: User) -> None:
        self._update(user.organization_id, user.id, user)

    def organization_of(self, user_id: str) -> str | None:
        found: str | None = self._tx.read("user_index", _GLOBAL, user_id)
        return found


class _Groups(_Repo[Group]):
    table, kind = "groups", "group"

    def add(self, group: Group) -> None:
        self._add(group.organization_id, group.id, group)

    def get(self, organization_id: str, group_id: str) -> Group | None:
        return self._get(organization_id, group_id)

    def list(self, organization_id: str) -> list[Group]:
        return self._list(organization_id, lambda g: (g.name, g.id))

    def update(self, group: Group) -> None:
        self._update(group.organization_id, group.id, group)

    def remove(self, organization_id: str, group_id: str) -> None:
        if self._get(organization_id, group_id) is None:
            raise NotFound(self.kind, group_id)
        self._tx.delete(self.table, organization_id, group_id)


class _Partnerships(_Repo[Partnership]):
    table, kind = "partnerships", "partnership"

    def add(self, partnership: Partnership) -> None:
        self._add(partnership.organization_id, partnership.id, partnership)

    def get(self, organization_id: str, partnership_id: str) -> Partnership | None:
        return self._get(organization_id, partnership_id)

    def list(self, organization_id: str) -> list[Partnership]:
        return self._list(organization_id, lambda p: (p.partner_name, p.id))

    def update(self, partnership: Partnership) -> None:
        self._update(partnership.organization_id, partnership.id, partnership)


class _RolePolicies(_Repo[RolePolicy]):
    table, kind = "role_policies", "role policy"

    def get(self, organization_id: str) -> RolePolicy | None:
        return self._get(organization_id, "policy")

    def put(self, organization_id: str, policy: RolePolicy) -> None:
        self._tx.write(self.table, organization_id, "policy", policy)


class _Workflows(_Repo[Workflow]):
    table, kind = "workflows", "workflow"

    @staticmethod
    def _table(kind: str) -> str:
        return f"workflows:{kind}"

    def _latest(self, organization_id: str, kind: str) -> int:
        head: int | None = self._tx.read("workflow_heads", organization_id, kind)
        return head or 0

    def add(self, organization_id: str, kind: str, workflow: Workflow) -> None:
        latest = self._latest(organization_id, kind)
        if workflow.version != latest + 1:
            raise ConflictError(
                f"{kind} workflow version {workflow.version} cannot follow version {latest}"
            )
        self._tx.write(self._table(kind), organization_id, workflow.version, workflow)
        # The head row makes two concurrent publishers of the same version conflict.
        self._tx.write("workflow_heads", organization_id, kind, workflow.version)

    def get(self, organization_id: str, kind: str, version: int | None = None) -> Workflow | None:
        if version is None:
            version = self._latest(organization_id, kind)
        found: Workflow | None = self._tx.read(self._table(kind), organization_id, version)
        return found

    def versions(self, organization_id: str, kind: str) -> list[Workflow]:
        found: list[Workflow] = self._tx.scan(self._table(kind), organization_id)
        found.sort(key=lambda wf: wf.version)
        return found


class MemoryUnitOfWork:
    """A unit of work over a :class:`MemoryStorage`.

    See :class:`~leadcore.storage.protocols.UnitOfWork` for the contract.
    """

    def __init__(self, storage: MemoryStorage) -> None:
        self._storage = storage
        self.tx = Transaction(storage._committed)
        self.organizations = _Organizations(self.tx)
        self.users = _Users(self.tx)
        self.groups = _Groups(self.tx)
        self.partnerships = _Partnerships(self.tx)
        self.role_policies = _RolePolicies(self.tx)
        self.workflows = _Workflows(self.tx)
        self._open = False

    def __enter__(self) -> Self:
        self._open = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._open = False

    def commit(self) -> None:
        """Apply every write of this unit of work atomically (``ConflictError`` on a lost race)."""
        self.tx.commit()

    def rollback(self) -> None:
        """Discard every uncommitted write."""
        self.tx.rollback()


class MemoryStorage:
    """Thread-safe in-memory storage: the embedded default and the reference model."""

    def __init__(self) -> None:
        self._committed = _Committed()

    @property
    def capabilities(self) -> Capabilities:
        """In-memory: not durable, one process, many threads."""
        return Capabilities(durable=False, multi_process=False, concurrent_units_of_work=True)

    def unit_of_work(self) -> MemoryUnitOfWork:
        """Open a new unit of work."""
        return MemoryUnitOfWork(self)

    def close(self) -> None:
        """Nothing to release; data stays until the object is dropped."""

    def __repr__(self) -> str:
        return "MemoryStorage()"
