"""The unit tests open no database: the guard of ``tests/unit/conftest.py`` fails one that does."""

from __future__ import annotations

import pytest

from leadcore import Leadcore


@pytest.mark.parametrize("url", ["sqlite://", "postgresql+psycopg://app@127.0.0.1:1/crm"])
def test_a_unit_test_that_opens_sql_storage_fails_and_says_where_it_belongs(url: str) -> None:
    pytest.importorskip("sqlalchemy")
    with pytest.raises(pytest.fail.Exception, match="move the test to tests/integration"):
        Leadcore.open(url)
