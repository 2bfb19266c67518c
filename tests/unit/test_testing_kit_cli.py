"""``leadcore check --properties``: exit 0 when every property holds, 1 with a counterexample."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import leadcore.testing
from leadcore.cli import main
from leadcore.testing import PropertyFailure, PropertyReport

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "leadcore" / "examples"

STUCK = """\
id = "stuck"
name = "Stuck"

[[status]]
id = "new"
name = "New"
color = "#1E88E5"
category = "todo"
next = ["limbo", "won"]

[[status]]
id = "limbo"
name = "Limbo"
color = "#90CAF9"
category = "in_progress"

[[status]]
id = "won"
name = "Won"
color = "#43A047"
category = "done"
"""


@pytest.fixture
def stuck(tmp_path: Path) -> Path:
    path = tmp_path / "stuck.toml"
    path.write_text(STUCK, encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_clean_workflow_passes_with_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "--properties", "--seed", "3", "--max-examples", "5", str(EXAMPLES / "sales.toml")
    )
    assert (status, err) == (0, "")
    assert out == (
        f"{EXAMPLES / 'sales.toml'}: every property holds "
        "(seed 3; up to 5 runs of up to 20 steps)\n"
    )


def test_a_broken_property_prints_the_counterexample_and_exits_1(
    capsys: pytest.CaptureFixture[str], stuck: Path
) -> None:
    status, out, err = run(capsys, "--properties", "--seed", "3", str(stuck))
    assert (status, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].startswith(f"{stuck}:status[1]: dead-end warning:")  # the lint findings
    assert lines[1] == f"{stuck}: 1 property broken (seed 3; up to 100 runs of up to 20 steps)"
    assert lines[3].startswith("role-reach-done: ")
    assert "  counterexample (3 steps):" in lines
    assert "    2. the qualifier moves it from 'New' to 'Limbo'" in lines
    assert "Traceback" not in out


def test_without_the_option_only_the_lint_runs(
    capsys: pytest.CaptureFixture[str], stuck: Path
) -> None:
    status, out, _ = run(capsys, str(stuck))
    assert status == 0
    assert "property" not in out


def canned(failures: tuple[PropertyFailure, ...]) -> object:
    def check_workflow(path: Path, **options: object) -> PropertyReport:
        assert options == {
            "max_examples": 100,
            "seed": None,
            "accept": ["dead-end"],
            "roles": None,
        }
        return PropertyReport(str(path), "stuck", 1, 42, 100, 30, failures=failures)

    return check_workflow


def test_accepted_warnings_reach_the_check(
    capsys: pytest.CaptureFixture[str], stuck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leadcore.testing, "check_workflow", canned(()))
    status, out, _ = run(capsys, "--properties", "--accept", "dead-end", str(stuck))
    assert status == 0
    assert out.splitlines()[-1].startswith(f"{stuck}: every property holds (seed 42;")


def test_json_output_adds_one_record_per_broken_property(
    capsys: pytest.CaptureFixture[str], stuck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failure = PropertyFailure("reach-done", "lead-1 is stuck", steps=("one", "two"))
    monkeypatch.setattr(leadcore.testing, "check_workflow", canned((failure,)))
    status, out, _ = run(
        capsys, "--properties", "--accept", "dead-end", "--format", "json", str(stuck)
    )
    assert status == 1
    records = json.loads(out)
    assert records[-1] == {
        "file": str(stuck),
        "property": "reach-done",
        "message": "lead-1 is stuck",
        "steps": ["one", "two"],
    }


def test_unreadable_files_exit_2_and_the_others_are_still_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "missing.toml"
    status, out, err = run(
        capsys, "--properties", "--max-examples", "2", str(missing), str(EXAMPLES / "sales.toml")
    )
    assert status == 2
    assert err.startswith(f"{missing}: cannot read:")
    assert "every property holds" in out


def test_a_workflow_with_errors_is_not_property_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(STUCK.replace('"#43A047"', '"green"'), encoding="utf-8")
    status, out, _ = run(capsys, "--properties", str(path))
    assert status == 1
    assert "bad-color error" in out
    assert "property" not in out


def test_a_bad_budget_is_a_usage_error(capsys: pytest.CaptureFixture[str], stuck: Path) -> None:
    status, _, err = run(capsys, "--properties", "--max-examples", "0", str(stuck))
    assert status == 2
    assert "max_examples: must be a whole number, 1 or more, got 0" in err


def test_an_unknown_accepted_code_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], stuck: Path
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--properties", "--accept", "self-loop", str(stuck)])
    assert exited.value.code == 2
    assert "invalid choice: 'self-loop'" in capsys.readouterr().err


def test_without_hypothesis_the_option_says_what_to_install(
    capsys: pytest.CaptureFixture[str], stuck: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(leadcore.testing, "check_workflow", raising=False)
    monkeypatch.setitem(sys.modules, "leadcore.testing._workflow_check", None)
    status, _, err = run(capsys, "--properties", str(stuck))
    assert status == 2
    assert err == "leadcore check --properties needs hypothesis: pip install hypothesis\n"


def test_restricted_names_the_roles_of_the_organisation_that_are_restricted(
    capsys: pytest.CaptureFixture[str], stuck: Path
) -> None:
    # Only the sales manager is restricted here: the run shown is theirs.
    args = ["--properties", "--max-examples", "5", "--seed", "1", str(stuck)]
    status, out, _ = run(capsys, "--restricted", "sales_manager", *args)
    assert status == 1
    first = "    1. a sales_manager (restricted to next stages) gives a lead with no status 'New'"
    assert first in out.splitlines()
    assert "restricted to next stages: sales_manager" in out
