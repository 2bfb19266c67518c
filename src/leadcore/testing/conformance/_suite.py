"""The whole suite in one class: every part an adapter must pass."""

from __future__ import annotations

from typing import Generic, TypeVar

from leadcore.storage.protocols import Storage
from leadcore.testing.conformance._atomicity import AtomicityTests
from leadcore.testing.conformance._calendar import CalendarRepositoryTests
from leadcore.testing.conformance._comparison_run import ComparisonWithMemory
from leadcore.testing.conformance._conversions import ConversionRepositoryTests
from leadcore.testing.conformance._dispatch import DispatchRepositoryTests
from leadcore.testing.conformance._emails import EmailRepositoryTests
from leadcore.testing.conformance._events import EventRepositoryTests
from leadcore.testing.conformance._fencing import DispatchFencingTests
from leadcore.testing.conformance._forwarding import ForwardingRepositoryTests
from leadcore.testing.conformance._identity import IdentityTests
from leadcore.testing.conformance._isolation import IsolationTests
from leadcore.testing.conformance._leads import (
    DoNotCallRepositoryTests,
    HistoryRepositoryTests,
    LeadRepositoryTests,
    LeadSettingsRepositoryTests,
    NoteRepositoryTests,
    ProjectRepositoryTests,
    TaskRepositoryTests,
)
from leadcore.testing.conformance._tenancy import (
    GroupRepositoryTests,
    OrganizationRepositoryTests,
    PartnershipRepositoryTests,
    RolePolicyRepositoryTests,
    UserRepositoryTests,
)
from leadcore.testing.conformance._text_order import TextOrderTests
from leadcore.testing.conformance._unit_of_work import UnitOfWorkTests
from leadcore.testing.conformance._values import ValueTests
from leadcore.testing.conformance._workflows import WorkflowRepositoryTests

__all__ = ["StorageConformance"]

S = TypeVar("S", bound=Storage)


class StorageConformance(
    OrganizationRepositoryTests[S],
    UserRepositoryTests[S],
    GroupRepositoryTests[S],
    PartnershipRepositoryTests[S],
    RolePolicyRepositoryTests[S],
    WorkflowRepositoryTests[S],
    UnitOfWorkTests[S],
    IsolationTests[S],
    ProjectRepositoryTests[S],
    LeadRepositoryTests[S],
    HistoryRepositoryTests[S],
    NoteRepositoryTests[S],
    TaskRepositoryTests[S],
    DoNotCallRepositoryTests[S],
    LeadSettingsRepositoryTests[S],
    ConversionRepositoryTests[S],
    EventRepositoryTests[S],
    DispatchRepositoryTests[S],
    DispatchFencingTests[S],
    CalendarRepositoryTests[S],
    EmailRepositoryTests[S],
    ForwardingRepositoryTests[S],
    AtomicityTests[S],
    ValueTests[S],
    TextOrderTests[S],
    IdentityTests[S],
    ComparisonWithMemory[S],
    Generic[S],
):
    """Every conformance check of a :class:`~leadcore.storage.protocols.Storage` adapter.

    Subclass it in a test module under a name pytest collects (``Test...``),
    parametrised with your storage class, and override
    :meth:`~StorageFixtures.make_storage` (or the ``storage`` fixture)::

        class TestMyStorage(StorageConformance[MyStorage]):
            def make_storage(self) -> MyStorage:
                return MyStorage()
    """
