"""PostgreSQL Row-Level Security, seen from two organisations' points of view.

The storage's repositories already scope every statement by organisation; the
policies are the second wall. These tests talk to the database as the
application role directly, the way a bug or a hand-written query would, and
check that each organisation sees and writes only its own rows, that a
connection naming no organisation sees nothing, and that the role cannot
switch the wall off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError, ProgrammingError
from tests.integration.conftest import ScratchDatabase

from leadcore.leads import Lead, Source
from leadcore.storage.sql import SETTING, SqlStorage, metadata
from leadcore.tenancy import Organization, Role, User

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
A, B = "org-rls-a", "org-rls-b"
READ_ALL = {"leadcore_user_directory", "leadcore_counters"}
SCOPED = sorted(set(metadata.tables) - {"leadcore_schema_version"})


@pytest.fixture
def storage(postgresql_rls: ScratchDatabase) -> Iterator[SqlStorage]:
    """Two organisations with look-alike data, written through the storage under RLS."""
    storage = postgresql_rls.storage()
    for org, n in ((A, 1), (B, 2)):
        with storage.unit_of_work() as uow:
            uow.organizations.add(Organization(org, "Agency", T0))
            uow.users.add(User(f"user-{n}", org, "Dana", Role.QUALIFIER))
            # The same lead id in both: a key is (organisation, id).
            uow.leads.add(
                Lead(
                    "lead-1",
                    org,
                    "Dana Levi",
                    T0,
                    T0,
                    phones=("+972505551234",),
                    source=Source(channel="facebook"),
                    assignee_ids=(f"user-{n}",),
                )
            )
            uow.do_not_call.add(org, "+972505551234")
            uow.commit()
    yield storage
    storage.close()


@pytest.fixture
def app(postgresql_rls: ScratchDatabase, storage: SqlStorage) -> Iterator[Connection]:
    """A raw connection as the application role, in a transaction rolled back afterwards."""
    with postgresql_rls.engine.connect() as connection:
        yield connection
        connection.rollback()


def act_in(connection: Connection, organization_id: str) -> None:
    connection.execute(select(func.set_config(SETTING, organization_id, True)))


def organizations_in(connection: Connection, table: str) -> set[str]:
    found = connection.execute(text(f"SELECT DISTINCT organization_id FROM {table}"))
    return {str(org) for (org,) in found}


def test_each_organization_sees_exactly_its_own_rows_in_every_table(app: Connection) -> None:
    for me, other in ((A, B), (B, A)):
        act_in(app, me)
        for table in SCOPED:
            seen = organizations_in(app, table)
            if table in READ_ALL:
                continue
            assert seen <= {me}, f"{table} shows rows of {sorted(seen - {me})} to {me}"
        assert organizations_in(app, "leadcore_leads") == {me}
        # Not even by its primary key: the other organisation's lead-1 is not there.
        rows = app.execute(
            text("SELECT organization_id FROM leadcore_leads WHERE id = 'lead-1'")
        ).all()
        assert rows == [(me,)]
        hidden = app.execute(
            text("SELECT count(*) FROM leadcore_leads WHERE organization_id = :o"), {"o": other}
        ).scalar()
        assert hidden == 0


def test_a_connection_that_names_no_organization_sees_no_row(app: Connection) -> None:
    for table in SCOPED:
        if table not in READ_ALL:
            count = app.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0, table


def test_only_ids_and_event_counts_are_readable_across_organizations(app: Connection) -> None:
    act_in(app, A)
    assert organizations_in(app, "leadcore_user_directory") == {A, B}
    # Its own counters (``config``, ``events``...) and only the others' ``events`` counters.
    others = app.execute(
        text("SELECT DISTINCT name FROM leadcore_counters WHERE organization_id <> :me"),
        {"me": A},
    )
    assert set(others.scalars().all()) <= {"events"}


def test_writes_into_another_organization_are_refused(app: Connection) -> None:
    act_in(app, A)
    for statement in (
        "UPDATE leadcore_leads SET channel = 'stolen' WHERE organization_id = 'org-rls-b'",
        "DELETE FROM leadcore_do_not_call WHERE organization_id = 'org-rls-b'",
        # Readable by everyone, writable by its own organisation only.
        "UPDATE leadcore_user_directory SET organization_id = 'org-rls-a' WHERE user_id = 'user-2'",
        "DELETE FROM leadcore_user_directory WHERE user_id = 'user-2'",
        "UPDATE leadcore_counters SET value = 0 WHERE organization_id = 'org-rls-b'",
    ):
        assert app.execute(text(statement)).rowcount == 0, statement
    savepoint = app.begin_nested()
    with pytest.raises(DBAPIError, match="row-level security"):
        app.execute(
            text(
                "INSERT INTO leadcore_do_not_call (organization_id, number, revision) "
                "VALUES ('org-rls-b', '+972500000000', 1)"
            )
        )
    savepoint.rollback()
    savepoint = app.begin_nested()
    with pytest.raises(DBAPIError, match="row-level security"):
        app.execute(text("UPDATE leadcore_leads SET organization_id = 'org-rls-b'"))
    savepoint.rollback()
    act_in(app, B)
    assert (
        app.execute(text("SELECT channel FROM leadcore_leads WHERE id = 'lead-1'")).scalar()
        == "facebook"
    )


def test_the_application_role_cannot_bypass_the_policies(app: Connection) -> None:
    role = app.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert tuple(role) == (False, False)
    for statement in (
        "ALTER TABLE leadcore_leads DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE leadcore_leads NO FORCE ROW LEVEL SECURITY",
        "DROP POLICY leadcore_organization ON leadcore_leads",
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
    ):
        savepoint = app.begin_nested()
        with pytest.raises(ProgrammingError):
            app.execute(text(statement))
        savepoint.rollback()
    # Turning row security off does not show more rows: the query is refused instead.
    app.execute(text("SET LOCAL row_security = off"))
    savepoint = app.begin_nested()
    with pytest.raises(ProgrammingError, match="row-level security"):
        app.execute(text("SELECT * FROM leadcore_leads"))
    savepoint.rollback()


def test_a_query_that_forgets_its_organization_still_sees_one(storage: SqlStorage) -> None:
    leads = metadata.tables["leadcore_leads"]
    for me in (A, B):
        with storage.unit_of_work() as uow:
            # A statement with no WHERE on the organisation, as a bug would write it.
            rows = uow.tx.rows(select(leads.c.organization_id, leads.c.id), me)
        assert rows == [(me, "lead-1")]


def test_the_storage_answers_each_organization_with_its_own_records(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        for me, user in ((A, "user-1"), (B, "user-2")):
            lead = uow.leads.get(me, "lead-1")
            assert lead is not None
            assert (lead.organization_id, lead.assignee_ids) == (me, (user,))
            assert [u.id for u in uow.users.list(me)] == [user]
            assert uow.do_not_call.list(me) == ["+972505551234"]
            assert uow.users.organization_of(user) == me
        assert uow.users.get(A, "user-2") is None
