"""Duplicate checks of accounts and contacts on SQL: looked up by key, filled by migration 8."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, delete, select
from tests.integration.conftest import empty_database
from tests.integration.test_sql_pipeline import counted

from leadcore import Leadcore
from leadcore.clock import ManualClock
from leadcore.ids import SequentialIds
from leadcore.leads import Account, Contact
from leadcore.storage.sql import (
    STEPS,
    SqlStorage,
    _tables,
    build_metadata,
    current_version,
    migrate,
)
from leadcore.storage.sql._codec import decode

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KEYS = "leadcore_pipeline_keys"


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[type[Any]]:
    """The kinds of the records the SQL tables decode, one entry per row read."""
    kinds: list[type[Any]] = []
    real = decode

    def counting(text: Any, cls: type[Any]) -> Any:
        kinds.append(cls)
        return real(text, cls)

    monkeypatch.setattr(_tables, "decode", counting)
    return kinds


def test_an_account_create_reads_only_the_accounts_sharing_a_key(
    make_storage: Callable[[str], SqlStorage], decoded: list[type[Any]]
) -> None:
    storage = make_storage("sqlite-memory")
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    accounts = [
        s.accounts.create(f"Account {i}", phones=[f"+97250555{i:04d}"], emails=[f"a{i}@x.example"])
        for i in range(40)
    ]
    decoded.clear()
    with counted(storage) as statements:
        by_name = s.accounts.create("ACCOUNT 7")
        by_phone = s.accounts.create("Other", phones=["+972505550003"])
        fresh = s.accounts.create("Fresh", emails=["fresh@x.example"])
    assert by_name.duplicate_of == accounts[7].id
    assert by_phone.duplicate_of == accounts[3].id
    assert fresh.duplicate_of is None
    # One account read for each of the two duplicates, none of the other forty.
    assert decoded.count(Account) == 2
    reads = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert any(KEYS in q for q in reads)
    for q in reads:
        if "FROM leadcore_accounts" in q:
            assert "leadcore_accounts.id IN" in q or "leadcore_accounts.id = " in q, q


def test_a_contact_added_reads_only_the_contacts_sharing_a_key(
    make_storage: Callable[[str], SqlStorage], decoded: list[type[Any]]
) -> None:
    storage = make_storage("sqlite-memory")
    core = Leadcore(storage=storage, clock=ManualClock(START), ids=SequentialIds())
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    account = s.accounts.create("Acme")
    contacts = [
        s.accounts.add_contact(account.id, f"Person {i}", phones=[f"+97250555{i:04d}"])
        for i in range(40)
    ]
    decoded.clear()
    twin = s.accounts.add_contact(account.id, "Someone", phones=["+972505550012"])
    assert twin.duplicate_of == contacts[12].id
    assert decoded.count(Contact) == 1


# -- migration step 8 ------------------------------------------------------------------------

DATABASES = ("sqlite-file", "postgresql", "mariadb")


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with empty_database(str(request.param), tmp_path) as url:
        made = create_engine(url)
        yield made
        made.dispose()


def _key_rows(engine: Engine) -> list[tuple[str, ...]]:
    table = build_metadata().tables[KEYS]
    with engine.connect() as c:
        return sorted(tuple(r) for r in c.execute(select(table)).all())


def _back_to_version_7(engine: Engine) -> None:
    """What a database at version 7 with the same accounts and contacts looks like."""
    model = build_metadata()
    with engine.begin() as c:
        model.tables[KEYS].drop(c)
        versions = model.tables["leadcore_schema_version"]
        c.execute(delete(versions).where(versions.c.version == 8))
        assert current_version(c) == 7


def test_migrating_a_version_7_database_fills_the_keys_of_its_accounts_and_contacts(
    engine: Engine,
) -> None:
    assert migrate(engine) == STEPS[-1].version == 8
    clock = ManualClock(START)
    with Leadcore(storage=SqlStorage(engine), clock=clock) as core:
        _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
        _, other_admin = core.create_organization("Other", admin_name="Omer")
        s = core.session(admin.id)
        acme = s.accounts.create("Acme", phones=["050-555-1234"], emails=["desk@acme.example"])
        clock.advance(timedelta(minutes=1))
        beta = s.accounts.create("Beta Ltd", emails=["b@beta.example"])
        s.accounts.add_contact(acme.id, "Rina", phones=["050-555-7777"])
        s.accounts.add_contact(beta.id, "Noa", emails=["noa@beta.example"])
        s.accounts.update(beta.id, name="Beta Inc")
        s.accounts.merge(acme.id, beta.id)
        core.session(other_admin.id).accounts.create("Acme", phones=["+972505551234"])
    written = _key_rows(engine)
    assert len(written) == 10  # acme 4 (with the merged e-mail), beta 2, contacts 2, other 2

    _back_to_version_7(engine)
    assert migrate(engine) == 8
    # The step wrote exactly the rows the accounts and contacts got when they were written.
    assert _key_rows(engine) == written
    # Run again (as a MariaDB step that failed half-way is), it writes the same rows.
    model = build_metadata()
    with engine.begin() as c:
        STEPS[7].upgrade(c, build_metadata(upto=7), model)
    assert _key_rows(engine) == written

    with Leadcore(storage=SqlStorage(engine), clock=ManualClock(START)) as core:
        s = core.session(admin.id)
        assert s.accounts.create("ACME ").duplicate_of == acme.id
        by_email = s.accounts.create("New", emails=["b@beta.example"])
        assert by_email.duplicate_of == acme.id  # took beta's e-mail in the merge, and is older
        assert s.accounts.create("beta ltd").duplicate_of is None  # renamed since
        rina = s.accounts.add_contact(acme.id, "R.", phones=["+972505557777"])
        assert rina.duplicate_of is not None
