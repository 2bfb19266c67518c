"""Pytest fixtures for code built on leadcore; installed with leadcore as a ``pytest11`` plugin.

With leadcore installed, every test can ask for:

- ``leadcore_clock``: a :class:`~leadcore.clock.ManualClock` at
  2026-01-01 09:00 UTC, which moves only when told to;
- ``leadcore_core``: a :class:`~leadcore.Leadcore` on a fresh
  :class:`~leadcore.storage.memory.MemoryStorage` with that clock and
  :class:`~leadcore.ids.SequentialIds` (``lead-1``, ``lead-2``, ...);
- ``leadcore_orgs``: two organisations of that core, isolated from each
  other and built alike (same names, same statuses), each with one user in
  every role: a pair of :class:`~leadcore.testing.StaffedOrganization`;
- ``leadcore_sample_workflow``: the bundled sales workflow.

Override any of them in your ``conftest.py`` (a fixture of the same name
wins), for instance to run your tests on your own storage::

    @pytest.fixture
    def leadcore_core(leadcore_clock):
        with Leadcore(MyStorage(), clock=leadcore_clock, ids=SequentialIds()) as core:
            yield core

Without the entry point (a source checkout that was not installed), load
it with ``pytest -p leadcore.testing.pytest_plugin`` or
``pytest_plugins = ["leadcore.testing.pytest_plugin"]`` in a ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

# pytest loads this plugin in every session of every project that installs
# leadcore, so leadcore itself is imported only when a test asks for a fixture.
if TYPE_CHECKING:
    from leadcore.clock import ManualClock
    from leadcore.core import Leadcore
    from leadcore.testing._organizations import StaffedOrganization
    from leadcore.workflow import Workflow

__all__ = [
    "START",
    "leadcore_clock",
    "leadcore_core",
    "leadcore_orgs",
    "leadcore_sample_workflow",
]

#: Where ``leadcore_clock`` starts.
START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def leadcore_clock() -> ManualClock:
    """A manual clock at 2026-01-01 09:00 UTC; move it with ``advance`` or ``set``."""
    from leadcore.clock import ManualClock

    return ManualClock(START)


@pytest.fixture
def leadcore_core(leadcore_clock: ManualClock) -> Iterator[Leadcore]:
    """A core on a fresh in-memory storage, with ``leadcore_clock`` and sequential ids."""
    from leadcore.core import Leadcore
    from leadcore.ids import SequentialIds
    from leadcore.storage.memory import MemoryStorage

    with Leadcore(MemoryStorage(), clock=leadcore_clock, ids=SequentialIds()) as core:
        yield core


@pytest.fixture
def leadcore_orgs(
    leadcore_core: Leadcore,
) -> tuple[StaffedOrganization, StaffedOrganization]:
    """Two isolated organisations of ``leadcore_core``, each with one user in every role.

    Both are built alike ("Agency" and "Agency B", admins "Dana", the same
    user names and the sales workflow), so a test that mixes them up shows.
    ``org.session("qualifier")`` acts as that organisation's qualifier.
    """
    from leadcore.testing._organizations import staff_organization

    return (
        staff_organization(leadcore_core, "Agency"),
        staff_organization(leadcore_core, "Agency B"),
    )


@pytest.fixture
def leadcore_sample_workflow() -> Workflow:
    """The bundled 12-status sales workflow (``leadcore.sample_workflow()``)."""
    from leadcore.workflow import sample_workflow

    return sample_workflow()
