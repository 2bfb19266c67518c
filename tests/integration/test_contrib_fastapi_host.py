"""leadcore.contrib.fastapi inside the host's transaction: ``session_dependency(connection=)``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="FastAPI is not installed (extra 'fastapi')")
pytest.importorskip("sqlalchemy", reason="SQLAlchemy is not installed (extra 'sql')")
try:  # Starlette's TestClient runs on httpx2 (newer releases) or httpx.
    import httpx2  # noqa: F401
except ModuleNotFoundError:
    pytest.importorskip("httpx", reason="httpx2 or httpx is needed by FastAPI's TestClient")

from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from leadcore import Leadcore, Session
from leadcore.contrib.fastapi import add_problem_handlers, lifespan, session_dependency
from leadcore.tenancy import User


def as_user(user: User) -> dict[str, str]:
    return {"X-User-Id": user.id}


def _host_app(
    tmp_path: Path, *, orm: bool = False
) -> tuple[FastAPI, Leadcore, User, Any, list[str]]:
    """An application whose requests run leadcore inside the host's own transaction."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy.orm import Session as OrmSession

    from leadcore.storage.sql import SqlStorage

    url = f"sqlite:///{tmp_path / 'host.db'}"
    core = Leadcore(SqlStorage(url, create=True))
    _, admin = core.create_organization("Agency", admin_name="Dana")
    host = sqlalchemy.create_engine(url)
    with host.begin() as conn:
        conn.execute(
            sqlalchemy.text("CREATE TABLE invoices (id INTEGER PRIMARY KEY, lead_id TEXT)")
        )
    delivered: list[str] = []
    core.events.subscribe("audit", lambda e: delivered.append(e.event.type))
    delivered.clear()

    def db() -> Iterator[Any]:
        if orm:
            with OrmSession(host) as session:
                yield session
                session.commit()
        else:
            with host.connect() as conn:
                yield conn
                conn.commit()
        core.events.deliver()

    def acting(x_user_id: str = Header()) -> str:
        return x_user_id

    app = FastAPI(lifespan=lifespan(core))
    add_problem_handlers(app)
    joined = session_dependency(acting, connection=db)

    @app.post("/leads")
    def create(
        name: str,
        s: Session = Depends(joined),  # noqa: B008
        fail: bool = False,
    ) -> dict[str, str]:
        lead = s.leads.create(name)
        if fail:
            raise HTTPException(status_code=409, detail="the invoice could not be written")
        return {"id": lead.id}

    return app, core, admin, host, delivered


@pytest.mark.parametrize("orm", [False, True], ids=["connection", "orm-session"])
def test_a_host_commit_keeps_leadcore_s_writes_and_a_rollback_undoes_them(
    tmp_path: Path, orm: bool
) -> None:
    app, core, admin, host, delivered = _host_app(tmp_path, orm=orm)
    with TestClient(app) as client:
        kept = client.post("/leads", params={"name": "Avi"}, headers=as_user(admin))
        assert kept.status_code == 200
        assert delivered == ["lead.created"]
        failed = client.post("/leads", params={"name": "Gal", "fail": True}, headers=as_user(admin))
        assert failed.status_code == 409
    names = [x.name for x in core.session(admin.id).leads.list().items]
    assert names == ["Avi"]
    assert delivered == ["lead.created"]
    host.dispose()
    core.close()
