"""``leadcore schema``: the SQL schema of :data:`leadcore.storage.sql.metadata` as DDL text."""

from __future__ import annotations

__all__ = ["DIALECTS", "schema_ddl"]

#: The dialects ``leadcore schema`` prints.
DIALECTS: tuple[str, ...] = ("postgresql", "mysql", "sqlite")


def schema_ddl(dialect: str) -> str:
    """Every ``CREATE TABLE`` and ``CREATE INDEX`` of leadcore's schema for ``dialect``.

    Needs the ``sql`` extra. ``mysql`` also covers MariaDB.
    """
    from sqlalchemy.dialects import mysql, postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from leadcore.storage.sql import metadata

    compilers = {
        "postgresql": postgresql.dialect,
        "mysql": mysql.dialect,
        "sqlite": sqlite.dialect,
    }
    if dialect not in compilers:
        raise ValueError(f"unknown dialect {dialect!r}; use one of {', '.join(DIALECTS)}")
    target = compilers[dialect]()
    parts: list[str] = []
    for table in metadata.sorted_tables:
        parts.append(str(CreateTable(table).compile(dialect=target)).strip() + ";")
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=target)).strip() + ";")
    return "\n\n".join(parts) + "\n"
