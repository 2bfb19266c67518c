"""The shape of the SQL schema: organisation-first keys, prefixed names, one model."""

from __future__ import annotations

from leadcore.storage.sql import STEPS, build_metadata, metadata, row_level_security_ddl

# The two lookups that cannot be keyed by organisation (see the schema's docs).
GLOBAL = {"leadcore_schema_version", "leadcore_user_directory"}


def test_every_table_keys_and_indexes_by_organization_first() -> None:
    for table in metadata.sorted_tables:
        if table.name in GLOBAL:
            continue
        assert table.primary_key.columns[0].name == "organization_id", table.name
        for index in table.indexes:
            assert index.columns[0].name == "organization_id", index.name


def test_every_table_name_is_prefixed() -> None:
    assert all(name.startswith("leadcore_") for name in metadata.tables)


def test_the_metadata_is_the_replay_of_every_step() -> None:
    replayed = build_metadata(STEPS)
    assert sorted(replayed.tables) == sorted(metadata.tables)
    for name, table in metadata.tables.items():
        assert [c.name for c in replayed.tables[name].columns] == [c.name for c in table.columns]


def test_the_lead_list_filters_and_duplicate_lookups_have_their_indexes() -> None:
    leads = metadata.tables["leadcore_leads"]
    columns = {tuple(c.name for c in i.columns) for i in leads.indexes}
    for column in ("status_id", "project_id", "pool_id", "supplier_id"):
        assert ("organization_id", column, "created_us", "id") in columns
    assert ("organization_id", "created_us", "id") in columns
    assignees = metadata.tables["leadcore_lead_assignees"]
    assert [c.name for c in assignees.primary_key.columns] == [
        "organization_id",
        "user_id",
        "lead_id",
    ]
    contacts = metadata.tables["leadcore_lead_contacts"]
    assert [c.name for c in contacts.primary_key.columns] == [
        "organization_id",
        "contact_key",
        "lead_id",
    ]


def test_row_level_security_covers_every_table_with_an_organization() -> None:
    ddl = "\n".join(row_level_security_ddl())
    for name, table in metadata.tables.items():
        if "organization_id" in table.c:
            assert f"CREATE POLICY leadcore_organization ON {name} " in ddl, name
            assert f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY" in ddl, name
