"""MariaDB's compound statement: each part rendered with its own parameter names."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Integer, String, column, insert, table, update
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import make_url

from leadcore.storage.sql._backend import backend_for
from leadcore.storage.sql._compound import Compound, _render

T = table("t", column("a", String), column("b", Integer))
NAMED = mysql.pymysql.dialect(paramstyle="pyformat")


def test_each_part_takes_its_own_parameter_names_lists_included() -> None:
    params: dict[str, Any] = {}
    first = _render(update(T).where(T.c.a.in_(["x", "y%"])).values(b=3), NAMED, 0, params)
    second = _render(insert(T).values(a="%(p0_b)s", b=4), NAMED, 1, params)
    assert first == "UPDATE t SET b=%(p0_b)s WHERE t.a IN (%(p0_a_1_1)s, %(p0_a_1_2)s)"
    assert second == "INSERT INTO t (a, b) VALUES (%(p1_a)s, %(p1_b)s)"
    # Values stay values: the driver binds them, whatever characters they hold.
    assert params == {"p0_b": 3, "p0_a_1_1": "x", "p0_a_1_2": "y%", "p1_a": "%(p0_b)s", "p1_b": 4}


def test_only_mariadb_with_named_parameters_gathers_writes() -> None:
    backend = backend_for(make_url("mysql+pymysql://u@h/db"), row_level_security=False, timeout=1)

    def gathered(*, mariadb: bool, positional: bool) -> bool:
        dialect = SimpleNamespace(is_mariadb=mariadb, positional=positional)
        return isinstance(backend.gather_writes(SimpleNamespace(dialect=dialect), T), Compound)  # type: ignore[arg-type]

    assert gathered(mariadb=True, positional=False)
    assert not gathered(mariadb=False, positional=False)  # MySQL: no BEGIN NOT ATOMIC
    assert not gathered(mariadb=True, positional=True)
