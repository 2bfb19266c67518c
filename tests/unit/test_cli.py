"""The ``leadcore`` command, run through ``leadcore.cli.main(argv)``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from leadcore.cli import main
from leadcore.workflow import Workflow, sample_workflow

CLEAN = sample_workflow().to_toml()

BROKEN = """
id = "sales"
name = "Sales"

[[status]]
id = "new"
name = "New"
color = "orange"
category = "todo"
next = ["won", "gone"]

[[status]]
id = "won"
name = "Won"
color = "#43A047"
category = "done"
"""

WARNS = """
id = "sales"
name = "Sales"

[[status]]
id = "new"
name = "New"
color = "#1E88E5"
category = "todo"
next = ["won"]

[[status]]
id = "won"
name = "Won"
color = "#43A047"
category = "done"

[[status]]
id = "lost"
name = "Lost"
color = "#E53935"
category = "done"
"""


def write(directory: Path, name: str, text: str | bytes) -> Path:
    path = directory / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- check -----------------------------------------------------------------------------


def test_check_of_a_clean_file_prints_nothing_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "sales.toml", CLEAN)
    assert run(capsys, "check", path) == (0, "", "")


def test_check_prints_one_line_per_finding_and_exits_1_on_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "broken.toml", BROKEN)
    status, out, err = run(capsys, "check", path)
    assert status == 1
    assert err == ""
    assert out.splitlines() == [
        f"{path}:status[0].color: bad-color error: colour 'orange' is not of the form "
        "#RRGGBB (e.g. '#1E88E5')",
        f"{path}:status[0].next[1]: unknown-next error: next stage 'gone' is not a status "
        "of this workflow",
    ]


def test_check_exits_0_on_warnings_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "warns.toml", WARNS)
    status, out, _ = run(capsys, "check", path)
    assert status == 0
    assert out.splitlines() == [
        f"{path}:status[2]: unreachable warning: status 'lost' cannot be reached through next "
        "stages from the entry statuses (new)"
    ]


def test_a_finding_about_the_whole_file_has_no_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "bare.toml", 'name = "Sales"\n[[status]]\nid = "x"\n')
    status, out, _ = run(capsys, "check", path)
    assert status == 1
    assert f"{path}: missing-key error: workflow has no 'id'" in out.splitlines()


def test_check_json_format_gives_every_finding_as_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write(tmp_path, "broken.toml", BROKEN)
    warns = write(tmp_path, "warns.json", json.dumps(Workflow.from_toml(WARNS).to_dict()))
    status, out, err = run(capsys, "check", "--format", "json", broken, warns)
    assert status == 1
    assert err == ""
    records = json.loads(out)
    assert [(r["file"], r["path"], r["code"], r["severity"]) for r in records] == [
        (str(broken), "status[0].color", "bad-color", "error"),
        (str(broken), "status[0].next[1]", "unknown-next", "error"),
        (str(warns), "status[2]", "unreachable", "warning"),
    ]
    assert all(set(r) == {"file", "path", "code", "severity", "message"} for r in records)


def test_check_json_of_clean_files_is_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "sales.toml", CLEAN)
    status, out, _ = run(capsys, "check", "--format=json", path)
    assert status == 0
    assert json.loads(out) == []


def test_check_of_several_files_reports_each_and_exits_with_the_worst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clean = write(tmp_path, "a.toml", CLEAN)
    warns = write(tmp_path, "b.toml", WARNS)
    broken = write(tmp_path, "c.toml", BROKEN)
    status, out, _ = run(capsys, "check", clean, warns)
    assert status == 0
    assert [line.split(":")[0] for line in out.splitlines()] == [str(warns)]
    status, out, _ = run(capsys, "check", broken, clean, warns)
    assert status == 1
    assert [line.split(":")[0] for line in out.splitlines()] == [str(broken)] * 2 + [str(warns)]
    status, out, err = run(capsys, "check", broken, tmp_path / "missing.toml", warns)
    assert status == 2
    assert len(out.splitlines()) == 3
    assert len(err.splitlines()) == 1


UNREADABLE = [
    ("bad.toml", 'id = "sales\nname = 1\n', "not valid TOML"),
    ("bad.json", '{"id": "sales",', "not valid JSON"),
    (
        "list.json",
        '[{"id": "sales"}]',
        "must hold one object (a table) at the top level, not a list",
    ),
    ("text.json", '"sales"', "not a string"),
    ("deep.json", "[" * 50_000, "nested too deeply"),
    ("latin1.toml", 'id = "caf\xe9"\n'.encode("latin-1"), "not UTF-8 text"),
    ("empty.json", "", "not valid JSON"),
]


@pytest.mark.parametrize(
    ("name", "content", "message"), UNREADABLE, ids=[name for name, _, _ in UNREADABLE]
)
@pytest.mark.parametrize("command", ["check", "graph"])
def test_a_file_that_cannot_be_read_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    name: str,
    content: str | bytes,
    message: str,
) -> None:
    path = write(tmp_path, name, content)
    status, out, err = run(capsys, command, path)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"{path}: ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["check", "graph"])
def test_a_missing_file_or_a_folder_is_one_line_on_stderr_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = tmp_path / "nope.toml"
    status, out, err = run(capsys, command, missing)
    assert (status, out) == (2, "")
    assert err == f"{missing}: cannot read: No such file or directory\n"
    status, _, err = run(capsys, command, tmp_path)
    assert status == 2
    assert err.startswith(f"{tmp_path}: cannot read: ")
    assert len(err.splitlines()) == 1


SURROGATE = (
    '{"id": "q", "name": "טיוב", "\\ud800": 1, "status": [{"id": "new", "name": "חדש",'
    ' "color": "#000000", "category": "done"}]}'
)


@pytest.mark.parametrize("argv", [["check"], ["check", "--format", "json"], ["graph"]])
def test_a_lone_surrogate_in_a_json_file_is_escaped_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    path = write(tmp_path, "odd.json", SURROGATE)
    status, out, err = run(capsys, *argv, path)
    assert status == 1
    assert "\\ud800" in out + err


def test_hebrew_on_a_console_that_is_not_utf8_is_escaped_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "q.toml", sample_workflow("qualification.he").to_toml())
    proc = subprocess.run(
        [sys.executable, "-m", "leadcore", "graph", str(path)],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr
    assert b'"\\u05d7\\u05d3\\u05e9"' in proc.stdout  # "חדש", escaped


# -- graph ---------------------------------------------------------------------------


def test_graph_prints_mermaid_by_default_and_dot_on_request(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wf = sample_workflow("qualification.he")
    path = write(tmp_path, "q.toml", wf.to_toml())
    assert run(capsys, "graph", path) == (0, wf.to_mermaid(), "")
    assert run(capsys, "graph", "--format", "mermaid", path) == (0, wf.to_mermaid(), "")
    assert run(capsys, "graph", "--format", "dot", path) == (0, wf.to_dot(), "")
    json_path = write(tmp_path, "q.json", wf.to_json())
    assert run(capsys, "graph", json_path) == (0, wf.to_mermaid(), "")


def test_graph_of_an_invalid_workflow_points_to_check_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "broken.toml", BROKEN)
    status, out, err = run(capsys, "graph", path)
    assert (status, out) == (1, "")
    assert err == (
        f"{path}: workflow is invalid: 2 errors (first: status[0].color: bad-color error: "
        f"colour 'orange' is not of the form #RRGGBB (e.g. '#1E88E5')); "
        f"run 'leadcore check {path}'\n"
    )


def test_graph_draws_a_workflow_with_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "warns.toml", WARNS)
    status, out, _ = run(capsys, "graph", "--format", "dot", path)
    assert status == 0
    assert '"lost" [label="Lost"' in out


# -- help and usage ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], ["check", "graph", "demo"]),
        (["check"], ["FILE", "--format", "Exit 1"]),
        (["graph"], ["FILE", "mermaid", "dot"]),
        (["demo"], ["--seed", "--out", "--db", "URL"]),
    ],
    ids=["leadcore", "check", "graph", "demo"],
)
def test_every_command_has_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: leadcore {' '.join(argv)}".rstrip())
    for word in words:
        assert word in out


def test_no_command_prints_help_as_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys)
    assert status == 2
    assert out == ""
    assert err.startswith("usage: leadcore")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import leadcore

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"leadcore {leadcore.__version__}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["nope"],
        ["check"],
        ["check", "--format", "xml", "a.toml"],
        ["graph", "--format", "png", "a"],
    ],
    ids=["unknown command", "no file", "bad format", "bad diagram"],
)
def test_a_wrong_command_line_is_a_usage_error_with_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: leadcore")
    assert "error:" in captured.err


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.toml", BROKEN)
    proc = subprocess.run(
        [sys.executable, "-m", "leadcore", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert len(proc.stdout.splitlines()) == 2


# -- schema -------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgresql", "mysql", "sqlite"])
def test_schema_prints_every_table_of_the_sql_metadata(
    dialect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadcore.storage.sql import metadata

    status, out, err = run(capsys, "schema", "--dialect", dialect)
    assert status == 0
    assert err == ""
    for table in metadata.sorted_tables:
        assert f"CREATE TABLE {table.name} (" in out
    created = out.count("CREATE INDEX") + out.count("CREATE UNIQUE INDEX")
    assert created == sum(len(t.indexes) for t in metadata.sorted_tables)


def test_schema_refuses_an_unknown_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["schema", "--dialect", "oracle"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
