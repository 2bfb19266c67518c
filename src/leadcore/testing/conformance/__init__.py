"""The conformance suite for storage adapters: subclass it, and pytest checks your adapter.

Every adapter (the in-memory one, the SQL one, yours) must answer exactly
like the reference :class:`~leadcore.storage.memory.MemoryStorage`. This
package turns the contract of :mod:`leadcore.storage.protocols` into pytest
checks you run against your own adapter. It needs ``pytest``.

Use it from a test module of your project::

    # tests/test_my_storage.py
    from leadcore.testing.conformance import StorageConformance

    from my_crm.storage import MyStorage


    class TestMyStorage(StorageConformance[MyStorage]):
        def make_storage(self) -> MyStorage:
            return MyStorage()  # a new, empty storage for each test

When building the storage needs other fixtures, override the ``storage``
fixture instead (it must yield a new, empty storage and close it after)::

    import pytest

    class TestMySqlStorage(StorageConformance[MySqlStorage]):
        @pytest.fixture
        def storage(self, tmp_path):
            storage = MySqlStorage(f"sqlite:///{tmp_path / 'crm.db'}")
            yield storage
            storage.close()

        def open_again(self, storage: MySqlStorage) -> MySqlStorage:
            return MySqlStorage(storage.url)  # only durable / multi-process adapters

What it checks:

- every repository: records come back exactly as stored, a taken id raises
  :class:`~leadcore.errors.ConflictError`, replacing or removing what is not
  stored raises :class:`~leadcore.errors.NotFound`, and every list is in its
  documented order (names in plain code-point order, then ids: set a binary
  collation on SQL columns);
- workflows: a new version must be the latest + 1; each kind is its own slot;
- the unit of work: commit writes everything, leaving the block without
  ``commit()`` or through an exception writes nothing, a unit of work sees its
  own writes and never another's uncommitted ones, and of two units of work
  that change one record the second raises ``ConflictError`` (from the write
  or at the latest from ``commit()``) and writes nothing;
- the lead repositories (leads, history, notes, tasks, projects, do-not-call,
  settings, accounts, contacts, opportunities, conversions): their orders,
  compare-and-set updates, and that one organisation never sees another's;
- the event outbox: positions count 1, 2, 3... per organisation in commit
  order, a unit of work that does not commit records nothing, consumer
  positions are kept per consumer and organisation;
- dispatch (pools, filters, lease compare-and-set, claims, and
  ``next_choice`` equal to :func:`leadcore.dispatch.choose_reference`),
  and writes under a claim fenced at commit through the dispatch service
  (:class:`DispatchFencingTests`: a writer parked before its commit loses
  to a later claim, random agent threads leave no stray write, a token
  binds to its agent with a lock window of 0, an invisible lead is
  answered like a missing one),
  the calendar (activities between a window) and forwarding (deliveries,
  terms, routing counters), each behind its capability flag;
- isolation: two organisations with look-alike data (same names, same
  status ids) never see each other's records, counts, or existence, not even
  through an error message;
- atomicity and races (:class:`AtomicityTests`): writes of several
  repositories commit together, versions and claims are decided at commit,
  a unit of work that loses its race leaves no event;
- values (:class:`ValueTests`): aware datetimes keep their instant, offset
  and microseconds, long, Hebrew and four-byte text and typed custom fields
  come back unchanged, an update writes every changed field;
- text and order (:class:`TextOrderTests`): search folds with ``casefold``,
  every name list and every tie is in code-point order;
- identity (:class:`IdentityTests`): every ``add`` with a taken id raises
  ``ConflictError``;
- the stateful comparisons with MemoryStorage (:class:`ComparisonWithMemory`):
  hypothesis state machines (:class:`SameAnswersAsMemory`,
  :class:`ForwardingAnswersAsMemory`, :class:`SameCalendarAsMemory`) make
  the same random operations through the facade on your adapter and on
  :class:`~leadcore.storage.memory.MemoryStorage`, from realistic seeded
  data, and every answer, error and event must be equal. They take a new
  storage per example from ``make_storage()``; raise ``comparison_examples``
  and ``comparison_steps``, or set ``LEADCORE_COMPARISON_EXAMPLES`` and
  ``LEADCORE_COMPARISON_STEPS``, for a deeper search, or run
  :func:`comparison_machine` with settings of your own.

Where a backend may legitimately differ, the suite reads its
:class:`~leadcore.storage.protocols.Capabilities` instead of silently
skipping: a check that needs ``durable``, ``multi_process``,
``concurrent_units_of_work``, ``dispatch``, ``calendar`` or ``forwarding``
is skipped with a reason naming the flag your
adapter does not declare. A durable or multi-process adapter also overrides
:meth:`~StorageFixtures.open_again`.

The suite is made of one class per part (``UserRepositoryTests``,
``UnitOfWorkTests``, ...); :class:`StorageConformance` combines them all.
Run one part alone by subclassing it instead.
"""

from __future__ import annotations

import pytest

