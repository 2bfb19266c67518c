"""Developer tasks: ``nox -s tests``, ``lint``, ``typecheck``, ``docs``, ``bench``.

Each session installs what it needs from ``pyproject.toml`` (the project's
extras and dependency groups), so a fresh clone needs nothing but nox.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

import nox

nox.options.sessions = ["lint", "typecheck", "tests", "docs"]
nox.options.reuse_existing_virtualenvs = True
# A second Python that is not installed skips its session with a message, on CI too.
nox.options.error_on_missing_interpreters = False
nox.needs_version = ">=2024.10.9"

PYPROJECT = nox.project.load_toml("pyproject.toml")
EXTRAS = ".[sql,ical]"
#: Every optional extra: the type check and the API docs read all of ``leadcore.contrib``.
ALL_EXTRAS = ".[sql,ical,xlsx,fastapi,django,otel,testing]"
#: The newest Python leadcore supports; the unit and property tests run on it too.
NEXT_PYTHON = "3.13"
#: pytest-xdist workers: two, whatever the machine, since the concurrency tests start
#: 16 agent processes each and a database server allows some 100 connections.
WORKERS = ["-n", os.environ.get("LEADCORE_TEST_WORKERS", "2"), "--dist", "worksteal"]


def find_python(version: str) -> str:
    """A working interpreter of ``version`` (on PATH or under pyenv), else ``version`` itself.

    A pyenv shim is on PATH even where that version is not selected, and fails
    when run, so each candidate is tried. Given the bare version, nox looks
    for it, and skips the session visibly if it finds none.
    """
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    candidates = [shutil.which(f"python{version}")]
    candidates += sorted(glob.glob(f"{root}/versions/{version}*/bin/python{version}"), reverse=True)
    for exe in candidates:
        if exe and subprocess.run([exe, "-c", ""], capture_output=True).returncode == 0:
            return exe
    return version


def group(name: str) -> list[str]:
    return list(nox.project.dependency_groups(PYPROJECT, name))


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the installed package (database tests need their URLs)."""
    session.install(EXTRAS, *group("test"))
    args = session.posargs or ["-p", "no:cacheprovider", *WORKERS]
    # pytest exits 5 when it collects no test; nox treats any non-zero exit as failure.
    session.run("pytest", *args)
    session.notify(f"tests-{NEXT_PYTHON}")


@nox.session(name=f"tests-{NEXT_PYTHON}", python=find_python(NEXT_PYTHON))
def tests_next(session: nox.Session) -> None:
    """Run the unit and property tests on the newest supported Python (``tests`` runs it too)."""
    session.install(EXTRAS, *group("test"))
    args = session.posargs or ["-p", "no:cacheprovider", *WORKERS, "tests/unit", "tests/property"]
    # The full examples ran on the main Python; here fewer of them check it all works.
    profile = {"HYPOTHESIS_PROFILE": os.environ.get("HYPOTHESIS_PROFILE", "short")}
    session.run("pytest", *args, env=profile)


@nox.session
def lint(session: nox.Session) -> None:
    """Run ruff (lint rules and formatting) on the sources, tests, benchmarks and tooling."""
    session.install(*group("lint"))
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py", "docs")
    session.run("ruff", "format", "--check", "src", "tests", "benchmarks", "noxfile.py", "docs")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Run ``mypy --strict`` on ``src`` and ``tests``."""
    session.install("-e", ALL_EXTRAS, *group("typecheck"), *group("test"))
    session.run("mypy", "--strict", "src", "tests")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation with warnings as errors."""
    session.install("-e", ALL_EXTRAS, *group("docs"))
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-b",
        "html",
        "-d",
        "docs/_build/doctrees",
        "docs",
        "docs/_build/html",
    )
    # The pages must render offline: no script from another site (Mermaid is bundled).
    env = {"LEADCORE_DOCS_HTML": "docs/_build/html"}
    session.run("pytest", "-p", "no:cacheprovider", "-q", "tests/test_docs_offline.py", env=env)


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks against peer libraries; ``-- --quick`` only checks they still run."""
    session.install(EXTRAS, *group("bench"))
    env = {"PYTHONHASHSEED": "0"}
    session.run("python", "benchmarks/run.py", *session.posargs, env=env | dict(os.environ))
