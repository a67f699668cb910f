"""The REST API under /api/: one NinjaAPI, with the catalogue's and the assessments' routers.

The OpenAPI 3.1 document is at /api/openapi.json and the interactive docs at /api/docs
(Swagger UI served from django-ninja's own static files: nothing is fetched from a CDN).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from assessments.api import assessments_router, decisions_router, flags_router, reports_router
from catalogue.api import router as catalogue_router
from catalogue.api_base import SessionAuth, TokenAuth, install_error_handlers

api = NinjaAPI(
    title="Enabling Model API",
    version="1",
    description=(
        "Read and change an organisation's catalogue, flags, assessments and decisions, and "
        "read its balance reports. Authenticate with a personal API token (made on the "
        "“API tokens” page of the organisation): `Authorization: Bearer <token>`. A token "
        "acts with its owner's role in that one organisation. Every error is JSON: "
        '`{"detail": "…", "errors": [{"loc": [...], "msg": "…"}]}`.'
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)


@api.exception_handler(SuspiciousOperation)
def request_refused(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """A request over Django's size limits (DATA_UPLOAD_*) is the API's JSON 400.

    Without this, Django would answer the API client with its HTML 400 page. Logged as
    Django logs it for pages.
    """
    logging.getLogger(f"django.security.{type(exc).__name__}").error(str(exc))
    if isinstance(exc, RequestDataTooBig):
        detail = (
            f"The request body is too large: at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."
        )
    elif isinstance(exc, TooManyFieldsSent):
        detail = (
            "The request has too many fields: at most "
            f"{settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}, query string included."
        )
    elif isinstance(exc, TooManyFilesSent):
        detail = f"The request has too many files: at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES}."
    else:
        detail = "The request was refused as not valid."
    return api.create_response(request, {"detail": detail, "errors": []}, status=400)


api.add_router("", catalogue_router)
api.add_router("", flags_router)
api.add_router("", assessments_router)
api.add_router("", decisions_router)
api.add_router("", reports_router)


@csrf_exempt  # it writes nothing, and API clients send no CSRF token
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Paths under /api/ that match no operation: the API's JSON 404."""
    return JsonResponse(
        {"detail": "Not found: no such organisation for you, or no such item.", "errors": []},
        status=404,
    )
