"""Requests beyond Django's size limits are refused with a 400, never a 500, and write nothing.

The limits are the settings' DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB of form or JSON body),
DATA_UPLOAD_MAX_NUMBER_FIELDS (1000 fields, query string included) and
DATA_UPLOAD_MAX_NUMBER_FILES (100 files). Django raises RequestDataTooBig, TooManyFieldsSent
or TooManyFilesSent while reading the request; pages answer with the 400 page and the API
with its JSON error shape. The tests send real oversized requests at the real limits.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from assessments.models import BottleneckFlag
from catalogue import models as m
from catalogue import services
from tests.conftest import Cast, client_for


def flag_count() -> int:
    return BottleneckFlag.objects.unscoped().count()


def enabler_count() -> int:
    return m.Enabler.objects.unscoped().count()


def too_many_fields(base: dict[str, str]) -> dict[str, str]:
    """``base`` padded with junk fields to one more than the limit."""
    extra = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1 - len(base)
    return {**base, **{f"pad{i}": "x" for i in range(extra)}}


def too_big_body() -> str:
    """A form body one kilobyte over the limit."""
    return "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)


def flag_form(cast: Cast) -> dict[str, str]:
    return {
        "team": "delivery",
        "enabler": "payments",
        "severity": "high",
        "summary": "Refunds take a week",
    }


def assert_refused_by_the_limit(response: Any) -> None:
    """Django's 400 page (the request could not be read), not a form re-shown with errors."""
    assert response.status_code == 400
    assert b"Bad Request (400)" in response.content


