"""The checks of ``tests/unit/test_memory_lead_repositories.py`` on every SQL backend.

Those checks take a ``Storage`` from a ``storage`` fixture and use the ports
only; this module collects them again with a ``storage`` fixture that opens
each SQL backend in turn.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from tests.integration.conftest import BACKENDS

from leadcore.storage.sql import SqlStorage

_CHECKS = Path(__file__).parents[1] / "unit" / "test_memory_lead_repositories.py"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("_lead_repository_checks", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


if not _CHECKS.exists():  # pragma: no cover - the checks moved
    pytest.skip(f"{_CHECKS} is not there", allow_module_level=True)

globals().update({k: v for k, v in vars(_load(_CHECKS)).items() if k.startswith("test_")})


@pytest.fixture(params=BACKENDS)
def storage(
    request: pytest.FixtureRequest, make_storage: Callable[[str], SqlStorage]
) -> SqlStorage:
    return make_storage(request.param)
