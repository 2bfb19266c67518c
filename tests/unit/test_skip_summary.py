"""A run that skips database tests for want of a server ends by saying so, in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).resolve().parent.parent / "conftest.py"

SKIPPING = """
import pytest

@pytest.mark.parametrize("env", ["LEADCORE_TEST_POSTGRES_URL", "LEADCORE_TEST_MYSQL_URL"])
@pytest.mark.parametrize("n", range(2))
def test_needs_a_server(env, n):
    pytest.skip(f"{env} is not set: no database server to run this test against")

def test_other_skip():
    pytest.skip("not today")
"""


def test_the_last_line_names_the_skipped_backends_and_the_variables(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_db=SKIPPING)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(skipped=5)
    assert result.outlines[-1] == (
        "database tests skipped: PostgreSQL (2 tests), MariaDB (2 tests); set "
        "LEADCORE_TEST_POSTGRES_URL and LEADCORE_TEST_MYSQL_URL to run them "
        "(see README; LEADCORE_REQUIRE_DATABASES=1 makes a missing server a failure)"
    )


def test_a_run_without_such_skips_adds_no_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_db="def test_ok():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    assert not any("database tests skipped" in line for line in result.outlines)
