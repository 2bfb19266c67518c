"""A small FastAPI application over leadcore (extra ``fastapi``): the example of ``frameworks.md``.

The acting user comes from the ``X-User-Id`` header (a real application reads
its own authentication instead); every leadcore error is answered with
problem details.

>>> from fastapi.testclient import TestClient
>>> from leadcore import Leadcore
>>> core = Leadcore.open()
>>> org, admin = core.create_organization("Agency", admin_name="Dana")
>>> with TestClient(create_app(core)) as client:
...     made = client.post("/leads", json={"name": "Avi"}, headers={"X-User-Id": admin.id})
...     made.status_code, made.json()["name"]
(201, 'Avi')
"""

# No postponed annotations here: FastAPI reads the endpoints' annotations at runtime.

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header
from pydantic import BaseModel

from leadcore.contrib.fastapi import add_problem_handlers, lifespan, session_dependency
from leadcore.core import Leadcore, Session
from leadcore.leads import Lead

__all__ = ["NewLead", "NewNote", "NewStatus", "acting_user", "create_app"]


class NewLead(BaseModel):
    """The body of ``POST /leads``."""

    name: str
    phones: list[str] = []
    emails: list[str] = []


class NewNote(BaseModel):
    """The body of ``POST /leads/{lead_id}/notes``."""

    text: str


class NewStatus(BaseModel):
    """The body of ``POST /leads/{lead_id}/status``."""

    status_id: str
    note: str | None = None
    expected_version: int | None = None


def acting_user(x_user_id: Annotated[str, Header()]) -> str:
    """The acting user's id, from the ``X-User-Id`` header."""
    return x_user_id


def _lead(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.name,
        "phones": list(lead.phones),
        "status_id": lead.status_id,
        "version": lead.version,
    }


def create_app(source: Leadcore | str | None = None) -> FastAPI:
    """The application, on the core ``source`` (a URL, or a core the caller owns)."""
    app = FastAPI(title="leads", lifespan=lifespan(source))
    add_problem_handlers(app)
    Acting = Annotated[Session, Depends(session_dependency(acting_user))]

    @app.post("/leads", status_code=201)
    def create_lead(body: NewLead, s: Acting) -> dict[str, Any]:
        return _lead(s.leads.create(body.name, phones=body.phones, emails=body.emails))

    @app.get("/leads/{lead_id}")
    def get_lead(lead_id: str, s: Acting) -> dict[str, Any]:
        return _lead(s.leads.get(lead_id))

    @app.post("/leads/{lead_id}/notes", status_code=201)
    def add_note(lead_id: str, body: NewNote, s: Acting) -> dict[str, Any]:
        note = s.leads.add_note(lead_id, body.text)
        return {"id": note.id, "text": note.text}

    @app.post("/leads/{lead_id}/status")
    def change_status(lead_id: str, body: NewStatus, s: Acting) -> dict[str, Any]:
        lead = s.leads.change_status(
            lead_id, body.status_id, note=body.note, expected_version=body.expected_version
        )
        return _lead(lead)

    return app
