"""check_migration and ``leadcore check --against / --strict``: each hazard, with its code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from leadcore.cli import main
from leadcore.tenancy import Permission, Role, RolePolicy
from leadcore.testing import MIGRATION_CODES, check_migration
from leadcore.testing._role_properties import check_roles
from leadcore.workflow import Workflow


def _status(sid: str, category: str, *nxt: str, requires: str = "none") -> dict[str, object]:
    return {
        "id": sid,
        "name": sid.title(),
        "color": "#123456",
        "category": category,
        "requires": requires,
        "next": list(nxt),
    }


def _wf(*statuses: dict[str, object], entry: list[str] | None = None) -> Workflow:
    d: dict[str, object] = {"id": "w", "name": "W", "status": list(statuses)}
    if entry is not None:
        d["entry"] = entry
    return Workflow.from_dict(d)


OLD = _wf(
    _status("new", "todo", "open", "lost"),
    _status("open", "in_progress", "won", "lost"),
    _status("won", "done"),
    _status("lost", "done"),
)


def codes(
    old: Workflow, new: Workflow, mapping: dict[str, str] | None = None, **kw: object
) -> list[str]:
    return [f.code for f in check_migration(old, new, mapping, **kw).findings]  # type: ignore[arg-type]


def test_the_same_version_has_no_hazard() -> None:
    report = check_migration(OLD, OLD)
    assert report.ok
    assert report.passes(strict=True)
    assert report.findings == ()


def test_a_removed_status_needs_a_mapping_unless_it_is_empty() -> None:
    new = _wf(
        _status("new", "todo", "won", "lost"), _status("won", "done"), _status("lost", "done")
    )
    report = check_migration(OLD, new)
    assert [(f.code, f.path) for f in report.findings] == [("removed-unmapped", "mapping['open']")]
    assert not report.ok
    assert report.findings[0].steps == (
        "a qualifier (restricted to next stages) gives a lead with no status 'New'",
        "the qualifier moves it from 'New' to 'Open'",
    )
    assert codes(OLD, new, occupied={"new"}) == []
    assert codes(OLD, new, {"open": "new"}) == []


def test_a_mapping_publish_would_refuse_is_an_error() -> None:
    new = _wf(
        _status("new", "todo", "called", "lost"),
        _status("called", "in_progress", "won", "lost", requires="note"),
        _status("won", "done"),
        _status("lost", "done"),
    )
    found = codes(OLD, new, {"open": "called", "new": "won", "gone": "x"})
    assert found == ["mapping-requires", "mapping-not-removed", "mapping-not-removed"]
    assert codes(OLD, new, {"open": "nowhere"}) == ["mapping-unknown-target"]


def test_a_mapping_into_a_status_a_restricted_role_cannot_leave_is_an_error() -> None:
    new = _wf(
        _status("new", "todo", "won", "lost"),
        _status("parked", "in_progress"),
        _status("won", "done"),
        _status("lost", "done"),
    )
    report = check_migration(OLD, new, {"open": "parked"})
    [finding] = report.findings
    assert (finding.code, finding.severity) == ("mapping-stuck", "error")
    assert "cannot move the lead out of 'Parked' at all" in finding.message
    assert finding.steps == (
        "the migration moves a lead from 'Open' to 'Parked'",
        "a qualifier (restricted to next stages) tries to move it from 'Parked' to 'Won': "
        "refused (not-next-stage)",
    )
    # With nobody restricted, any user may move the leads on.
    free = RolePolicy().with_role(Role.QUALIFIER, {Permission.CHANGE_STATUS})
    free = free.with_role(Role.SALESPERSON, {Permission.CHANGE_STATUS})
    assert codes(OLD, new, {"open": "parked"}, roles=free) == []


def test_closing_and_reopening_leads_are_warnings_that_strict_fails() -> None:
    new = _wf(
        _status("new", "todo", "won", "lost"), _status("won", "done"), _status("lost", "done")
    )
    report = check_migration(OLD, new, {"open": "won"})
    assert [f.code for f in report.findings] == ["mapping-closes"]
    assert report.ok
    assert not report.passes(strict=True)
    reopened = _wf(
        _status("new", "todo", "open", "lost"),
        _status("open", "in_progress", "lost"),
        _status("lost", "done"),
    )
    assert codes(OLD, reopened, {"won": "open"}) == ["mapping-reopens"]


def test_a_kept_status_that_changes_category_or_loses_its_way_out() -> None:
    new = _wf(
        _status("new", "todo", "open", "lost"),
        _status("open", "done"),
        _status("won", "in_progress", "lost"),
        _status("lost", "done"),
    )
    assert codes(OLD, new) == ["status-closes", "status-reopens"]
    stranded = _wf(
        _status("new", "todo", "open", "lost"),
        _status("open", "in_progress", "new"),
        _status("won", "done"),
        _status("lost", "done"),
    )
    assert codes(OLD, stranded) == []  # 'open' still reaches a done status by way of 'new'
    cut = _wf(
        _status("new", "todo", "won", "lost"),
        _status("open", "in_progress"),
        _status("won", "done"),
        _status("lost", "done"),
    )
    report = check_migration(OLD, cut)
    assert [(f.code, f.path) for f in report.findings] == [("status-stranded", "status[1]")]
    assert codes(OLD, cut, occupied={"new"}) == []


def test_changed_entry_statuses_are_a_warning() -> None:
    new = _wf(
        _status("new", "todo", "open", "lost"),
        _status("open", "in_progress", "won", "lost"),
        _status("won", "done"),
        _status("lost", "done"),
        entry=["new", "open"],
    )
    report = check_migration(OLD, new)
    assert [(f.code, f.path) for f in report.findings] == [("entry-changed", "entry")]
    assert "now start in 'Open'" in report.findings[0].message


def test_every_code_has_a_severity_and_a_meaning() -> None:
    for severity, meaning in MIGRATION_CODES.values():
        assert severity in ("error", "warning")
        assert meaning


def test_roles_without_restriction_strand_no_lead() -> None:
    dead_end = _wf(
        _status("new", "todo", "limbo", "won"),
        _status("limbo", "in_progress"),
        _status("won", "done"),
    )
    assert [v.name for v in check_roles(dead_end)] == ["role-reach-done"]
    free = RolePolicy().with_role(Role.QUALIFIER, {Permission.CHANGE_STATUS})
    free = free.with_role(Role.SALESPERSON, set())
    assert check_roles(dead_end, policy=free) == ()


# -- the command line -----------------------------------------------------------------


def _write(tmp_path: Path, name: str, wf: Workflow) -> str:
    path = tmp_path / name
    path.write_text(wf.to_toml(), encoding="utf-8")
    return str(path)


def test_strict_fails_on_lint_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dead_end = _wf(
        _status("new", "todo", "limbo", "won"),
        _status("limbo", "in_progress"),
        _status("won", "done"),
    )
    path = _write(tmp_path, "w.toml", dead_end)
    assert main(["check", path]) == 0
    assert main(["check", "--strict", path]) == 1
    assert "dead-end warning" in capsys.readouterr().out


def test_against_prints_each_hazard_with_its_run_and_json_gives_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = _wf(
        _status("new", "todo", "won", "lost"), _status("won", "done"), _status("lost", "done")
    )
    old_path, new_path = _write(tmp_path, "old.toml", OLD), _write(tmp_path, "new.toml", new)
    assert main(["check", new_path, "--against", old_path]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{new_path}:mapping['open']: removed-unmapped error: 'Open'")
    assert (
        out[1] == "    1. a qualifier (restricted to next stages) gives a lead with no status 'New'"
    )
    assert main(["check", new_path, "--against", old_path, "--map", "open=won"]) == 0
    capsys.readouterr()
    args = ["check", "--strict", "--format", "json", new_path, "--against", old_path]
    assert main([*args, "--map", "open=won"]) == 1
    [record] = json.loads(capsys.readouterr().out)
    assert record == {
        "file": new_path,
        "against": old_path,
        "code": "mapping-closes",
        "severity": "warning",
        "message": record["message"],
        "path": "mapping['open']",
        "steps": ["the migration moves a lead from 'Open' to 'Won'"],
    }


def test_an_unreadable_or_invalid_old_version_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_path = _write(tmp_path, "new.toml", OLD)
    assert main(["check", new_path, "--against", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml: cannot read" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "x"\nname = "X"\n[[status]]\nid = "a"\n', encoding="utf-8")
    assert main(["check", new_path, "--against", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: workflow is invalid: ")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1


def test_a_mapping_that_is_not_old_equals_new_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, "new.toml", OLD)
    with pytest.raises(SystemExit) as exit_:
        main(["check", path, "--against", path, "--map", "open"])
    assert exit_.value.code == 2
    assert "is not of the form OLD_ID=NEW_ID" in capsys.readouterr().err
