"""Importing leadcore, or loading its pytest and hypothesis plugins, pulls in nothing heavy.

Each check runs in a fresh interpreter: this test process has long since
imported everything.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("networkx", "sqlalchemy", "hypothesis")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(m for m in sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "code",
    [
        "import leadcore",
        "import leadcore.testing.pytest_plugin",
        "import leadcore.testing._hypothesis_plugin",
        "from leadcore import Leadcore; Leadcore.open().close()",
        "import leadcore; leadcore.sample_workflow().shortest_path('new', 'won')",
    ],
)
def test_no_heavy_dependency_is_imported(code: str) -> None:
    loaded = _loaded_after(code)
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_importing_leadcore_loads_only_the_package_module() -> None:
    loaded = _loaded_after("import leadcore")
    assert {m for m in loaded if m.startswith("leadcore")} == {"leadcore"}


def test_the_pytest_plugin_imports_leadcore_only_when_a_fixture_is_used() -> None:
    loaded = _loaded_after("import leadcore.testing.pytest_plugin")
    assert {m for m in loaded if m.startswith("leadcore")} == {
        "leadcore",
        "leadcore.testing",
        "leadcore.testing.pytest_plugin",
    }


def test_hypothesis_imports_no_leadcore_module_beyond_its_plugin() -> None:
    loaded = _loaded_after("import hypothesis")
    assert {m for m in loaded if m.startswith("leadcore")} <= {
        "leadcore",
        "leadcore.testing",
        "leadcore.testing._hypothesis_plugin",
    }


def test_a_type_imported_after_hypothesis_draws_from_its_strategy() -> None:
    code = (
        "import hypothesis\n"
        "from hypothesis import strategies as st\n"
        "from leadcore.workflow import Workflow\n"
        "from leadcore.calendar import Recurrence\n"
        "assert isinstance(st.from_type(Workflow).example(), Workflow)\n"
        "assert isinstance(st.from_type(Recurrence).example(), Recurrence)\n"
    )
    assert "leadcore.workflow" in _loaded_after(code)


def test_the_public_names_load_on_first_use() -> None:
    import leadcore

    assert set(leadcore.__all__) <= set(dir(leadcore))
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = leadcore.no_such_name  # type: ignore[attr-defined]
