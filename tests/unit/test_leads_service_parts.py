"""``s.leads`` is one class made of parts; every public method of every part is checked."""

from __future__ import annotations

import inspect

import pytest

from leadcore import Leadcore
from leadcore.errors import ValidationError
from leadcore.services.leads import LeadsService

PUBLIC = sorted(
    name
    for name, member in inspect.getmembers(LeadsService, inspect.isfunction)
    if not name.startswith("_")
)


def test_the_parts_make_every_lead_use_case_one_public_class() -> None:
    assert {"create", "import_many", "get", "list", "change_status", "convert"} <= set(PUBLIC)
    assert {"set_settings", "create_project", "add_blocked_number", "lineage"} <= set(PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_method_checks_text_before_it_runs(name: str) -> None:
    method = getattr(LeadsService, name)
    assert method.__code__.co_filename.endswith("_text.py"), name
    assert hasattr(method, "__wrapped__"), name


def test_a_nul_in_an_argument_of_a_part_is_refused() -> None:
    core = Leadcore.open()
    _, admin = core.create_organization("Agency", admin_name="Dana")
    s = core.session(admin.id)
    for call in (
        lambda: s.leads.create("No\x00a"),
        lambda: s.leads.add_blocked_number("050\x00"),
        lambda: s.leads.list(text="a\x00"),
        lambda: s.leads.convert("lead\x00"),
    ):
        with pytest.raises((ValidationError, LookupError)):
            call()
