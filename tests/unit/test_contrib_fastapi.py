"""leadcore.contrib.fastapi: the lifespan, the session dependency, problem details."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("fastapi", reason="FastAPI is not installed (extra 'fastapi')")
try:  # Starlette's TestClient runs on httpx2 (newer releases) or httpx.
    import httpx2  # noqa: F401
except ModuleNotFoundError:
    pytest.importorskip("httpx", reason="httpx2 or httpx is needed by FastAPI's TestClient")

from fastapi import Depends, FastAPI, Header
from fastapi.testclient import TestClient

from leadcore import Leadcore, Session
from leadcore.contrib.fastapi import add_problem_handlers, core_of, lifespan, session_dependency
from leadcore.errors import ConflictError, LeaseLost
from leadcore.examples.fastapi_app import create_app
from leadcore.tenancy import User

PROBLEM = "application/problem+json"


@pytest.fixture
def world() -> Iterator[tuple[TestClient, User, User]]:
    core = Leadcore.open()
    _, admin = core.create_organization("Agency", admin_name="Dana")
    _, other = core.create_organization("Other", admin_name="Omer")
    with TestClient(create_app(core)) as client:
        yield client, admin, other
    core.close()


def as_user(user: User) -> dict[str, str]:
    return {"X-User-Id": user.id}


def test_a_lead_created_through_the_app_reads_back(world: tuple[TestClient, User, User]) -> None:
    client, admin, _ = world
    made = client.post("/leads", json={"name": "Avi"}, headers=as_user(admin))
    assert made.status_code == 201
    got = client.get(f"/leads/{made.json()['id']}", headers=as_user(admin))
    assert got.json() == made.json()


def test_bad_input_is_422_problem_details_naming_where(
    world: tuple[TestClient, User, User],
) -> None:
    client, admin, _ = world
    r = client.post("/leads", json={"name": "x", "phones": ["nope"]}, headers=as_user(admin))
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    doc = r.json()
    assert doc["type"] == "urn:leadcore:problem:validation"
    assert doc["status"] == 422
    assert doc["title"]
    assert any(p.startswith("lead.phones[0]") for p in doc["problems"])


def test_another_organisation_s_lead_is_404_like_a_missing_one(
    world: tuple[TestClient, User, User],
) -> None:
    client, admin, other = world
    lead_id = client.post("/leads", json={"name": "Avi"}, headers=as_user(admin)).json()["id"]
    theirs = client.get(f"/leads/{lead_id}", headers=as_user(other))
    missing = client.get("/leads/lead-missing", headers=as_user(other))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["kind"] == "lead"
    assert theirs.json()["id"] == lead_id
    assert theirs.json()["instance"] == f"/leads/{lead_id}"


def test_an_unknown_acting_user_is_404_and_a_stale_version_409(
    world: tuple[TestClient, User, User],
) -> None:
    client, admin, _ = world
    r = client.post("/leads", json={"name": "Avi"}, headers={"X-User-Id": "user-nobody"})
    assert (r.status_code, r.json()["kind"]) == (404, "user")
    lead = client.post("/leads", json={"name": "Avi"}, headers=as_user(admin)).json()
    r = client.post(
        f"/leads/{lead['id']}/status",
        json={"status_id": "contacted", "expected_version": lead["version"] + 5},
        headers=as_user(admin),
    )
    assert r.status_code in (409, 422)
    assert r.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(("error", "status"), [(ConflictError("x"), 409), (LeaseLost("y"), 409)])
def test_handlers_answer_raised_errors_with_their_status(error: Exception, status: int) -> None:
    app = FastAPI()
    add_problem_handlers(app)

    @app.get("/boom")
    def boom() -> None:
        raise error

    with TestClient(app) as client:
        r = client.get("/boom")
    assert r.status_code == status
    assert r.json()["error"] == type(error).__name__


def test_the_lifespan_opens_a_url_and_closes_it_and_leaves_a_given_core_open() -> None:
    app = FastAPI(lifespan=lifespan("memory://"))
    seen: list[Leadcore] = []

    @app.get("/core")
    def core() -> str:
        return "ok"

    with TestClient(app) as client:
        assert client.get("/core").text == '"ok"'
        seen.append(app.state.leadcore)
    assert isinstance(seen[0], Leadcore)


def test_a_missing_lifespan_says_what_to_pass() -> None:
    class Req:
        class app:
            class state:
                pass

    with pytest.raises(RuntimeError, match="lifespan="):
        core_of(Req())  # type: ignore[arg-type]


# -- inside the host's transaction ------------------------------------------------------


def test_a_provider_giving_something_else_than_a_connection_is_named() -> None:
    pytest.importorskip("sqlalchemy")
    core = Leadcore.open()
    _, admin = core.create_organization("Agency", admin_name="Dana")

    def acting(x_user_id: str = Header()) -> str:
        return x_user_id

    app = FastAPI(lifespan=lifespan(core))
    add_problem_handlers(app)
    dependency = session_dependency(acting, connection=lambda: "not a connection")

    @app.get("/me")
    def me(s: Session = Depends(dependency)) -> dict[str, str]:  # noqa: B008
        return {"id": s.user_id}

    with TestClient(app) as client:
        r = client.get("/me", headers=as_user(admin))
    assert r.status_code == 422
    assert any(p.startswith("connection: the provider returned str") for p in r.json()["problems"])
    core.close()
