"""Views and URLs of a small Django project over leadcore (extra ``django``).

The example of ``frameworks.md``: with ``ROOT_URLCONF`` pointing here,
``"leadcore.contrib.django"`` installed and its middleware on, each view
acts through ``request.leadcore``, the acting user's session; leadcore's
errors come back as problem details. The acting user here is the
``X-User-Id`` header (``settings.LEADCORE["USER"] = header_user``); a real
project maps its own authenticated user.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from leadcore.core import Session
from leadcore.errors import Forbidden, ValidationError
from leadcore.leads import Lead

__all__ = ["create_lead", "get_lead", "header_user", "urlpatterns"]


def header_user(request: HttpRequest) -> str | None:
    """The acting user's id, from the ``X-User-Id`` header (``None``: nobody)."""
    found = request.headers.get("X-User-Id")
    return found or None


def _session(request: HttpRequest) -> Session:
    session: Session | None = getattr(request, "leadcore", None)
    if session is None:
        raise Forbidden("no acting user: sign in first")
    return session


def _lead(lead: Lead) -> dict[str, Any]:
    return {"id": lead.id, "name": lead.name, "status_id": lead.status_id, "version": lead.version}


@csrf_exempt
@require_http_methods(["POST"])
def create_lead(request: HttpRequest) -> JsonResponse:
    """``POST /leads`` with ``{"name": ..., "phones": [...]}``."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise ValidationError("cannot read the request", [f"body: not JSON ({exc})"]) from exc
    if not isinstance(body, dict):
        raise ValidationError("cannot read the request", ["body: expected a JSON object"])
    lead = _session(request).leads.create(body.get("name", ""), phones=body.get("phones", []))
    return JsonResponse(_lead(lead), status=201)


@require_http_methods(["GET"])
def get_lead(request: HttpRequest, lead_id: str) -> JsonResponse:
    """``GET /leads/<lead_id>``."""
    return JsonResponse(_lead(_session(request).leads.get(lead_id)))


urlpatterns = [
    path("leads", create_lead),
    path("leads/<str:lead_id>", get_lead),
]
