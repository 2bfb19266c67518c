"""Every table can be distributed by organisation on Citus, colocated with the others."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

pytest.importorskip("sqlalchemy", reason="the 'sql' extra is not installed")

from sqlalchemy import UniqueConstraint

from leadcore.cli import main
from leadcore.storage.sql import citus_ddl, distribute, metadata
from leadcore.storage.sql._citus import (
    ANCHOR_TABLE,
    DISTRIBUTION_COLUMN,
    REFERENCE_TABLES,
    tenant_tables,
)


def test_every_table_is_either_a_tenant_table_or_a_listed_reference_table() -> None:
    assert set(tenant_tables()) | set(REFERENCE_TABLES) == set(metadata.tables)
    assert not set(tenant_tables()) & set(REFERENCE_TABLES)
    assert set(REFERENCE_TABLES) <= set(metadata.tables)


@pytest.mark.parametrize("name", tenant_tables())
def test_a_tenant_table_leads_its_key_and_every_index_with_the_organisation(name: str) -> None:
    table = metadata.tables[name]
    key = [c.name for c in table.primary_key.columns]
    assert key[0] == DISTRIBUTION_COLUMN, f"{name}: primary key {key}"
    for index in table.indexes:
        columns = [c.name for c in index.columns]
        assert columns[:1] == [DISTRIBUTION_COLUMN], f"{name}.{index.name}: {columns}"
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            columns = [c.name for c in constraint.columns]
            assert columns[0] == DISTRIBUTION_COLUMN, f"{name}.{constraint.name}: {columns}"
    assert not table.foreign_keys, f"{name}: a foreign key would tie shards together"


def test_the_statements_make_reference_tables_first_then_colocate_with_the_anchor() -> None:
    ddl = citus_ddl()
    references = [s for s in ddl if "create_reference_table" in s]
    distributed = [s for s in ddl if "create_distributed_table" in s]
    assert ddl == references + distributed
    assert len(references) == len(REFERENCE_TABLES)
    assert distributed[0] == (
        f"SELECT create_distributed_table('{ANCHOR_TABLE}', '{DISTRIBUTION_COLUMN}');"
    )
    assert len(distributed) == len(tenant_tables())
    for statement, name in zip(distributed[1:], tenant_tables()[1:], strict=True):
        assert statement == (
            f"SELECT create_distributed_table('{name}', '{DISTRIBUTION_COLUMN}', "
            f"colocate_with => '{ANCHOR_TABLE}');"
        )


def test_leadcore_schema_citus_prints_the_statements() -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["schema", "--citus"]) == 0
        assert main(["schema", "--citus", "--dialect", "mysql"]) == 2
    assert out.getvalue() == "\n".join(citus_ddl()) + "\n"
    assert "Citus is PostgreSQL" in err.getvalue()


def test_distribute_runs_every_statement_on_the_connection_given() -> None:
    ran: list[str] = []

    class Recorder:
        def execute(self, statement: object) -> None:
            ran.append(str(statement))

    distribute(Recorder())  # type: ignore[arg-type]
    assert ran == [s.rstrip(";") for s in citus_ddl()]
