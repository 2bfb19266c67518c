"""``request.leadcore`` and problem-details answers to leadcore's errors."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject

from leadcore.contrib._problems import MEDIA_TYPE, problem_details
from leadcore.contrib.django._core import connection_provider, get_core, user_resolver
from leadcore.core import Session
from leadcore.errors import LeadcoreError

__all__ = ["LeadcoreMiddleware", "problem_json_response"]


def problem_json_response(error: LeadcoreError, *, instance: str | None = None) -> JsonResponse:
    """The ``application/problem+json`` response answering ``error``."""
    doc = problem_details(error, instance=instance)
    return JsonResponse(
        doc,
        status=int(str(doc["status"])),
        content_type=MEDIA_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


class LeadcoreMiddleware:
    """Sets ``request.leadcore`` (the acting user's session, or ``None``); answers leadcore errors.

    The session opens when a view first uses it, so requests that never touch
    leadcore read nothing; an unknown or inactive user is then answered with
    problem details (404, 403). With ``settings.LEADCORE['CONNECTION']`` (a
    function of the request giving the host's SQLAlchemy ``Connection``, or
    ``None``), the session runs inside that connection's transaction, which
    the host commits or rolls back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.resolve = user_resolver()
        self.connect = connection_provider()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user_id = self.resolve(request)
        if user_id is None:
            request.leadcore = None
        else:

            def open_session() -> Session:
                if self.connect is not None:
                    connection = self.connect(request)
                    if connection is not None:
                        return get_core().session(user_id, connection=connection)
                return get_core().session(user_id)

            request.leadcore = SimpleLazyObject(open_session)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer a :class:`~leadcore.errors.LeadcoreError` with problem details."""
        if isinstance(exception, LeadcoreError):
            return problem_json_response(exception, instance=request.path)
        return None
