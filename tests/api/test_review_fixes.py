"""Input that no database stores is refused before it reaches one; secrets are not cached."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "param"), [("/api/o/acme/journeys", "segment"), ("/api/o/acme/enablers", "q")]
)
def test_a_control_character_in_a_filter_is_refused_not_sent_to_the_database(
    cast: Cast, api_as, path: str, param: str
) -> None:
    response = api_as(cast.viewer).get(path, **{param: "a\x00b"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", param]


def test_the_page_that_shows_a_new_token_is_never_cached(cast: Cast) -> None:
    url = reverse("catalogue:token_list", args=[cast.world.org.slug])

    response = client_for(cast.viewer).post(url, {"name": "Script", "valid_days": "30"})

    assert "no-store" in response["Cache-Control"]
