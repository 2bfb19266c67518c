"""The unit tests: fast, on memory storage only, with the set-up most of them share.

- No unit test opens a SQL storage (SQLite included): building a
  :class:`~leadcore.storage.sql.SqlStorage` here fails the test and says to
  move it to ``tests/integration``, where SQLite always runs and the server
  databases run when their URLs are set.
- The shipped fixtures of :mod:`leadcore.testing.pytest_plugin` give the
  core: ``leadcore_clock`` is overridden to start at :data:`START`, and
  ``clock``, ``core`` and ``s`` (an organisation's first user, an account
  manager) are the short names the tests use. A module that needs another
  start or another organisation defines a fixture of the same name, which wins.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadcore import Leadcore, Session
from leadcore.clock import ManualClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""Where ``clock`` starts: a Monday morning."""


@pytest.fixture(autouse=True)
def _no_sql_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a unit test that opens a SQL storage: such a test belongs in ``tests/integration``."""
    try:
        from leadcore.storage.sql import SqlStorage
    except ImportError:  # without the ``sql`` extra no test can open one
        return

    def refuse(self: SqlStorage, url: object, *args: object, **kwargs: object) -> None:
        pytest.fail(
            f"a unit test opened SqlStorage({url!r}): tests/unit is database-free, "
            "move the test to tests/integration"
        )

    monkeypatch.setattr(SqlStorage, "__init__", refuse)


@pytest.fixture
def leadcore_clock() -> ManualClock:
    """The shipped clock, at :data:`START`."""
    return ManualClock(START)


@pytest.fixture
def clock(leadcore_clock: ManualClock) -> ManualClock:
    """The clock of ``core``; move it with ``advance`` or ``set``."""
    return leadcore_clock


@pytest.fixture
def core(leadcore_core: Leadcore) -> Leadcore:
    """The shipped core: memory storage, ``clock`` and sequential ids."""
    return leadcore_core


@pytest.fixture
def s(core: Leadcore) -> Session:
    """The first user of the organisation "Agency" (phones read in Israel): an account manager."""
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)
