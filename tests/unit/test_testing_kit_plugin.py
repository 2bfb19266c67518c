"""The pytest plugin, seen from a user's project: its fixtures work in a fresh test run."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

pytest_plugins = ["pytester"]

PLUGIN = "leadcore.testing.pytest_plugin"


def _plugin_args() -> list[str]:
    # Installed with its pytest11 entry point, pytest loads the plugin by itself; from a
    # checkout installed without it, the run loads it by name, as its docstring says.
    installed = any(ep.value == PLUGIN for ep in entry_points(group="pytest11"))
    return [] if installed else ["-p", PLUGIN]


def run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=source)
    return pytester.runpytest(*_plugin_args(), "-p", "no:cacheprovider")


def test_the_clock_fixture_is_a_manual_clock_that_moves_when_told(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
from datetime import datetime, timedelta, timezone

from leadcore.clock import ManualClock

def test_clock(leadcore_clock):
    assert isinstance(leadcore_clock, ManualClock)
    assert leadcore_clock.now() == datetime(2026, 1, 1, 9, tzinfo=timezone.utc)
    leadcore_clock.advance(timedelta(hours=1))
    assert leadcore_clock.now().hour == 10
""",
    )
    result.assert_outcomes(passed=1)


def test_the_core_fixture_uses_memory_storage_the_clock_and_sequential_ids(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
from datetime import timedelta

from leadcore.storage.memory import MemoryStorage

def test_core(leadcore_core, leadcore_clock):
    assert isinstance(leadcore_core.storage, MemoryStorage)
    assert leadcore_core.clock is leadcore_clock
    org, admin = leadcore_core.create_organization("Agency", admin_name="Dana")
    assert (org.id, admin.id) == ("org-1", "user-1")
    leadcore_clock.advance(timedelta(days=2))
    lead = leadcore_core.session(admin.id).leads.create("Noa")
    assert lead.id == "lead-1"
    assert lead.created_at == leadcore_clock.now()

def test_each_test_gets_a_fresh_core(leadcore_core):
    org, _ = leadcore_core.create_organization("Agency", admin_name="Dana")
    assert org.id == "org-1"
""",
    )
    result.assert_outcomes(passed=2)


def test_the_organisations_are_isolated_and_have_a_user_in_every_role(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
import pytest

from leadcore.errors import NotFound
from leadcore.tenancy import Role

def test_orgs(leadcore_orgs):
    first, second = leadcore_orgs
    assert first.id != second.id
    for org in (first, second):
        assert {u.role for u in org.users} == set(Role)
        assert org.admin.role is Role.ACCOUNT_MANAGER
        assert org.session("qualifier").users.me().role is Role.QUALIFIER
    lead = first.session().leads.create("Noa Levi", phones=["050-234-5678"])
    with pytest.raises(NotFound):
        second.session().leads.get(lead.id)
    assert [u.name for u in first.users] == [u.name for u in second.users]
    assert not set(u.id for u in first.users) & set(u.id for u in second.users)
""",
    )
    result.assert_outcomes(passed=1)


def test_the_sample_workflow_fixture_is_the_bundled_sales_workflow(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
import leadcore

def test_workflow(leadcore_sample_workflow):
    assert leadcore_sample_workflow == leadcore.sample_workflow()
    assert leadcore_sample_workflow.id == "sales"
""",
    )
    result.assert_outcomes(passed=1)


def test_a_project_overrides_a_fixture_in_its_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
from datetime import datetime, timezone

import pytest

from leadcore.clock import ManualClock

@pytest.fixture
def leadcore_clock():
    return ManualClock(datetime(2030, 5, 1, tzinfo=timezone.utc))
"""
    )
    result = run(
        pytester,
        """
def test_core_uses_the_overridden_clock(leadcore_core):
    assert leadcore_core.clock.now().year == 2030
""",
    )
    result.assert_outcomes(passed=1)


def test_a_ten_line_workflow_check_shows_the_counterexample(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".toml",
        stuck="""
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
""",
    )
    result = run(
        pytester,
        """
from pathlib import Path

from leadcore.testing import check_workflow

def test_my_workflow():
    report = check_workflow(Path(__file__).with_name("stuck.toml"), seed=1)
    assert report.ok, str(report)
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*role-reach-done: for each role that changes statuses, every status the role*",
            "*counterexample (3 steps):*",
            "*1. a qualifier (restricted to next stages) gives a lead with no status 'New'",
            "*2. the qualifier moves it from 'New' to 'Limbo'",
        ]
    )
