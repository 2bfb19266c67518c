"""Leadcore inside a host's transaction: the host commits or rolls back leadcore's writes.

Each backend gets a host engine of its own (SQLAlchemy's defaults, as a host
application has) and a host table next to leadcore's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session as OrmSession
from tests.integration.conftest import unique

from leadcore import Leadcore
from leadcore.errors import ConflictError, NotFound, ValidationError
from leadcore.events._model import LeadCreated
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage
from leadcore.tenancy import Group

BACKENDS = ("sqlite-file", "postgresql", "mariadb")


class Host:
    """A host application's engine and its own table, in leadcore's database."""

    def __init__(self, storage: SqlStorage) -> None:
        self.core = Leadcore(storage)
        self.org, self.admin = self.core.create_organization("Host", admin_name="Dana")
        self.engine: Engine = create_engine(storage.url)
        self.meta = MetaData()
        self.orders = Table(
            unique("host_orders"),
            self.meta,
            Column("id", Integer, primary_key=True),
            Column("note", String(50), nullable=False),
        )
        self.meta.create_all(self.engine)

    def order_count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(self.orders)).scalar_one())

    def lead_names(self) -> list[str]:
        s = self.core.session(self.admin.id)
        return sorted(lead.name for lead in s.leads.list().items)

    def close(self) -> None:
        self.meta.drop_all(self.engine)
        self.engine.dispose()


@pytest.fixture(params=BACKENDS)
def host(
    request: pytest.FixtureRequest, make_storage: Callable[[str], SqlStorage]
) -> Iterator[Host]:
    found = Host(make_storage(request.param))
    yield found
    found.close()


def add_order(host: Host, connection: Connection, note: str) -> None:
    connection.execute(insert(host.orders).values(note=note))


def test_host_commit_persists_the_host_s_rows_leadcore_s_and_its_events(host: Host) -> None:
    with host.engine.connect() as conn:
        add_order(host, conn, "first")
        s = host.core.session(host.admin.id, connection=conn)
        lead = s.leads.create("Joined Lead")
        assert [x.name for x in s.leads.list().items] == ["Joined Lead"]  # reads its own writes
        conn.commit()
    assert host.order_count() == 1
    assert host.lead_names() == ["Joined Lead"]
    created = [
        e.event
        for e in host.core.events.read(host.org.id)
        if isinstance(e.event, LeadCreated) and e.event.lead_id == lead.id
    ]
    assert len(created) == 1


def test_host_rollback_rolls_back_leadcore_s_writes_and_events(host: Host) -> None:
    before = len(host.core.events.read(host.org.id))
    with host.engine.connect() as conn:
        s = host.core.session(host.admin.id, connection=conn)
        s.leads.create("Rolled Back")
        add_order(host, conn, "gone")
        conn.rollback()
    assert host.order_count() == 0
    assert host.lead_names() == []
    assert len(host.core.events.read(host.org.id)) == before


def test_a_failing_use_case_leaves_the_host_s_earlier_writes_and_transaction_intact(
    host: Host,
) -> None:
    with host.engine.connect() as conn:
        add_order(host, conn, "kept")
        s = host.core.session(host.admin.id, connection=conn)
        s.leads.create("Kept Lead")
        with pytest.raises(ValidationError):
            s.leads.create("")
        with pytest.raises(NotFound):
            s.leads.add_note("lead-missing", "nobody")
        add_order(host, conn, "after")
        conn.commit()
    assert host.order_count() == 2
    assert host.lead_names() == ["Kept Lead"]


def test_a_commit_that_fails_in_the_database_rolls_back_to_its_savepoint_only(
    host: Host,
) -> None:
    storage = host.core.storage
    assert isinstance(storage, SqlStorage)
    group = Group(id="grp-1", organization_id=host.org.id, name="Team")
    with host.engine.connect() as conn:
        add_order(host, conn, "kept")
        joined = storage.joined(conn)
        with joined.unit_of_work() as late:
            assert late.groups.get(host.org.id, "grp-1") is None
            late.groups.add(group)
            with joined.unit_of_work() as early:
                early.groups.add(group)
                early.commit()
            # The insert collides with the row just written: a database error, inside a savepoint.
            with pytest.raises(ConflictError):
                late.commit()
        add_order(host, conn, "after")
        conn.commit()
    assert host.order_count() == 2
    with storage.unit_of_work() as uow:
        assert uow.groups.get(host.org.id, "grp-1") == group


def test_an_orm_session_lends_its_connection(host: Host) -> None:
    with OrmSession(host.engine) as db:
        db.execute(insert(host.orders).values(note="orm"))
        s = host.core.session(host.admin.id, connection=db.connection())
        s.leads.create("Orm Lead")
        db.commit()
    assert host.order_count() == 1
    assert host.lead_names() == ["Orm Lead"]


def test_joining_needs_sql_storage_and_a_connection_of_its_database() -> None:
    core = Leadcore(MemoryStorage())
    _, admin = core.create_organization("Mem", admin_name="Ann")
    engine = create_engine("sqlite://")
    with (
        engine.connect() as conn,
        pytest.raises(ValidationError, match="connection: MemoryStorage"),
    ):
        core.session(admin.id, connection=conn)
    storage = SqlStorage("sqlite://", create=True)
    with pytest.raises(ValidationError, match=r"connection: expected a sqlalchemy\.Connection"):
        storage.joined("not a connection")  # type: ignore[arg-type]
    storage.close()
    engine.dispose()


def test_heads_of_named_organisations_read_only_those(host: Host) -> None:
    other, _ = host.core.create_organization("Other", admin_name="Omer")
    storage = host.core.storage
    with storage.unit_of_work() as uow:
        every = dict(uow.events.heads())
        assert dict(uow.events.heads([host.org.id])) == {host.org.id: every[host.org.id]}
        assert dict(uow.events.heads([other.id, "org-none"])) == {other.id: every[other.id]}
        assert dict(uow.events.heads([])) == {}
