"""The REST API under /api/: one NinjaAPI, with the catalogue's and the assessments' routers.

The OpenAPI 3.1 document is at /api/openapi.json and the interactive docs at /api/docs
(Swagger UI served from django-ninja's own static files: nothing is fetched from a CDN).
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from catalogue.api import router as catalogue_router
from catalogue.api_base import TokenAuth, install_error_handlers

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
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("", catalogue_router)
