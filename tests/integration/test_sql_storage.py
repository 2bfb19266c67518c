"""SqlStorage on SQLite: opening it from a URL, what it refuses, and what it promises."""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.errors import ValidationError
from leadcore.ids import SequentialIds
from leadcore.storage.sql import SqlStorage
from leadcore.tenancy import Organization

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_open_picks_the_sql_storage_from_the_url_and_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    with Leadcore.open(url, clock=ManualClock(T0), ids=SequentialIds()) as core:
        assert isinstance(core.storage, SqlStorage)
        assert core.storage.capabilities.durable
        _, admin = core.create_organization("Agency", admin_name="Dana")
        lead = core.session(admin.id).leads.create("Avi Cohen", phones=["+972505551234"])
    with Leadcore.open(url, clock=ManualClock(T0)) as again:
        assert again.session(admin.id).leads.get(lead.id) == lead


def test_open_in_memory_sqlite_is_not_durable() -> None:
    with Leadcore.open("sqlite://") as core:
        caps = core.storage.capabilities
        assert (caps.durable, caps.multi_process, caps.concurrent_units_of_work) == (
            False,
            False,
            True,
        )


@pytest.mark.parametrize("url", ["oracle://scott@db/orcl", "nosuch://x"])
def test_an_unsupported_url_says_what_is_accepted(url: str) -> None:
    with pytest.raises(ValidationError, match="sqlite") as caught:
        Leadcore.open(url)
    assert isinstance(caught.value, ValueError)


def test_row_level_security_is_refused_where_the_database_has_none() -> None:
    with pytest.raises(ValidationError, match="only PostgreSQL"):
        SqlStorage("sqlite://", row_level_security=True)


def test_a_value_too_long_for_its_column_is_a_validation_error_naming_it() -> None:
    storage = SqlStorage("sqlite://", create=True)
    with storage.unit_of_work() as uow, pytest.raises(ValidationError, match="organization_id"):
        uow.organizations.add(Organization("o" * 200, "Agency", T0))
    storage.close()


def test_a_host_engine_is_shared_and_left_open(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'host.db'}")
    storage = SqlStorage(engine, create=True)
    with storage.unit_of_work() as uow:
        uow.organizations.add(Organization("org-1", "Agency", T0))
        uow.commit()
    storage.close()
    with SqlStorage(engine).unit_of_work() as uow:
        assert uow.organizations.get("org-1") == Organization("org-1", "Agency", T0)
    engine.dispose()


def test_the_repr_hides_the_password() -> None:
    # Nothing connects before the first unit of work, so no server is needed here.
    storage = SqlStorage("postgresql+psycopg://app:secret@127.0.0.1:1/crm")
    assert repr(storage) == "SqlStorage('postgresql+psycopg://app:***@127.0.0.1:1/crm')"
    storage.close()


def test_without_the_sql_extra_open_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m.startswith("leadcore.storage.sql")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as if it were not installed
    with pytest.raises(
        ValidationError, match=r"needs the 'sql' extra: pip install 'leadcore\[sql\]'"
    ):
        Leadcore.open("sqlite://")


def test_a_broken_leadcore_module_is_not_mistaken_for_a_missing_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m.startswith("leadcore.storage.sql")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "leadcore.storage.sql._backend", None)
    with pytest.raises(ModuleNotFoundError, match=re.escape("leadcore.storage.sql._backend")):
        Leadcore.open("sqlite://")
