"""Numbers, dates and time zones outside the bounds get a ValidationError naming them, on memory
and SQLite, and nothing is written (invariant 9).

The cases live in ``tests/bounds_world.py``; ``tests/integration/test_sql_input_bounds.py``
runs them on every SQL backend against the memory adapter's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.bounds_world import CASES, Case, World, world

from leadcore import Leadcore
from leadcore.errors import ValidationError
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage

STORAGES = ("memory", "sqlite")


@pytest.fixture(params=STORAGES)
def w(request: pytest.FixtureRequest) -> Iterator[World]:
    storage = MemoryStorage() if request.param == "memory" else SqlStorage("sqlite://", create=True)
    try:
        yield world(storage)
    finally:
        storage.close()


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_an_out_of_bounds_value_is_refused_by_name_and_writes_nothing(w: World, case: Case) -> None:
    before = w.written()
    with pytest.raises(ValidationError) as err:
        case.call(w)
    assert any(p.startswith(f"{case.names}: ") for p in err.value.problems), err.value
    assert w.written() == before


def test_a_sqlite_path_in_a_missing_folder_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "crm.db"
    with pytest.raises(ValidationError) as err:
        Leadcore.open(f"sqlite:///{missing}")
    assert f"url: the folder {str(missing.parent)!r}" in err.value.problems[0]
    assert not missing.parent.exists()


def test_a_sqlite_path_that_is_a_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is a folder, not a file"):
        SqlStorage(f"sqlite:///{tmp_path}", create=True)


@pytest.mark.parametrize("scheme", ["mysql", "mariadb"])
def test_a_mysql_url_without_a_driver_names_the_url_to_use(scheme: str) -> None:
    with pytest.raises(ValidationError) as err:
        Leadcore.open(f"{scheme}://root@127.0.0.1:1/crm")
    (problem,) = err.value.problems
    assert problem.endswith("use 'mysql+pymysql://root@127.0.0.1:1/crm'"), problem


@pytest.mark.parametrize("url", [5, b"sqlite://", "sqlite+nosuchdriver://", "mysql+foo://x/y"])
def test_a_url_that_cannot_be_read_is_a_validation_error(url: object) -> None:
    with pytest.raises(ValidationError, match="url: "):
        Leadcore.open(url)  # type: ignore[arg-type]
