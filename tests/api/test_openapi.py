"""The served OpenAPI document validates against the OpenAPI 3.1 specification."""

from __future__ import annotations

import copy

import pytest
from django.test import Client
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


@pytest.fixture
def document(db: None) -> dict:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_served_document_is_valid_openapi_3_1(document: dict) -> None:
    assert document["openapi"] == "3.1.0"
    validate(document, cls=OpenAPIV31SpecValidator)


def test_the_validator_would_notice_a_broken_document(document: dict) -> None:
    broken = copy.deepcopy(document)
    operation = next(iter(broken["paths"].values()))
    next(iter(operation.values()))["responses"] = "none"

    with pytest.raises(OpenAPIValidationError):
        validate(broken, cls=OpenAPIV31SpecValidator)


def test_the_interactive_docs_use_our_own_static_files(db: None) -> None:
    html = Client().get("/api/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
