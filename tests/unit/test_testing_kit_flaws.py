"""Six realistic flawed workflows: the kit catches each with the run of a restricted role.

Each file in ``flawed_workflows/`` holds one mistake that workflow authors
make; the kit, used as docs/testing.md shows, must catch it, and its
counterexample must be the shortest run of a role restricted to next
stages, in status names. The same flaws through ``leadcore check`` exit 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leadcore.cli import main
from leadcore.testing import check_migration, check_workflow
from leadcore.workflow import load_workflow

HERE = Path(__file__).with_name("flawed_workflows")
V1 = HERE / "sales_v1.toml"

# (file, mapping from the live sales_v1.toml or None for one version, what breaks, last step)
FLAWS = [
    ("dead_end", None, "role-reach-done", "from 'Waiting for documents' to 'Approved': refused"),
    ("task_loop", None, "role-reach-done", "from 'Call back' to 'Sold': refused"),
    ("done_unreachable", None, "role-reachable", "from 'Proposal sent' to 'Won': refused"),
    ("entry_done", None, "entry-not-done", "gives a lead with no status 'Duplicate'"),
    ("sales_v2_removed", {}, "removed-unmapped", "from 'Contacted' to 'Negotiation'"),
    ("sales_v2_parked", {"negotiation": "legacy"}, "mapping-stuck", "from 'Legacy deals' to"),
]


@pytest.mark.parametrize(
    ("name", "mapping", "broken", "last_step"), FLAWS, ids=[f[0] for f in FLAWS]
)
def test_each_flaw_is_caught_with_a_restricted_roles_run(
    name: str, mapping: dict[str, str] | None, broken: str, last_step: str
) -> None:
    path = HERE / f"{name}.toml"
    if mapping is None:
        caught = {f.name: f.steps for f in check_workflow(path, max_examples=5, seed=1).failures}
    else:
        caught = {f.code: f.steps for f in check_migration(V1, path, mapping).findings}
    steps = caught[broken]
    assert "a qualifier (restricted to next stages)" in " ".join(steps)
    assert last_step in steps[-1]
    names = {s.name for wf in (load_workflow(V1), load_workflow(path)) for s in wf.statuses}
    assert set(re.findall(r"'([^']*)'", " ".join(steps))) <= names  # names, never ids


@pytest.mark.parametrize(
    ("name", "mapping", "broken", "last_step"), FLAWS, ids=[f[0] for f in FLAWS]
)
def test_each_flaw_fails_leadcore_check(
    name: str,
    mapping: dict[str, str] | None,
    broken: str,
    last_step: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = str(HERE / f"{name}.toml")
    if mapping is None:
        args = ["check", "--properties", "--max-examples", "5", "--seed", "1", path]
    else:
        args = ["check", path, "--against", str(V1)]
        args += [f"--map={a}={b}" for a, b in mapping.items()]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert broken in out
    assert last_step in out
