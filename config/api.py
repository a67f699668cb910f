"""The REST API under /api/: one NinjaAPI, with the catalogue's and the assessments' routers.

The OpenAPI 3.1 document is at /api/openapi.json and the interactive docs at /api/docs
(Swagger UI served from django-ninja's own static files: nothing is fetched from a CDN).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
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
