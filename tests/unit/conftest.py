"""The unit tests: fast, and on memory storage only.

No unit test opens a SQL storage (SQLite included): building a
:class:`~leadcore.storage.sql.SqlStorage` here fails the test and says to
move it to ``tests/integration``, where SQLite always runs and the server
databases run when their URLs are set.
"""

from __future__ import annotations

import pytest


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
