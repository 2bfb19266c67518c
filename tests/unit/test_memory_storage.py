"""What the in-memory storage promises beyond the conformance suite."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from leadcore import ConflictError, Leadcore
from leadcore.storage import Capabilities, Storage
from leadcore.storage.memory import MemoryStorage, MemoryUnitOfWork
from leadcore.testing.conformance import Records

# Only keeps a deadlocked run from hanging; nothing here measures time.
HANG_GUARD = 60.0


@pytest.fixture
def records() -> Records:
    return Records("t")


def test_memory_storage_is_a_storage() -> None:
    storage: Storage = MemoryStorage()  # checked by mypy: the class fits the protocol
    assert isinstance(storage.unit_of_work(), MemoryUnitOfWork)


def test_it_declares_threads_but_neither_durability_nor_processes() -> None:
    assert MemoryStorage().capabilities == Capabilities(
        durable=False, multi_process=False, concurrent_units_of_work=True
    )


def test_it_reads_plainly() -> None:
    assert repr(MemoryStorage()) == "MemoryStorage()"


def test_entering_a_unit_of_work_gives_the_unit_of_work_itself() -> None:
    uow = MemoryStorage().unit_of_work()
    with uow as entered:
        assert entered is uow


def test_two_storages_share_nothing(records: Records) -> None:
    one, two = MemoryStorage(), MemoryStorage()
    org = records.organization(1)
    with one.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.commit()
    with two.unit_of_work() as uow:
        assert uow.organizations.get(org.id) is None


def test_closing_keeps_the_data(records: Records) -> None:
    storage = MemoryStorage()
    org = records.organization(1)
    with storage.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.commit()
    storage.close()
    storage.close()
    with storage.unit_of_work() as uow:
        assert uow.organizations.get(org.id) == org


def test_records_come_back_as_the_very_values_stored(records: Records) -> None:
    # Safe only because every record is immutable; this is what makes reads cheap.
    storage = MemoryStorage()
    org = records.organization(1)
    user = records.user(org, 1)
    with storage.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.users.add(user)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.users.get(org.id, user.id) is user
        assert uow.organizations.get(org.id) is org


def test_a_unit_of_work_that_only_reads_never_conflicts(records: Records) -> None:
    storage = MemoryStorage()
    org = records.organization(1)
    user = records.user(org, 1)
    with storage.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.users.add(user)
        uow.commit()
    with storage.unit_of_work() as reader:
        assert reader.users.get(org.id, user.id) == user
        with storage.unit_of_work() as writer:
            writer.users.update(attrs.evolve(user, name="Changed"))
            writer.commit()
        reader.commit()


def test_a_conflict_says_which_record_and_that_nothing_was_written(records: Records) -> None:
    storage = MemoryStorage()
    org = records.organization(1)
    with storage.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.commit()
    with storage.unit_of_work() as late, storage.unit_of_work() as early:
        late.organizations.get(org.id)
        early.organizations.update(attrs.evolve(org, name="Early"))
        early.commit()
        late.organizations.update(attrs.evolve(org, name="Late"))
        with pytest.raises(ConflictError) as caught:
            late.commit()
    message = str(caught.value)
    assert repr(org.id) in message
    assert "organizations" in message
    assert "nothing was written" in message
    assert isinstance(caught.value, RuntimeError)


def test_the_transaction_stages_reads_writes_and_deletes() -> None:
    storage = MemoryStorage()
    with storage.unit_of_work() as uow:
        tx = uow.tx
        tx.write("notes", "org-1", "a", "first")
        tx.write("notes", "org-1", "b", "second")
        tx.write("notes", "org-2", "a", "elsewhere")
        tx.delete("notes", "org-1", "b")
        assert tx.read("notes", "org-1", "a") == "first"
        assert tx.read("notes", "org-1", "b") is None
        assert tx.scan("notes", "org-1") == ["first"]
        uow.commit()
    with storage.unit_of_work() as uow:
        assert sorted(uow.tx.scan("notes", "org-1")) == ["first"]
        assert uow.tx.scan("notes", "org-2") == ["elsewhere"]


def test_many_threads_adding_their_own_users_lose_none(records: Records) -> None:
    storage = MemoryStorage()
    org = records.organization(1)
    with storage.unit_of_work() as uow:
        uow.organizations.add(org)
        uow.commit()
    start = threading.Barrier(8, timeout=HANG_GUARD)

    def add_users(thread: int) -> None:
        start.wait()
        for i in range(50):
            with storage.unit_of_work() as uow:
                uow.users.add(records.user(org, f"{thread}-{i}", f"User {thread}-{i}"))
                uow.commit()

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(add_users, t) for t in range(8)]:
            future.result(HANG_GUARD)
    with storage.unit_of_work() as uow:
        assert len(uow.users.list(org.id)) == 8 * 50


def test_a_reader_never_sees_half_of_a_commit(records: Records) -> None:
    storage = MemoryStorage()
    rounds = 300
    done = threading.Event()
    halves: list[str] = []

    def writer() -> None:
        for i in range(rounds):
            org = records.organization(i)
            with storage.unit_of_work() as uow:
                uow.organizations.add(org)
                uow.users.add(records.user(org, i))
                uow.commit()
        done.set()

    def reader() -> None:
        while not done.is_set():
            for i in range(rounds):
                with storage.unit_of_work() as uow:
                    # The user first: if it is there, its organisation, committed with it, is too.
                    org_id = uow.users.organization_of(records.id("user", i))
                    if org_id is not None and uow.organizations.get(org_id) is None:
                        halves.append(org_id)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(reader), pool.submit(writer)]
        for future in futures:
            future.result(HANG_GUARD)
    assert halves == []


def test_the_facade_keeps_everything_in_one_memory_storage() -> None:
    core = Leadcore.open()
    org, admin = core.create_organization("Agency", admin_name="Dana")
    assert isinstance(core.storage, MemoryStorage)
    with core.storage.unit_of_work() as uow:
        assert uow.users.organization_of(admin.id) == org.id
