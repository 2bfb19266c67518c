"""Old names of the lead use cases answer for one release, with a ``DeprecationWarning``."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest

from leadcore import Leadcore
from leadcore.core import Session
from leadcore.errors import Forbidden
from leadcore.leads import LeadSettings
from leadcore.services.leads import LeadsService


@pytest.fixture
def core() -> Leadcore:
    return Leadcore.open()


@pytest.fixture
def s(core: Leadcore) -> Session:
    _, admin = core.create_organization("Agency", admin_name="Dana", default_region="IL")
    return core.session(admin.id)


def test_configure_warns_and_sets_the_settings(s: Session) -> None:
    wanted = LeadSettings(duplicate_window=timedelta(days=3))
    with pytest.warns(DeprecationWarning, match=r"LeadsService\.set_settings"):
        stored = s.leads.configure(wanted)
    assert stored == wanted
    assert s.leads.settings() == wanted


def test_configure_keeps_the_checks_of_set_settings(core: Leadcore, s: Session) -> None:
    agent = s.users.create("Avi", "qualifier")
    with pytest.warns(DeprecationWarning, match="configure"), pytest.raises(Forbidden):
        core.session(agent.id).leads.configure(LeadSettings())


def test_the_old_module_path_warns_and_answers_the_same_class() -> None:
    old = importlib.import_module("leadcore.leads.service")
    with pytest.warns(DeprecationWarning, match=r"leadcore\.services\.leads\.LeadsService"):
        assert old.LeadsService is LeadsService


@pytest.mark.parametrize("name", ["Work", "Writer"])
def test_the_unit_of_work_helper_is_no_longer_exported_but_still_answers(name: str) -> None:
    leads = importlib.import_module("leadcore.services.leads")
    shared = importlib.import_module("leadcore.services._shared")
    assert name not in leads.__all__
    with pytest.warns(DeprecationWarning, match=rf"leadcore\.services\._shared\.{name}"):
        assert getattr(leads, name) is getattr(shared, name)
