"""Shared test settings: the hypothesis profiles, and the line that names skipped databases.

``ci`` (chosen when the environment has ``CI=true``) is derandomised, so a
run on the same code draws the same examples, and prints the blob that
reproduces a failure. ``dev`` explores new examples on each run; ``short`` is ``ci`` with fewer
examples, for the run on the newest Python (``nox -s tests-3.13``). None has
a deadline: a slow machine must not fail a correct test. Set
``HYPOTHESIS_PROFILE`` to choose another registered profile by name.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    max_examples=100,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=60)
# The second Python's run checks that everything works there, not every corner again.
settings.register_profile("short", parent=settings.get_profile("ci"), max_examples=15)

_default = "ci" if os.environ.get("CI", "").lower() == "true" else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", _default))


#: The variable that names each database server, and the backend it stands for.
_SERVERS = {
    "LEADCORE_TEST_POSTGRES_URL": "PostgreSQL",
    "LEADCORE_TEST_MYSQL_URL": "MariaDB",
}


def skipped_databases_line(reporter: pytest.TerminalReporter) -> str | None:
    """The line naming the backends whose tests were skipped for want of a server, if any."""
    counts = dict.fromkeys(_SERVERS, 0)
    for report in reporter.stats.get("skipped", []):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        for variable in _SERVERS:
            if f"{variable} is not set" in reason:
                counts[variable] += 1
    missing = {variable: n for variable, n in counts.items() if n}
    if not missing:
        return None
    backends = ", ".join(f"{_SERVERS[v]} ({n} tests)" for v, n in missing.items())
    return (
        f"database tests skipped: {backends}; set {' and '.join(missing)} to run them "
        "(see README; LEADCORE_REQUIRE_DATABASES=1 makes a missing server a failure)"
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    """End a run that skipped database tests with that line, after pytest's own summary."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if isinstance(reporter, pytest.TerminalReporter):
        line = skipped_databases_line(reporter)
        if line is not None:
            reporter.write_line(line, yellow=True, bold=True)
