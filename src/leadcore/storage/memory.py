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

from types import TracebackType
from typing import Self

from leadcore.errors import ConflictError, NotFound
from leadcore.storage._memory_calendar import MemoryCalendar
from leadcore.storage._memory_dispatch import DispatchEngine, MemoryDispatch
from leadcore.storage._memory_emails import MemoryEmails
from leadcore.storage._memory_events import MemoryEvents
from leadcore.storage._memory_forwarding import (
    MemoryDeliveries,
    MemoryDeliveryTerms,
    MemoryRouting,
)
from leadcore.storage._memory_leads import (
    MemoryAccounts,
    MemoryContacts,
    MemoryConversions,
    MemoryDoNotCall,
    MemoryHistory,
    MemoryLeads,
    MemoryLeadSettings,
    MemoryNotes,
    MemoryOpportunities,
    MemoryProjects,
    MemoryTasks,
)
from leadcore.storage._memory_pipeline import MemoryPipelineHistory, MemoryPipelineSettings
from leadcore.storage._memory_tx import GLOBAL, Committed, Repo, Transaction
from leadcore.storage.protocols import Capabilities
from leadcore.tenancy import Group, Organization, Partnership, RolePolicy, User
from leadcore.workflow import Workflow

__all__ = ["MemoryStorage", "MemoryUnitOfWork", "Transaction"]


class _Organizations(Repo[Organization]):
    table, kind = "organizations", "organization"

    def add(self, organization: Organization) -> None:
        self._add(organization.id, organization.id, organization)

    def get(self, organization_id: str) -> Organization | None:
        return self._get(organization_id, organization_id)

    def update(self, organization: Organization) -> None:
        self._update(organization.id, organization.id, organization)


class _Users(Repo[User]):
    table, kind = "users", "user"

    def add(self, user: User) -> None:
        if self._tx.read("user_index", GLOBAL, user.id) is not None:
            raise ConflictError(f"user {user.id!r} already exists")
        self._add(user.organization_id, user.id, user)
        self._tx.write("user_index", GLOBAL, user.id, user.organization_id)

    def get(self, organization_id: str, user_id: str) -> User | None:
        return self._get(organization_id, user_id)

    def list(self, organization_id: str) -> list[User]:
        return self._list(organization_id, lambda u: (u.name, u.id))

    def update(self, user: User) -> None:
        self._update(user.organization_id, user.id, user)

    def organization_of(self, user_id: str) -> str | None:
        found: str | None = self._tx.read("user_index", GLOBAL, user_id)
        return found


class _Groups(Repo[Group]):
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


class _Partnerships(Repo[Partnership]):
    table, kind = "partnerships", "partnership"

    def add(self, partnership: Partnership) -> None:
        self._add(partnership.organization_id, partnership.id, partnership)

    def get(self, organization_id: str, partnership_id: str) -> Partnership | None:
        return self._get(organization_id, partnership_id)

    def list(self, organization_id: str) -> list[Partnership]:
        return self._list(organization_id, lambda p: (p.partner_name, p.id))

    def update(self, partnership: Partnership) -> None:
        self._update(partnership.organization_id, partnership.id, partnership)


class _RolePolicies(Repo[RolePolicy]):
    table, kind = "role_policies", "role policy"

    def get(self, organization_id: str) -> RolePolicy | None:
        return self._get(organization_id, "policy")

    def put(self, organization_id: str, policy: RolePolicy) -> None:
        self._tx.write(self.table, organization_id, "policy", policy)


class _Workflows(Repo[Workflow]):
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
        self.projects = MemoryProjects(self.tx)
        self.leads = MemoryLeads(self.tx)
        self.history = MemoryHistory(self.tx)
        self.notes = MemoryNotes(self.tx)
        self.tasks = MemoryTasks(self.tx)
        self.do_not_call = MemoryDoNotCall(self.tx)
        self.lead_settings = MemoryLeadSettings(self.tx)
        self.accounts = MemoryAccounts(self.tx)
        self.contacts = MemoryContacts(self.tx)
        self.opportunities = MemoryOpportunities(self.tx)
        self.conversions = MemoryConversions(self.tx)
        self.pipeline_history = MemoryPipelineHistory(self.tx)
        self.pipeline_settings = MemoryPipelineSettings(self.tx)
        self.events = MemoryEvents(self.tx)
        self.dispatch = MemoryDispatch(self.tx, storage._dispatch, storage._committed)
        self.deliveries = MemoryDeliveries(self.tx)
        self.delivery_terms = MemoryDeliveryTerms(self.tx)
        self.routing = MemoryRouting(self.tx)
        self.calendar = MemoryCalendar(self.tx)
        self.emails = MemoryEmails(self.tx)
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
        self._committed = Committed()
        self._dispatch = DispatchEngine(self._committed)

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
