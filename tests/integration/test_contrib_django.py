"""leadcore.contrib.django on SQLite: settings, request.leadcore, problem details, commands."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django", reason="Django is not installed (extra 'django')")

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from tests.django_project import configure_django

from leadcore.contrib.django import get_core, reset_core
from leadcore.contrib.django._core import read_settings
from leadcore.tenancy import User

ROOT = Path(__file__).resolve().parents[2]
SALES = ROOT / "src" / "leadcore" / "examples" / "sales.toml"
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Django project configured once per process, its leadcore on a SQLite file."""
    url = f"sqlite:///{tmp_path_factory.mktemp('django') / 'crm.db'}"
    configure_django()
    leadcore = {"URL": url, "USER": "leadcore.examples.django_app.header_user"}
    with override_settings(LEADCORE=leadcore):
        reset_core()
        yield url
        reset_core()


@pytest.fixture
def admin(project: str) -> User:
    _, user = get_core().create_organization("Agency", admin_name="Dana")
    return user


def test_a_view_acts_as_the_resolved_user_and_reads_back(admin: User) -> None:
    client = Client()
    made = client.post(
        "/leads", data={"name": "Avi"}, content_type="application/json", HTTP_X_USER_ID=admin.id
    )
    assert made.status_code == 201
    got = client.get(f"/leads/{made.json()['id']}", HTTP_X_USER_ID=admin.id)
    assert got.json() == made.json()


def test_leadcore_errors_are_problem_details_with_their_status(admin: User) -> None:
    client = Client()
    bad = client.post(
        "/leads",
        data={"name": "x", "phones": ["nope"]},
        content_type="application/json",
        HTTP_X_USER_ID=admin.id,
    )
    assert bad.status_code == 422
    assert bad["Content-Type"] == PROBLEM
    assert any(p.startswith("lead.phones[0]") for p in bad.json()["problems"])
    missing = client.get("/leads/lead-missing", HTTP_X_USER_ID=admin.id)
    assert (missing.status_code, missing.json()["kind"], missing.json()["instance"]) == (
        404,
        "lead",
        "/leads/lead-missing",
    )
    nobody = client.get("/leads/lead-missing")
    assert nobody.status_code == 403
    unknown = client.get("/leads/lead-missing", HTTP_X_USER_ID="user-nobody")
    assert (unknown.status_code, unknown.json()["kind"]) == (404, "user")


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("sqlite://", "settings.LEADCORE: expected a dict"),
        ({"URL": 5}, "settings.LEADCORE['URL']"),
        ({"URLS": "x"}, "unknown keys URLS"),
        ({"USER": "no.such.module.fn"}, "settings.LEADCORE['USER']"),
        ({"OPTIONS": []}, "settings.LEADCORE['OPTIONS']"),
    ],
)
def test_malformed_settings_name_the_key(project: str, value: object, where: str) -> None:
    with (
        override_settings(LEADCORE=value),
        pytest.raises(ImproperlyConfigured, match=re.escape(where)),
    ):
        read_settings()


def test_leadcore_check_runs_the_command_line(project: str, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("leadcore_check", str(SALES), stdout=out)
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\n', encoding="utf-8")
    with pytest.raises(CommandError, match="leadcore check exited with") as caught:
        call_command("leadcore_check", str(broken), stdout=io.StringIO(), stderr=io.StringIO())
    assert caught.value.returncode != 0


def test_commands_pass_the_database_url_unless_given(project: str) -> None:
    from leadcore.contrib.django.management.commands.leadcore_import import Command as Import
    from leadcore.contrib.django.management.commands.leadcore_migrate import Command as Migrate

    assert Migrate().cli_arguments([]) == ["migrate", "--db", project]
    assert Import().cli_arguments(["leads.csv"]) == ["import", "leads.csv", "--db", project]
    assert Import().cli_arguments(["--db", "sqlite://"]) == ["import", "--db", "sqlite://"]


# -- inside the host's transaction (settings.LEADCORE['CONNECTION']) ---------------------

_HOST: dict[str, Any] = {}


def host_connection(request: HttpRequest) -> Any:
    """The CONNECTION setting of the tests: the connection the test opened, if any."""
    return _HOST.get("conn")


@pytest.mark.parametrize("host_commits", [True, False], ids=["commit", "rollback"])
def test_with_a_connection_setting_the_host_commits_or_rolls_back_leadcore_s_writes(
    project: str, admin: User, host_commits: bool
) -> None:
    from sqlalchemy import create_engine

    from leadcore.contrib.django import LeadcoreMiddleware

    def view(request: HttpRequest) -> HttpResponse:
        lead = request.leadcore.leads.create("Avi")
        return HttpResponse(lead.id)

    settings_ = {
        "URL": project,
        "USER": "leadcore.examples.django_app.header_user",
        "CONNECTION": f"{__name__}.host_connection",
    }
    engine = create_engine(project)
    try:
        with override_settings(LEADCORE=settings_), engine.connect() as conn:
            _HOST["conn"] = conn
            response = LeadcoreMiddleware(view)(RequestFactory().get("/", HTTP_X_USER_ID=admin.id))
            lead_id = response.content.decode()
            if host_commits:
                conn.commit()
            else:
                conn.rollback()
    finally:
        _HOST.clear()
        engine.dispose()
    stored = get_core().session(admin.id).leads.list().items
    assert [lead.id for lead in stored] == ([lead_id] if host_commits else [])


def test_a_connection_setting_that_is_no_function_is_named(project: str) -> None:
    with (
        override_settings(LEADCORE={"URL": project, "CONNECTION": 5}),
        pytest.raises(ImproperlyConfigured, match=re.escape("settings.LEADCORE['CONNECTION']")),
    ):
        read_settings()
