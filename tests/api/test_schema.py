"""The API against its own OpenAPI document, fuzzed in-process by schemathesis.

Schemathesis reads /api/openapi.json from the WSGI application and sends generated requests
to every operation, as an admin and as a viewer of the cast's organisation (their personal
tokens in the ``Authorization`` header). The ``{org}`` path parameter is fixed to ``acme`` so
calls reach real data; other path parameters are fuzzed, and half the time a key, id or number
is one of an item stored for the run (``payments``, ``shop``, ``delivery``, a flag, a round,
DEC-001, a usage, an assessment, a report) so reads and changes hit stored items.

Every response must not be a server error and must match the document: a documented status
code, its content type and its schema. The calls run in this process, on pytest-django's test
database, inside the test's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from catalogue import models as m
from config.api import api
from config.wsgi import application
from tests.api.conftest import token_for
from tests.conftest import Cast

# Keys the cast holds (tests/conftest.py) and ``stored_items`` adds, offered for every
# ``{key}`` half the time; likewise the id of a stored usage, assessment and report, and the
# number of a stored decision.
KNOWN_KEYS = [
    "payments",
    "search",
    "shop",
    "warehouse",
    "delivery",
    "platform",
    "weekly-shop",
    "slow-payments",  # a flag
    "matrix-round",
]
STORED_ID = 424242  # set explicitly, so the document's fuzzer can know it before the run

CONFIG = schemathesis.Config.from_dict(
    {
        "parameters": {
            "path.org": "acme",
            "path.key": {"dictionary": "keys", "probability": 0.5},
            "path.number": {"dictionary": "numbers", "probability": 0.5},
            **{
                f"path.{name}": {"dictionary": "ids", "probability": 0.5}
                for name in ("usage_id", "assessment_id", "report_id")
            },
        },
        "dictionaries": {
            "keys": {"values": KNOWN_KEYS},
            "ids": {"values": [STORED_ID]},
            "numbers": {"values": [1]},
        },
        "generation": {"max-examples": 10, "deterministic": True},
        # The coverage phase sends 100 to 400 boundary cases per operation: minutes, not seconds.
        "phases": {"coverage": {"enabled": False}},
        "suppress-health-check": ["too_slow", "data_too_large", "filter_too_much"],
        # No server errors, and every response as documented; nothing else.
        "checks": {
            "enabled": False,
            "not_a_server_error": {"enabled": True},
            "status_code_conformance": {"enabled": True},
            "content_type_conformance": {"enabled": True},
            "response_schema_conformance": {"enabled": True},
        },
    }
)

# Loaded once, when the module is collected: no database, so no periodic jobs after the request.
with override_settings(RUN_PERIODIC_JOBS_IN_WEB=False):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application, config=CONFIG)


@pytest.fixture
def in_process_database() -> Iterator[None]:
    """Keep the test's database connection open across in-process WSGI calls.

    Django's handler closes "old" connections at the start and end of every request, which
    would end the test's transaction; Django's own test client does the same as this.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def stored_items(cast: Cast) -> None:
    """One of each assessments item, so reads and changes by key, id or number find one."""
    from assessments import services as assessments_services
    from assessments.models import Assessment, AssessmentRound, BalanceReport, BottleneckFlag

    world = cast.world
    m.EnablerUsage.objects.create(
        pk=STORED_ID, organisation=world.org, enabler=world.search, offering=world.shop
    )
    # Straight to the table: raising through the service also notifies the owning team.
    BottleneckFlag.objects.create(
        organisation=world.org,
        key="slow-payments",
        team=world.delivery,
        enabler=world.payments,
        offering=world.shop,
        severity="high",
        summary="Slow payments",
        raised_by=cast.member.user,
    )
    assessment_round = AssessmentRound.objects.create(
        organisation=world.org, key="matrix-round", name="Matrix round", sequence=1
    )
    Assessment.objects.create(
        pk=STORED_ID,
        organisation=world.org,
        round=assessment_round,
        team=world.delivery,
        enabler=world.payments,
        fit=3,
        pace=0,
    )
    assessments_services.decision_propose(
        organisation=world.org,
        draft=assessments_services.DecisionDraft(
            title="Make payments repeatable", changes=((world.payments, "repeatable"),)
        ),
        actor=cast.owner.user,
    )
    assessments_services.report_compute_now(organisation=world.org)
    BalanceReport.objects.create(pk=STORED_ID, organisation=world.org)


@pytest.fixture
def bearer(cast: Cast, actor: str, stored_items: None, in_process_database: None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(getattr(cast, actor))}"}


@schema.parametrize()
@pytest.mark.parametrize("actor", ["admin", "viewer"])
@settings(
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_every_response_conforms_to_the_document(
    case: schemathesis.Case, actor: str, bearer: dict[str, str]
) -> None:
    case.call_and_validate(headers=bearer)


# --- the document itself --------------------------------------------------------------------

ERROR_STATUSES = ("400", "401", "403", "404", "409", "422")
ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def _operations() -> list[tuple[str, dict[str, Any]]]:
    """Every operation of the document as served at /api/openapi.json."""
    return [
        (f"{method.upper()} {path}", operation)
        for path, operations in schema.raw_schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_the_document_is_openapi_3_1() -> None:
    assert schema.raw_schema["openapi"] == "3.1.0"
    assert api.get_openapi_schema()["openapi"] == "3.1.0"


def test_the_document_is_valid_openapi() -> None:
    # Schemathesis checks it against the OpenAPI 3.1 meta-schema, then builds every
    # operation from it (resolving every reference).
    schema.validate()
    for result in schema.get_all_operations():
        result.ok()


def test_every_operation_documents_every_error_with_the_error_schema() -> None:
    wrong = [
        f"{name} {status}"
        for name, operation in _operations()
        for status in ERROR_STATUSES
        if operation["responses"].get(status, {}).get("content") != ERROR_CONTENT
    ]
    assert wrong == []


def test_the_error_schema_says_what_and_where() -> None:
    error = schema.raw_schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "errors", "current_version"}
    assert "detail" in error["required"]


def test_every_operation_asks_for_a_token_or_a_session() -> None:
    wanted: list[dict[str, list[str]]] = [{"TokenAuth": []}, {"SessionAuth": []}]
    assert [name for name, operation in _operations() if operation.get("security") != wanted] == []
