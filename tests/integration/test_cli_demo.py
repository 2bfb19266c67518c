"""The ``leadcore demo`` command through ``leadcore.cli.main(argv)``: SQLite by default."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.test_cli import run

from leadcore import Leadcore
from leadcore.workflow import sample_workflow

# -- demo ----------------------------------------------------------------------------


def test_demo_runs_and_writes_the_diagram(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out" / "demo"
    status, out, err = run(capsys, "demo", "--out", out_dir)
    assert status == 0
    assert err == ""
    diagram = out_dir / "sales-workflow.mmd"
    assert diagram.read_text(encoding="utf-8") == sample_workflow().to_mermaid()
    assert str(diagram.resolve()) in out
    assert "bad-color" in out
    assert "not-next-stage" in out


def test_demo_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = run(capsys, "demo", "--seed", "3", "--out", tmp_path)
    second = run(capsys, "demo", "--seed", "3", "--out", tmp_path)
    assert first == second


def test_demo_keeps_its_day_in_a_new_sqlite_file_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run(capsys, "demo", "--out", tmp_path)
    database = (tmp_path / "leadcore-demo.db").resolve()
    assert first[0] == 0
    assert f"Storage: SQLite file {database}" in first[1]
    assert str(database) in first[1].split("Files written")[1]
    # A second run starts the day again in a new file, and tells the same story.
    assert run(capsys, "demo", "--out", tmp_path) == first
    with Leadcore.open(f"sqlite:///{database}") as core, core.storage.unit_of_work() as uow:
        assert [u.name for u in uow.users.list("org-1")][:1] == ["Avi"]


def test_demo_in_memory_tells_the_same_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    on_sqlite = run(capsys, "demo", "--out", tmp_path)[1]
    status, in_memory, err = run(capsys, "demo", "--out", tmp_path, "--db", "memory://")
    assert (status, err) == (0, "")
    assert in_memory.splitlines()[0] == "Storage: memory"

    # Invariant 6: the same day on another storage prints the same, but for the storage lines.
    def story(out: str) -> list[str]:
        return [line for line in out.splitlines() if "Storage:" not in line and ".db" not in line]

    assert story(in_memory) == story(on_sqlite)


def test_demo_refuses_a_database_that_already_holds_leadcore_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    assert run(capsys, "demo", "--out", tmp_path, "--db", url)[0] == 0
    status, out, err = run(capsys, "demo", "--out", tmp_path, "--db", url)
    assert status == 2
    assert out == ""
    assert "already holds leadcore data (3 organisations)" in err
    assert "empty database" in err


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("oracle://scott@db/orcl", ["--db oracle://scott@db/orcl", "sqlite"]),
        ("not a url", ["--db not a url"]),
        # Nothing listens on port 1 of this host: the connection is refused at once.
        ("postgresql+psycopg://nobody@127.0.0.1:1/crm", ["cannot open the database"]),
    ],
)
def test_demo_says_why_a_database_url_cannot_be_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, words: list[str]
) -> None:
    status, out, err = run(capsys, "demo", "--out", tmp_path, "--db", url)
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    for word in words:
        assert word in err