def browser_like(membership: Any) -> Client:
    """A signed-in client that enforces CSRF as a browser meets it: the middleware reads the
    form before the view does."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)
    client.get(reverse("assessments:flag_raise", args=["acme"]))  # sets the CSRF cookie
    return client


def test_the_limits_are_django_defaults_named_in_settings() -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 100


# --- pages ---------------------------------------------------------------------------------


def test_a_valid_flag_form_is_accepted(cast: Cast) -> None:
    # The same form as below, within the limits: the refusals are about size alone.
    url = reverse("assessments:flag_raise", args=["acme"])
    response = client_for(cast.member).post(url, flag_form(cast))
    assert response.status_code == 302
    assert flag_count() == 1


def test_a_form_with_too_many_fields_is_refused_and_writes_nothing(cast: Cast) -> None:
    url = reverse("assessments:flag_raise", args=["acme"])
    response = client_for(cast.member).post(url, too_many_fields(flag_form(cast)))
    assert_refused_by_the_limit(response)
    assert flag_count() == 0


def test_too_many_fields_through_the_csrf_check_is_a_400_too(cast: Cast) -> None:
    client = browser_like(cast.member)
    data = too_many_fields(
        {**flag_form(cast), "csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    )
    response = client.post(reverse("assessments:flag_raise", args=["acme"]), data)
    assert_refused_by_the_limit(response)
    assert flag_count() == 0


def test_a_form_body_over_the_size_limit_is_refused_and_writes_nothing(cast: Cast) -> None:
    url = reverse("catalogue:enabler_create", args=["acme"])
    body = urlencode({"name": "Big", "key": "big", "description": too_big_body()})
    before = enabler_count()
    response = client_for(cast.admin).post(
        url, body, content_type="application/x-www-form-urlencoded"
    )
    assert_refused_by_the_limit(response)
    assert enabler_count() == before


def test_a_body_over_the_size_limit_is_refused_before_the_csrf_check_can_fail(
    cast: Cast,
) -> None:
    client = browser_like(cast.member)
    body = urlencode({**flag_form(cast), "details": too_big_body()})
    response = client.post(
        reverse("assessments:flag_raise", args=["acme"]),
        body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-CSRFToken": client.cookies["csrftoken"].value},
    )
    assert_refused_by_the_limit(response)
    assert flag_count() == 0


def test_the_sign_in_form_with_too_many_fields_is_a_400(db: None) -> None:
    response = Client().post(reverse("login"), too_many_fields({"username": "a", "password": "b"}))
    assert_refused_by_the_limit(response)


def test_a_page_address_with_too_many_query_fields_is_a_400(cast: Cast) -> None:
    url = reverse("catalogue:enabler_list", args=["acme"])
    query = urlencode(too_many_fields({"q": "pay"}))
    response = client_for(cast.viewer).get(f"{url}?{query}")
    assert_refused_by_the_limit(response)


def test_too_many_files_in_an_import_are_refused_and_import_nothing(cast: Cast) -> None:
    url = reverse("catalogue:backstage_import", args=["acme"])
    files = [
        SimpleUploadedFile(f"c{i}.yaml", b"kind: Component\n", "application/yaml")
        for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    before = enabler_count()
    response = client_for(cast.admin).post(url, {"files": files})
    assert_refused_by_the_limit(response)
    assert enabler_count() == before


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def token(cast: Cast) -> str:
    return services.token_create(membership=cast.member, name="limits", valid_days=1)[1]


def api_post(token: str, path: str, body: str) -> Any:
    return Client().post(
        path, body, content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )


def test_the_api_accepts_the_same_flag_within_the_limit(cast: Cast, token: str) -> None:
    payload = {**flag_form(cast), "details": "Slow."}
    response = api_post(token, "/api/o/acme/flags", json.dumps(payload))
    assert response.status_code == 201, response.content
    assert flag_count() == 1


def test_an_api_body_over_the_size_limit_is_a_json_400(cast: Cast, token: str) -> None:
    payload = {**flag_form(cast), "details": too_big_body()}
    response = api_post(token, "/api/o/acme/flags", json.dumps(payload))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert "too large" in body["detail"]
    assert body["errors"] == []
    assert flag_count() == 0


def test_an_api_query_with_too_many_fields_is_a_json_400(cast: Cast, token: str) -> None:
    query = urlencode(too_many_fields({"limit": "5"}))
    response = Client().get(
        f"/api/o/acme/enablers?{query}", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "too many fields" in response.json()["detail"]


# --- the whole body, files included: 413 before anything reads it ---------------------------


def test_an_upload_larger_than_the_request_limit_is_refused_unread(
    cast: Cast, settings: Any
) -> None:
    # DATA_UPLOAD_MAX_MEMORY_SIZE leaves files out: this limit covers them.
    settings.REQUEST_MAX_BYTES = 50_000
    upload = SimpleUploadedFile("big.yaml", b"#" * 60_000, "application/yaml")
    before = enabler_count()

    response = client_for(cast.admin).post(
        reverse("assessments:import_file", args=["acme"]), {"file": upload}
    )

    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()
    assert enabler_count() == before


def test_an_anonymous_upload_past_the_limit_is_refused_before_the_csrf_check(
    settings: Any, db: None
) -> None:
    settings.REQUEST_MAX_BYTES = 50_000
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"junk": SimpleUploadedFile("x.bin", b"x" * 60_000)})

    assert response.status_code == 413


def test_the_api_answers_a_body_past_the_limit_with_its_json_413(
    cast: Cast, settings: Any, token: str
) -> None:
    settings.REQUEST_MAX_BYTES = 50_000
    before = flag_count()

    payload = {**flag_form(cast), "details": "x" * 60_000}
    response = api_post(token, "/api/o/acme/flags", json.dumps(payload))

    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request is too large")
    assert flag_count() == before


def test_a_body_within_the_limit_goes_through(cast: Cast, settings: Any) -> None:
    settings.REQUEST_MAX_BYTES = 50_000
    upload = SimpleUploadedFile("acme.yaml", b"format: enabling-model/1\n", "application/yaml")

    response = client_for(cast.admin).post(
        reverse("assessments:import_file", args=["acme"]), {"file": upload}
    )

    assert response.status_code == 400  # read, and refused for what it says
