"""The typing example also runs: what mypy checks there is what the package does."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_typing_example_runs() -> None:
    path = Path(__file__).with_name("typing_example.py")
    spec = importlib.util.spec_from_file_location("typing_example", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
