"""Numbers, dates and time zones outside the bounds get a ValidationError naming them, on memory
and SQLite, and nothing is written (invariant 9).

The cases live in ``tests/bounds_world.py``; ``tests/integration/test_sql_input_bounds.py``
runs them on every SQL backend against the memory adapter's answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.bounds_world import CASES, OVERFLOWING_EVENTS, Case, World, world

from leadcore import Leadcore
from leadcore.errors import ValidationError, WorkflowInvalid
from leadcore.storage.memory import MemoryStorage
from leadcore.storage.sql import SqlStorage
from leadcore.testing._hostile_values import huge_integers
from leadcore.workflow import LintCode, Workflow, load_workflow
from leadcore.workflow._lint import MAX_VERSION

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


@pytest.mark.parametrize("text", OVERFLOWING_EVENTS, ids=["9999+P3D", "all-day 9999", "P99999999W"])
def test_an_imported_event_past_the_supported_years_is_a_problem_of_the_import(
    w: World, text: str
) -> None:
    before = w.written()
    result = w.manager.calendar.import_ics(text)
    assert result.created == ()
    assert len(result.problems) == 1
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


# -- workflow files ---------------------------------------------------------------------------

_DIGITS = "7" * 5000
_JSON = (
    '{"id": "s", "name": "S", "version": %s, "status": ['
    '{"id": "new", "name": "New", "color": "#000000", "category": "todo", "next": ["won"]},'
    '{"id": "won", "name": "Won", "color": "#000000", "category": "done"}]}'
)
_TOML = """id = "s"
name = "S"
version = %s

[[status]]
id = "won"
name = "Won"
color = "#000000"
category = "done"
"""


def _syntax(err: pytest.ExceptionInfo[WorkflowInvalid]) -> str:
    (finding,) = err.value.findings
    assert finding.code is LintCode.SYNTAX
    return finding.message


def test_a_5000_digit_integer_in_json_is_a_syntax_finding_with_its_position() -> None:
    with pytest.raises(WorkflowInvalid) as err:
        Workflow.from_json(_JSON % _DIGITS)
    assert _syntax(err) == (
        "not valid JSON: the number at line 1, column 37 has more than 4300 digits"
    )


def test_a_5000_digit_integer_in_toml_is_a_syntax_finding_with_its_position() -> None:
    with pytest.raises(WorkflowInvalid) as err:
        Workflow.from_toml(_TOML % _DIGITS)
    assert _syntax(err) == (
        "not valid TOML: the number at line 3, column 11 has more than 4300 digits"
    )


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_workflow_file_with_a_5000_digit_integer_is_invalid(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"flow{suffix}"
    path.write_text((_JSON if suffix == ".json" else _TOML) % _DIGITS, encoding="utf-8")
    with pytest.raises(WorkflowInvalid) as err:
        load_workflow(path)
    assert "has more than 4300 digits" in _syntax(err)


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_a_workflow_file_that_is_not_utf8_is_invalid(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"flow{suffix}"
    path.write_bytes(b"id = \xff\xfe garbage \x80")
    with pytest.raises(WorkflowInvalid) as err:
        load_workflow(path)
    assert _syntax(err) == "not UTF-8 text: byte 5 is 0xff"


@pytest.mark.parametrize("text", [5, None, b"\xff", ["id"]])
def test_workflow_text_that_is_not_text_is_invalid(text: object) -> None:
    with pytest.raises(WorkflowInvalid):
        Workflow.from_json(text)  # type: ignore[arg-type]
    with pytest.raises(WorkflowInvalid):
        Workflow.from_toml(text)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", [10**5000, 2**31, 10**30], ids=["10**5000", "2**31", "10**30"])
def test_a_version_too_large_for_a_database_is_named(version: int) -> None:
    data = Workflow.from_json(_JSON % 1).to_dict()
    with pytest.raises(WorkflowInvalid) as err:
        Workflow.from_dict({**data, "version": version})
    assert [f.path for f in err.value.errors] == ["version"]


@settings(max_examples=40)
@given(number=huge_integers(), field=st.sampled_from(["version", "name", "id", "entry"]))
def test_any_integer_in_a_workflow_definition_gives_a_workflow_or_invalid_naming_it(
    number: int, field: str
) -> None:
    data = Workflow.from_json(_JSON % 1).to_dict()
    data[field] = number
    paths: list[str] = []
    try:
        Workflow.from_dict(data)
    except WorkflowInvalid as exc:
        paths = [f.path for f in exc.errors]
    assert paths in ([], [field])
    assert paths or (field == "version" and 1 <= number <= MAX_VERSION)


@settings(max_examples=40)
@given(
    digits=st.one_of(
        st.text(alphabet="0123456789", min_size=1, max_size=30),
        st.integers(min_value=4000, max_value=6000).map(lambda n: "7" * n),
    )
)
def test_any_digits_in_workflow_text_give_a_workflow_or_workflow_invalid(digits: str) -> None:
    for build, text in ((Workflow.from_json, _JSON), (Workflow.from_toml, _TOML)):
        with contextlib.suppress(WorkflowInvalid):
            build(text % (digits.lstrip("0") or "0"))