# Before the modules with the checks are imported, so that a failing check
# shows pytest's detailed assertion message in the adapter author's run.
pytest.register_assert_rewrite(
    "leadcore.testing.conformance._atomicity",
    "leadcore.testing.conformance._base",
    "leadcore.testing.conformance._calendar",
    "leadcore.testing.conformance._comparison",
    "leadcore.testing.conformance._comparison_calendar",
    "leadcore.testing.conformance._comparison_forwarding",
    "leadcore.testing.conformance._comparison_run",
    "leadcore.testing.conformance._conversions",
    "leadcore.testing.conformance._dispatch",
    "leadcore.testing.conformance._events",
    "leadcore.testing.conformance._fencing",
    "leadcore.testing.conformance._forwarding",
    "leadcore.testing.conformance._identity",
    "leadcore.testing.conformance._isolation",
    "leadcore.testing.conformance._leads",
    "leadcore.testing.conformance._tenancy",
    "leadcore.testing.conformance._text_order",
    "leadcore.testing.conformance._unit_of_work",
    "leadcore.testing.conformance._values",
    "leadcore.testing.conformance._workflows",
)

from leadcore.testing.conformance._atomicity import AtomicityTests  # noqa: E402
from leadcore.testing.conformance._base import (  # noqa: E402
    StorageFixtures,
    require_capability,
)
from leadcore.testing.conformance._calendar import CalendarRepositoryTests  # noqa: E402
from leadcore.testing.conformance._comparison import (  # noqa: E402
    SameAnswersAsMemory,
    comparison_machine,
)
from leadcore.testing.conformance._comparison_calendar import (  # noqa: E402
    SameCalendarAsMemory,
    calendar_comparison_machine,
)
from leadcore.testing.conformance._comparison_forwarding import (  # noqa: E402
    ForwardingAnswersAsMemory,
)
from leadcore.testing.conformance._comparison_run import (  # noqa: E402
    ComparisonWithMemory,
    comparison_budget,
)
from leadcore.testing.conformance._conversions import ConversionRepositoryTests  # noqa: E402
from leadcore.testing.conformance._dispatch import DispatchRepositoryTests  # noqa: E402
from leadcore.testing.conformance._emails import EmailRepositoryTests  # noqa: E402
from leadcore.testing.conformance._events import EventRepositoryTests  # noqa: E402
from leadcore.testing.conformance._fencing import DispatchFencingTests  # noqa: E402
from leadcore.testing.conformance._forwarding import ForwardingRepositoryTests  # noqa: E402
from leadcore.testing.conformance._identity import IdentityTests  # noqa: E402
from leadcore.testing.conformance._isolation import IsolationTests  # noqa: E402
from leadcore.testing.conformance._leads import (  # noqa: E402
    DoNotCallRepositoryTests,
    HistoryRepositoryTests,
    LeadRepositoryTests,
    LeadSettingsRepositoryTests,
    NoteRepositoryTests,
    ProjectRepositoryTests,
    TaskRepositoryTests,
)
from leadcore.testing.conformance._records import T0, Records  # noqa: E402
from leadcore.testing.conformance._suite import StorageConformance  # noqa: E402
from leadcore.testing.conformance._tenancy import (  # noqa: E402
    GroupRepositoryTests,
    OrganizationRepositoryTests,
    PartnershipRepositoryTests,
    RolePolicyRepositoryTests,
    UserRepositoryTests,
)
from leadcore.testing.conformance._text_order import TextOrderTests  # noqa: E402
from leadcore.testing.conformance._unit_of_work import UnitOfWorkTests  # noqa: E402
from leadcore.testing.conformance._values import ValueTests  # noqa: E402
from leadcore.testing.conformance._workflows import WorkflowRepositoryTests  # noqa: E402

__all__ = [
    "T0",
    "AtomicityTests",
    "CalendarRepositoryTests",
    "ComparisonWithMemory",
    "ConversionRepositoryTests",
    "DispatchFencingTests",
    "DispatchRepositoryTests",
    "DoNotCallRepositoryTests",
    "EmailRepositoryTests",
    "EventRepositoryTests",
    "ForwardingAnswersAsMemory",
    "ForwardingRepositoryTests",
    "GroupRepositoryTests",
    "HistoryRepositoryTests",
    "IdentityTests",
    "IsolationTests",
    "LeadRepositoryTests",
    "LeadSettingsRepositoryTests",
    "NoteRepositoryTests",
    "OrganizationRepositoryTests",
    "PartnershipRepositoryTests",
    "ProjectRepositoryTests",
    "Records",
    "RolePolicyRepositoryTests",
    "SameAnswersAsMemory",
    "SameCalendarAsMemory",
    "StorageConformance",
    "StorageFixtures",
    "TaskRepositoryTests",
    "TextOrderTests",
    "UnitOfWorkTests",
    "UserRepositoryTests",
    "ValueTests",
    "WorkflowRepositoryTests",
    "calendar_comparison_machine",
    "comparison_budget",
    "comparison_machine",
    "require_capability",
]
