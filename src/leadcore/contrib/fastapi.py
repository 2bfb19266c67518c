"""leadcore in a FastAPI application (extra ``fastapi``).

- :func:`lifespan` opens the core when the application starts (from a URL,
  or a :class:`~leadcore.Leadcore` the host built) and closes it at shutdown
  if it opened it; :func:`core_of` reads it from a request.
- :func:`session_dependency` turns the host's user resolver (a FastAPI
  dependency returning the acting user's id) into a dependency giving that
  user's :class:`~leadcore.Session`, optionally inside the host's own
  database transaction (``connection=``, the host's dependency giving its
  SQLAlchemy connection).
- :func:`add_problem_handlers` answers every
  :class:`~leadcore.errors.LeadcoreError` with RFC 9457 problem details
  (``application/problem+json``; see :mod:`leadcore.contrib._problems`).

Endpoints that call a session are plain ``def`` functions: leadcore's use
cases block, and FastAPI runs those in its thread pool.
"""

# No postponed annotations here: FastAPI reads the dependencies' annotations at runtime.

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from leadcore.contrib._problems import MEDIA_TYPE, problem_details
from leadcore.core import Leadcore, Session
from leadcore.errors import LeadcoreError, ValidationError

__all__ = [
    "add_problem_handlers",
    "core_of",
    "lifespan",
    "problem_response",
    "session_dependency",
]

_STATE = "leadcore"


def lifespan(
    source: Leadcore | str | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that opens the core at start-up, on ``app.state.leadcore``.

    ``source`` is a storage URL for :meth:`Leadcore.open
    <leadcore.Leadcore.open>` (``None``: in memory), closed at shutdown, or a
    :class:`~leadcore.Leadcore` the host owns, left open.
    """

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        owned = not isinstance(source, Leadcore)
        core = Leadcore.open(source) if not isinstance(source, Leadcore) else source
        setattr(app.state, _STATE, core)
        try:
            yield
        finally:
            if owned:
                core.close()

    return run


def core_of(request: Request) -> Leadcore:
    """The core the :func:`lifespan` opened (a dependency)."""
    core = getattr(request.app.state, _STATE, None)
    if not isinstance(core, Leadcore):
        raise RuntimeError(
            "leadcore is not open on this application: pass "
            "lifespan=leadcore.contrib.fastapi.lifespan(...) to FastAPI()"
        )
    return core


def _acting(acting: Any) -> str:
    if not isinstance(acting, str):
        raise ValidationError(
            "no acting user",
            [f"user_id: the resolver returned {type(acting).__name__}, expected a user id"],
        )
    return acting


def _host_connection(found: Any) -> Any:
    """The SQLAlchemy ``Connection`` the host's provider gave (an ORM ``Session`` lends its own)."""
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session as OrmSession

    if isinstance(found, OrmSession):
        return found.connection()
    if not isinstance(found, Connection):
        raise ValidationError(
            "no host connection",
            [
                f"connection: the provider returned {type(found).__name__}, "
                "expected a SQLAlchemy Connection or Session"
            ],
        )
    return found


def session_dependency(
    user_id: Callable[..., Any], *, connection: Callable[..., Any] | None = None
) -> Callable[..., Session]:
    """A dependency giving the acting user's session.

    ``user_id`` is the host's own dependency (it may take a header, a token,
    another dependency) returning the acting user's leadcore id. An id that
    is not text, an unknown user or an inactive one are answered as their
    errors are (422, 404, 403).

    ``connection`` is another dependency of the host, giving the request's
    SQLAlchemy ``Connection`` (or ORM ``Session``) on leadcore's database,
    typically a generator that begins a transaction, yields, and commits:
    the session then runs every use case inside that transaction
    (``core.session(user_id, connection=...)``), so the host commits or
    rolls back leadcore's writes with its own. Such a session delivers no
    events; the provider calls ``core.events.deliver()`` after it commits.
    """
    if connection is None:

        def dependency(request: Request, acting: Any = Depends(user_id)) -> Session:  # noqa: B008
            return core_of(request).session(_acting(acting))

        return dependency

    def joined(
        request: Request,
        acting: Any = Depends(user_id),  # noqa: B008
        conn: Any = Depends(connection),  # noqa: B008
    ) -> Session:
        return core_of(request).session(_acting(acting), connection=_host_connection(conn))

    return joined


def problem_response(error: LeadcoreError, *, instance: str | None = None) -> JSONResponse:
    """The ``application/problem+json`` response answering ``error``."""
    doc = problem_details(error, instance=instance)
    return JSONResponse(doc, status_code=int(str(doc["status"])), media_type=MEDIA_TYPE)


def add_problem_handlers(app: FastAPI) -> None:
    """Answer every :class:`~leadcore.errors.LeadcoreError` with problem details."""

    async def handle(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, LeadcoreError)
        return problem_response(exc, instance=request.url.path)

    app.add_exception_handler(LeadcoreError, handle)
