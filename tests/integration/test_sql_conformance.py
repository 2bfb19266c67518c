"""The adapter conformance suite on every SQL backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.integration.conftest import ScratchDatabase

from leadcore.storage.sql import SqlStorage
from leadcore.testing.conformance import StorageConformance


class TestSqliteInMemory(StorageConformance[SqlStorage]):
    def make_storage(self) -> SqlStorage:
        return SqlStorage("sqlite://", create=True)


class TestSqliteFile(StorageConformance[SqlStorage]):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[SqlStorage]:
        storage = SqlStorage(f"sqlite:///{tmp_path / 'crm.db'}", create=True)
        yield storage
        storage.close()

    def open_again(self, storage: SqlStorage) -> SqlStorage:
        return SqlStorage(storage.url)


class TestPostgres(StorageConformance[SqlStorage]):
    @pytest.fixture
    def storage(self, postgresql: ScratchDatabase) -> Iterator[SqlStorage]:
        storage = postgresql.storage()
        yield storage
        storage.close()

    def open_again(self, storage: SqlStorage) -> SqlStorage:
        return SqlStorage(storage.url)


class TestMariadb(StorageConformance[SqlStorage]):
    @pytest.fixture
    def storage(self, mariadb: ScratchDatabase) -> Iterator[SqlStorage]:
        storage = mariadb.storage()
        yield storage
        storage.close()

    def open_again(self, storage: SqlStorage) -> SqlStorage:
        return SqlStorage(storage.url)


class TestPostgresRowLevelSecurity(StorageConformance[SqlStorage]):
    """PostgreSQL as an application role under Row-Level Security: every statement is scoped."""

    @pytest.fixture
    def storage(self, postgresql_rls: ScratchDatabase) -> Iterator[SqlStorage]:
        storage = postgresql_rls.storage()
        yield storage
        storage.close()

    def open_again(self, storage: SqlStorage) -> SqlStorage:
        return SqlStorage(storage.url, row_level_security=True)
